import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JSONWebKeySet } from 'jose';

/**
 * A tiny identity provider on loopback: its discovery document, key set and token endpoint, a log of
 * what was asked, and knobs to break each, so tests can watch the service through an outage.
 */
export class FakeIdentityProvider {
  readonly requests: string[] = [];
  discoveryStatus = 200;
  jwksStatus = 200;
  tokenStatus = 503;
  /** The issuer the discovery document names; by default the right one. */
  namedIssuer: string | null = null;
  issuer = '';
  private server: http.Server | null = null;

  constructor(readonly jwks: JSONWebKeySet = { keys: [] }) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      this.requests.push(req.url ?? '');
      const path = (req.url ?? '').split('?')[0] as string;
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (path === '/idp/.well-known/openid-configuration') {
        send(this.discoveryStatus, {
          issuer: this.namedIssuer ?? this.issuer,
          authorization_endpoint: `${this.issuer}/auth`,
          token_endpoint: `${this.issuer}/token`,
          jwks_uri: `${this.issuer}/jwks`,
        });
      } else if (path === '/idp/jwks') send(this.jwksStatus, this.jwks);
      else if (path === '/idp/token') send(this.tokenStatus, { error: 'temporarily_unavailable' });
      else send(404, {});
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/idp`;
  }

  /** How many times this path under the issuer was asked for, query strings aside. */
  count(path: string): number {
    return this.requests.filter((r) => r.split('?')[0] === `/idp${path}`).length;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
