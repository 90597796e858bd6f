import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import { checkServerIdentity as checkIdentity, type PeerCertificate } from 'node:tls';
import { assertServable, ConfigError, loadConfig, parseTrustProxy } from '../../src/config.js';
import { Sandbox, type ServerProcess } from '../helpers/cli.js';
import { CookieJar } from '../helpers/cookie-jar.js';
import { expectH1, launchBrowser, newIin, newPage, SKIP, signIn, text, waitForPath } from './harness.js';

/*
 * The registry as deployed: plain HTTP behind a reverse proxy that ends TLS. The test runs that
 * proxy itself on loopback (an https server with a self-signed certificate made here, forwarding
 * with X-Forwarded-For/-Proto/-Host as nginx would) in front of `tyiym serve` with the development
 * identity provider, PUBLIC_URL naming the proxy. With TRUST_PROXY naming the proxy, a citizen signs
 * in, places a ban and signs out over https with Secure cookies only; without it, no session cookie
 * is ever set, which is why production refuses to start without it.
 */

const OPENSSL = '/usr/bin/openssl';
const SESSION_COOKIE = 'tyiym_session';
const FORGED_HOST = 'evil.example.test';

interface Certificate {
  dir: string;
  certPath: string;
  cert: Buffer;
  key: Buffer;
}

/** A self-signed certificate for 127.0.0.1, valid for a day, in a temporary directory. */
function makeCertificate(): Certificate {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tyiym-tls-'));
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');
  execFileSync(
    OPENSSL,
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'].concat([
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ]),
    { stdio: 'ignore' },
  );
  return { dir, certPath, cert: fs.readFileSync(certPath), key: fs.readFileSync(keyPath) };
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade'];

/** A TLS-terminating reverse proxy on 127.0.0.1, forwarding to the app over plain HTTP. */
class TlsProxy {
  upstreamPort = 0;
  private constructor(private readonly server: https.Server) {}

  static async start(certificate: Certificate): Promise<TlsProxy> {
    const server = https.createServer({ cert: certificate.cert, key: certificate.key });
    const proxy = new TlsProxy(server);
    server.on('request', (req, res) => proxy.forward(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get origin(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const headers = { ...req.headers };
    for (const name of HOP_BY_HOP) delete headers[name];
    // As nginx's proxy_set_header: the proxy's own view replaces whatever the client sent.
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    headers['x-forwarded-proto'] = 'https';
    headers['x-forwarded-host'] = req.headers.host ?? '';
    const upstream = http.request(
      { host: '127.0.0.1', port: this.upstreamPort, method: req.method, path: req.url, headers },
      (answer) => {
        const back = { ...answer.headers };
        for (const name of HOP_BY_HOP) delete back[name];
        res.writeHead(answer.statusCode ?? 502, back);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The registry with the development provider, serving plain HTTP behind its own TLS proxy. */
class BehindProxy {
  readonly sandbox = new Sandbox({ env: { LOG_LEVEL: 'warn' } });
  proxy!: TlsProxy;
  server!: ServerProcess;

  async start(certificate: Certificate, trustProxy: string | undefined): Promise<this> {
    this.proxy = await TlsProxy.start(certificate);
    this.server = await this.sandbox.serve({
      env: {
        DEV_IDP: 'true',
        PUBLIC_URL: this.proxy.origin,
        TRUST_PROXY: trustProxy,
        // The portal discovers its provider at PUBLIC_URL, through the proxy: it must trust the certificate.
        NODE_EXTRA_CA_CERTS: certificate.certPath,
        LOG_LEVEL: 'warn',
      },
    });
    this.proxy.upstreamPort = this.server.port;
    return this;
  }

  async stop(): Promise<void> {
    await this.proxy?.close();
    await this.sandbox.cleanup();
  }
}

interface Hop {
  status: number;
  location: string | null;
  setCookies: string[];
  body: string;
}

/** One request over https to the proxy, trusting its certificate; no redirect followed. */
function hop(
  certificate: Certificate,
  origin: string,
  jar: CookieJar,
  method: 'GET' | 'POST',
  url: string,
  options: { form?: Record<string, string>; host?: string } = {},
): Promise<Hop> {
  const target = new URL(url, origin);
  if (target.origin !== origin) throw new Error(`refusing to leave ${origin} for ${target.href}`);
  const headers: Record<string, string> = { 'accept-language': 'en' };
  if (options.host !== undefined) headers.host = options.host;
  const cookie = jar.header(target.pathname);
  if (cookie !== '') headers.cookie = cookie;
  const body = options.form === undefined ? undefined : new URLSearchParams(options.form).toString();
  if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  return new Promise((resolve, reject) => {
    // The certificate is checked for the proxy's address, whatever Host the request claims.
    const checkServerIdentity = (_host: string, cert: PeerCertificate) => checkIdentity(target.hostname, cert);
    const tls = { ca: certificate.cert, checkServerIdentity };
    const req = https.request(target, { method, headers, ...tls, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const setCookies = res.headers['set-cookie'] ?? [];
        jar.remember(setCookies);
        const location = res.headers.location ?? null;
        resolve({ status: res.statusCode ?? 0, location, setCookies, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Signs in the way a browser without JavaScript would, through the proxy: /auth/login, the
 * provider's form, the callback. Returns every Set-Cookie seen and whether it ended signed in.
 */
async function signInOverHttps(
  certificate: Certificate,
  origin: string,
  iin: string,
): Promise<{ signedIn: boolean; setCookies: string[]; last: Hop }> {
  const jar = new CookieJar();
  const setCookies: string[] = [];
  const go = async (method: 'GET' | 'POST', url: string, form?: Record<string, string>) => {
    let page = await hop(certificate, origin, jar, method, url, form === undefined ? {} : { form });
    setCookies.push(...page.setCookies);
    for (let hops = 0; page.location !== null && page.status >= 300 && page.status < 400; hops++) {
      if (hops > 10) throw new Error('too many redirects');
      page = await hop(certificate, origin, jar, 'GET', page.location);
      setCookies.push(...page.setCookies);
    }
    return page;
  };
  const login = await go('GET', '/auth/login');
  const action = /action="(\/dev-idp\/interaction\/[^"/]+\/login)"/.exec(login.body)?.[1];
  if (action === undefined) throw new Error(`no sign-in form at the provider: ${login.status} ${login.body.slice(0, 300)}`);
  const last = await go('POST', action, { iin });
  return { signedIn: last.status === 200 && last.body.includes('/auth/logout'), setCookies, last };
}

const sessionCookies = (lines: readonly string[]) => lines.filter((l) => l.startsWith(`${SESSION_COOKIE}=`));
const isSecure = (line: string) => line.split(';').some((a) => a.trim().toLowerCase() === 'secure');

describe('TRUST_PROXY in the configuration', () => {
  it('takes the proxy’s addresses, CIDR ranges or proxy-addr’s names; empty or false is off', () => {
    assert.equal(parseTrustProxy(undefined), false);
    assert.equal(parseTrustProxy(''), false);
    assert.equal(parseTrustProxy('false'), false);
    assert.deepEqual(parseTrustProxy('127.0.0.1'), ['127.0.0.1']);
    assert.deepEqual(parseTrustProxy(' 10.0.0.0/8, fd00::/8 ,::1'), ['10.0.0.0/8', 'fd00::/8', '::1']);
    assert.deepEqual(parseTrustProxy('loopback,uniquelocal'), ['loopback', 'uniquelocal']);
    assert.deepEqual(loadConfig({ TRUST_PROXY: '127.0.0.1' }).http.trustProxy, ['127.0.0.1']);
    assert.equal(loadConfig({}).http.trustProxy, false);
  });

  it('refuses what would believe any client: true, a hop count, a /0 range, a name that is no address', () => {
    for (const raw of ['true', '1', '2', '0.0.0.0/0', '10.0.0.0/33', 'proxy.internal', '127.0.0.1/8/8', '127.0.0.1,,']) {
      assert.throws(
        () => parseTrustProxy(raw),
        (e: unknown) => e instanceof ConfigError && /TRUST_PROXY/.test(e.message),
        raw,
      );
    }
  });

  it('production with an https PUBLIC_URL refuses to serve without TRUST_PROXY, naming it', () => {
    const secret = () => randomBytes(32).toString('base64');
    const production = {
      NODE_ENV: 'production',
      TYIYM_PEPPER: secret(),
      TYIYM_SESSION_SECRET: secret(),
      TYIYM_LOG_KEY: secret(),
      OIDC_ISSUER: 'https://idp.example.test',
      OIDC_CLIENT_SECRET: secret(),
      PUBLIC_URL: 'https://tyiym.example.test',
    };
    assert.throws(
      () => assertServable(loadConfig(production)),
      (e: unknown) => e instanceof ConfigError && /TRUST_PROXY/.test(e.message),
    );
    try {
      assertServable(loadConfig({ ...production, TRUST_PROXY: '10.0.0.5' }));
    } catch (e) {
      assert.doesNotMatch((e as Error).message, /TRUST_PROXY/, 'with TRUST_PROXY set, nothing is said of it');
    }
  });
});

describe('behind a TLS-terminating proxy, over HTTP', () => {
  let certificate: Certificate;
  let trusted: BehindProxy;
  let untrusted: BehindProxy;

  before(async () => {
    certificate = makeCertificate();
    [trusted, untrusted] = await Promise.all([
      new BehindProxy().start(certificate, '127.0.0.1'),
      new BehindProxy().start(certificate, undefined),
    ]);
  });
  after(async () => {
    await Promise.all([trusted?.stop(), untrusted?.stop()]);
    if (certificate) fs.rmSync(certificate.dir, { recursive: true, force: true });
  });

  test('with TRUST_PROXY naming the proxy, a citizen signs in and the session cookie is Secure', async () => {
    const { signedIn, setCookies, last } = await signInOverHttps(certificate, trusted.proxy.origin, newIin());
    assert.ok(signedIn, `signed in: ${last.status} ${last.body.slice(0, 300)}`);
    const sessions = sessionCookies(setCookies);
    assert.ok(sessions.length > 0, `a session cookie was set: ${setCookies.join(' | ')}`);
    for (const line of setCookies) assert.ok(isSecure(line), `every cookie is Secure: ${line.split(';')[0]?.split('=')[0]}`);
  });

  test('without TRUST_PROXY, the session cookie is never set and sign-in fails', async () => {
    const { signedIn, setCookies } = await signInOverHttps(certificate, untrusted.proxy.origin, newIin());
    assert.deepEqual(sessionCookies(setCookies), [], 'no session cookie: the app saw plain http');
    assert.equal(signedIn, false);
  });

  test('a forged Host (so X-Forwarded-Host) steers no URL: the provider and sign-in name PUBLIC_URL', async () => {
    const origin = trusted.proxy.origin;
    const jar = new CookieJar();
    const discovery = await hop(certificate, origin, jar, 'GET', '/dev-idp/.well-known/openid-configuration', {
      host: FORGED_HOST,
    });
    assert.equal(discovery.status, 200);
    assert.ok(!discovery.body.includes(FORGED_HOST), 'the discovery document never names the forged host');
    const metadata = JSON.parse(discovery.body) as Record<string, unknown>;
    assert.equal(metadata.issuer, `${origin}/dev-idp`);
    assert.ok(String(metadata.authorization_endpoint).startsWith(`${origin}/dev-idp/`), String(metadata.authorization_endpoint));

    const login = await hop(certificate, origin, jar, 'GET', '/auth/login', { host: FORGED_HOST });
    assert.equal(login.status, 302);
    const to = new URL(login.location ?? '');
    assert.equal(to.origin, origin, 'sign-in goes to the provider at PUBLIC_URL');
    assert.equal(to.searchParams.get('redirect_uri'), `${origin}/auth/callback`);
  });
});

describe('behind a TLS-terminating proxy, in a browser', { skip: SKIP }, () => {
  let certificate: Certificate;
  let app: BehindProxy;

  before(async () => {
    certificate = makeCertificate();
    app = await new BehindProxy().start(certificate, '127.0.0.1');
  });
  after(async () => {
    await app?.stop();
    if (certificate) fs.rmSync(certificate.dir, { recursive: true, force: true });
  });

  test('signs in, places a ban and signs out over https, with Secure cookies only', async (t) => {
    const browser = await launchBrowser();
    t.after(() => browser.close());
    // The certificate is the test's own: the browser is told to accept it, as a user would be asked.
    const { context, page } = await newPage(browser, { ignoreHTTPSErrors: true });
    const origin = app.proxy.origin;
    const visited = new Set<string>();
    page.on('request', (r) => {
      if (/^https?:/.test(r.url())) visited.add(new URL(r.url()).origin);
    });

    await signIn(page, origin, newIin());
    await waitForPath(page, '/');
    const en = (key: string) => text('en', key);
    await page
      .getByRole('navigation', { name: en('nav.label') })
      .getByRole('button', { name: en('nav.signOut') })
      .waitFor();

    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === SESSION_COOKIE);
    assert.ok(session, `the session cookie is set: ${cookies.map((c) => c.name).join(', ')}`);
    assert.equal(session.httpOnly, true);
    for (const c of cookies) assert.equal(c.secure, true, `cookie ${c.name} (${c.path}) is Secure`);

    // A form post: the CSRF token and the Secure session cookie work together behind the proxy.
    await page.getByRole('button', { name: en('status.place') }).click();
    await waitForPath(page, '/restriction/edit');
    const types = page.getByRole('group', { name: en('edit.lenderTypes.legend') });
    await types.getByRole('checkbox', { name: en('edit.lenderTypes.bank') }).check();
    await types.getByRole('checkbox', { name: en('edit.lenderTypes.mfo') }).check();
    const channels = page.getByRole('group', { name: en('edit.channels.legend') });
    await channels.getByRole('checkbox', { name: en('edit.channels.remote') }).check();
    await channels.getByRole('checkbox', { name: en('edit.channels.in_person') }).check();
    const term = page.getByRole('group', { name: en('edit.term.legend') });
    await term.getByRole('radio', { name: en('edit.term.months') }).check();
    await page.getByRole('textbox', { name: en('edit.term.monthsLabel') }).fill('3');
    await page.getByRole('button', { name: en('common.continue') }).click();
    await expectH1(page, en('confirm.title'));
    await page.getByRole('button', { name: en('confirm.submitPlace') }).click();
    await waitForPath(page, '/restriction/done');

    await page.getByRole('button', { name: en('nav.signOut') }).click();
    await expectH1(page, en('start.title'));
    await page.getByRole('button', { name: en('start.signIn') }).waitFor();
    // Signed out for real: a signed-in page sends the browser back to the provider.
    await page.goto(`${origin}/history`);
    await waitForPath(page, /^\/dev-idp\/interaction\//);

    assert.deepEqual([...visited], [origin], 'every request went to the proxy over https, none around it');
    for (const c of await context.cookies()) assert.equal(c.secure, true, `cookie ${c.name} (${c.path}) is Secure`);
  });
});
