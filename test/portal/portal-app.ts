import { generateKeyPairSync } from 'node:crypto';
import net from 'node:net';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { type AppOptions, buildApp } from '../../src/app.js';
import type { Services } from '../../src/services.js';
import { CookieJar } from '../helpers/cookie-jar.js';
import { openTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** A port nobody listens on now; the app's public URL must name it before the app is built. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function devIdpSecrets() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    clientSecret: 'test-dev-idp-client-secret-0123456789abcdef',
    signingJwk: { ...privateKey.export({ format: 'jwk' }), kid: 'test-dev-idp', use: 'sig', alg: 'RS256' },
  };
}

export interface PortalApp {
  app: FastifyInstance;
  reg: TestRegistry;
  services: Services;
  close(): Promise<void>;
}

/**
 * The whole app with the portal and the development identity provider. It listens on a
 * local port because the portal discovers the provider and redeems codes over HTTP; the
 * browser side of every test goes through app.inject.
 */
export async function openPortal(
  options: { env?: Record<string, string>; now?: string; app?: Omit<AppOptions, 'logger'> } = {},
): Promise<PortalApp> {
  const port = await freePort();
  const reg = await openTestRegistry({
    ...(options.now ? { now: options.now } : {}),
    env: { DEV_IDP: 'true', PUBLIC_URL: `http://127.0.0.1:${port}`, ...options.env },
  });
  const services: Services = { ...reg.services, secrets: { ...reg.services.secrets, devIdp: devIdpSecrets() } };
  const app = await buildApp(services, { ...options.app, logger: false });
  await app.listen({ port, host: '127.0.0.1' });
  return {
    app,
    reg,
    services,
    close: async () => {
      await app.close();
      await reg.close();
    },
  };
}

export interface Page {
  status: number;
  body: string;
  location: string | undefined;
  headers: LightMyRequestResponse['headers'];
}

/**
 * A browser without JavaScript: a cookie jar, forms posted as application/x-www-form-urlencoded, redirects by hand.
 * `app` may be a function, which names the node that answers each request (several nodes behind one address).
 */
export class Browser {
  private readonly cookies = new CookieJar();

  constructor(
    private readonly app: FastifyInstance | (() => FastifyInstance),
    private readonly acceptLanguage = 'en',
  ) {}

  /** The Cookie header this browser sends to `path`. */
  cookieHeader(path: string): string {
    return this.cookies.header(path);
  }

  /** Keeps a cookie as if the portal had set it: one planted by someone else, say. */
  plant(setCookie: string): void {
    this.remember(setCookie);
  }

  private remember(setCookie: string | string[] | undefined): void {
    this.cookies.remember(setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]);
  }

  /** One request, no redirects followed. `url` may be absolute (a redirect's Location) or a path. */
  async request(method: 'GET' | 'POST', url: string, form?: Record<string, string | string[]>): Promise<Page> {
    const target = new URL(url, 'http://127.0.0.1');
    const path = `${target.pathname}${target.search}`;
    const headers: Record<string, string> = { 'accept-language': this.acceptLanguage };
    const cookie = this.cookieHeader(target.pathname);
    if (cookie !== '') headers.cookie = cookie;
    let payload: string | undefined;
    if (form !== undefined) {
      const body = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
      payload = body.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const app = typeof this.app === 'function' ? this.app() : this.app;
    const res = await app.inject({ method, url: path, headers, ...(payload === undefined ? {} : { payload }) });
    this.remember(res.headers['set-cookie']);
    const location = res.headers.location;
    return {
      status: res.statusCode,
      body: res.body,
      location: typeof location === 'string' ? location : undefined,
      headers: res.headers,
    };
  }

  /** A request, then its redirects as GETs, as a browser follows them. */
  async follow(method: 'GET' | 'POST', url: string, form?: Record<string, string | string[]>): Promise<Page> {
    let page = await this.request(method, url, form);
    for (let hops = 0; page.location !== undefined && page.status >= 300 && page.status < 400; hops++) {
      if (hops > 10) throw new Error('too many redirects');
      page = await this.request('GET', page.location);
    }
    return page;
  }

  get(url: string): Promise<Page> {
    return this.follow('GET', url);
  }

  /** Posts a form with the CSRF token of the page at `from` (unless `_csrf` is given), following redirects. */
  async post(url: string, form: Record<string, string | string[]>, from = '/'): Promise<Page> {
    const withToken = '_csrf' in form ? form : { ...form, _csrf: csrfOf((await this.get(from)).body) };
    return this.follow('POST', url, withToken);
  }

  /** Signs in through the development identity provider as the citizen with this IIN. */
  async signIn(iin: string): Promise<Page> {
    const login = await this.follow('GET', '/auth/login');
    const action = /action="(\/dev-idp\/interaction\/[^"]+\/login)"/.exec(login.body)?.[1];
    if (action === undefined) throw new Error(`no sign-in form: ${login.status} ${login.body.slice(0, 300)}`);
    const done = await this.follow('POST', action, { iin });
    if (!done.body.includes('/auth/logout')) throw new Error(`not signed in: ${done.status} ${done.body.slice(0, 300)}`);
    return done;
  }
}

export function csrfOf(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (token === undefined) throw new Error('no CSRF token on the page');
  return token;
}
