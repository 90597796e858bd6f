import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { IIN } from '../helpers/people.js';
import { Browser, openPortal, type PortalApp } from '../portal/portal-app.js';
import { type AppRoute, appRoutes, routeKey } from '../security/routes.js';

/*
 * Every answer of every route carries nosniff and forbids framing, whoever asks and whatever the
 * status; whatever is answered to a signed-in citizen (every page, the receipt download) is never
 * stored by a cache. The routes are read from the app's router, so a new route is covered unasked.
 */

/** A request target for each route pattern: a real file or page where the route serves one. */
const TARGETS: Record<string, string> = {
  '/*': '/no-such-page',
  '/assets/fonts/*': '/assets/fonts/noto-sans-cyrillic-400-normal.woff2',
  '/assets/govuk/*': '/assets/govuk/govuk-frontend.min.js',
  '/dev-idp/*': '/dev-idp/.well-known/openid-configuration',
  '/docs/*': '/docs/no-such-page',
  '/docs/static/*': '/docs/static/swagger-ui.css',
  '/log/tile/*': '/log/tile/0/000.p/1',
  '/log/proof/inclusion': '/log/proof/inclusion?index=0&size=1',
  '/log/proof/consistency': '/log/proof/consistency?from=1&to=1',
  '/v1/*': '/v1/no-such-thing',
};

/** Paths outside the portal's pages: the API, the log, the docs, probes, static files, the identity provider. */
const NOT_PAGES = /^\/(v1|log|docs|openapi\.json|healthz|readyz|assets|dev-idp)(\/|$)/;

function assertProtected(res: LightMyRequestResponse, what: string): void {
  const h = res.headers;
  assert.equal(h['x-content-type-options'], 'nosniff', `${what} (${res.statusCode}): X-Content-Type-Options`);
  assert.equal(h['x-frame-options'], 'DENY', `${what} (${res.statusCode}): X-Frame-Options`);
  const csp = String(h['content-security-policy'] ?? '');
  assert.match(csp, /(^|;\s*)frame-ancestors 'none'(;|$)/, `${what} (${res.statusCode}): CSP frame-ancestors, got "${csp}"`);
}

function assertNoStore(res: LightMyRequestResponse, what: string): void {
  const cc = String(res.headers['cache-control'] ?? '');
  assert.match(cc, /(^|,\s*)no-store(,|$)/, `${what} (${res.statusCode}): Cache-Control no-store, got "${cc}"`);
}

describe('security headers on every route', () => {
  let portal: PortalApp;
  let routes: AppRoute[];
  let signedInCookie: string;
  let receiptIndex: number;

  before(async () => {
    portal = await openPortal();
    await portal.services.restrictions.place(IIN.alice, { term: { kind: 'indefinite' } }, { kind: 'citizen' });
    const logged = (await portal.services.restrictions.record(IIN.alice)).history.find((e) => typeof e.logIndex === 'number');
    assert.ok(logged, 'the ban is in the log');
    receiptIndex = logged.logIndex as number;
    const browser = new Browser(portal.app);
    await browser.signIn(IIN.alice);
    signedInCookie = browser.cookieHeader('/');
    routes = appRoutes(portal.app, { withHead: true });
  });
  after(async () => {
    await portal?.close();
  });

  function targetOf(route: AppRoute): string {
    return (TARGETS[route.path] ?? route.path)
      .replace(':index', String(receiptIndex))
      .replace(':checkId', '01900000-0000-7000-8000-000000000000')
      .replace(':uid', 'no-such-interaction');
  }

  function requestOf(route: AppRoute, cookie: string | null): InjectOptions {
    const url = targetOf(route);
    const headers: Record<string, string> = { 'accept-language': 'en' };
    if (cookie !== null) headers.cookie = cookie;
    const options: InjectOptions = { method: route.method as InjectOptions['method'], url, headers };
    if (!['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE'].includes(route.method)) {
      // An answer is what is asserted on, not success: an empty body of each part's kind.
      if (url.startsWith('/v1/')) {
        headers['content-type'] = 'application/json';
        options.payload = '{}';
      } else {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        options.payload = '';
      }
    }
    return options;
  }

  it('reads the routes of every part from the router', () => {
    const paths = new Set(routes.map((r) => r.path));
    for (const expected of ['/', '/v1/checks', '/log/checkpoint', '/docs', '/openapi.json', '/healthz', '/readyz', '/dev-idp/*'])
      assert.ok(paths.has(expected), `the router has ${expected}`);
  });

  it('every route, anonymous and signed in: nosniff, X-Frame-Options DENY, frame-ancestors none', async () => {
    for (const route of routes) {
      for (const cookie of [null, signedInCookie]) {
        const res = await portal.app.inject(requestOf(route, cookie));
        assertProtected(res, `${routeKey(route)} ${cookie === null ? 'anonymous' : 'signed in'}`);
      }
    }
  });

  it('404s, 405s, refused bodies and router errors carry them too', async () => {
    const cases: InjectOptions[] = [
      { method: 'GET', url: '/no/such/page' },
      { method: 'POST', url: '/no/such/route' },
      { method: 'DELETE', url: '/healthz' },
      { method: 'GET', url: '/v1/no-such-thing' },
      { method: 'GET', url: '/%zz' },
      { method: 'POST', url: '/v1/checks', headers: { 'content-type': 'text/plain' }, payload: 'x' },
      { method: 'POST', url: '/v1/checks', headers: { 'content-type': 'application/json' }, payload: '{' },
      { method: 'POST', url: '/restriction/edit', headers: { 'content-type': 'application/json' }, payload: '{}' },
      { method: 'GET', url: '/dev-idp/no-such-endpoint' },
    ];
    for (const c of cases) assertProtected(await portal.app.inject(c), `${c.method} ${c.url}`);
  });

  it('the portal and the identity provider keep their own strict policies', async () => {
    const page = await portal.app.inject({ method: 'GET', url: '/' });
    const csp = String(page.headers['content-security-policy']);
    for (const directive of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"])
      assert.ok(csp.includes(directive), `the portal's policy has ${directive}: ${csp}`);
    const login = await portal.app.inject({ method: 'GET', url: '/dev-idp/interaction/no-such-interaction' });
    assert.match(String(login.headers['content-security-policy']), /default-src 'none'|form-action/);
  });

  it('every portal page answered to a signed-in citizen is no-store', async () => {
    const pages = routes.filter((r) => (r.method === 'GET' || r.method === 'HEAD') && !NOT_PAGES.test(r.path));
    assert.ok(pages.length >= 10, `portal pages found: ${pages.map(routeKey).join(', ')}`);
    for (const route of pages) {
      const res = await portal.app.inject(requestOf(route, signedInCookie));
      assertNoStore(res, `${routeKey(route)} signed in`);
    }
  });

  it('the statement’s receipt download is no-store', async () => {
    const res = await portal.app.inject(requestOf({ method: 'GET', path: '/statement/receipts/:index' }, signedInCookie));
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-disposition']), /^attachment;/);
    assertNoStore(res, 'the receipt download');
    assertProtected(res, 'the receipt download');
  });

  it('public, unsigned answers stay cacheable: no no-store on the log, the docs or static files', async () => {
    for (const url of ['/log/key', '/assets/app.css', '/healthz']) {
      const res = await portal.app.inject({ method: 'GET', url, headers: { cookie: signedInCookie } });
      assert.doesNotMatch(String(res.headers['cache-control'] ?? ''), /no-store/, `${url} is not personal`);
    }
  });
});
