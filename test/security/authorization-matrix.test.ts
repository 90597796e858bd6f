import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ERRORS } from '../../src/errors.js';
import { jsonOf, type RawRequest, type RawResponse, send } from './raw-http.js';
import { appRoutes, routeKey } from './routes.js';
import { type SecurityServer, startSecurityServer } from './server.js';

/*
 * Who may do what: every route of the app × every kind of caller, each cell an expected status
 * from the table below. Allow is a 2xx (or a redirect or the route's own 4xx for a request it
 * understood); deny is 401, or 404 where the route hides what is not the caller's. Portal pages
 * and the identity provider take no bearer credential at all, so every caller gets the same answer.
 * A route the table does not classify fails the suite: a new route must be put in the table.
 *
 * Citizens' access tokens come from the mobile app's real sign-in at the development provider
 * (Authorization Code with PKCE, see sign-in.ts); none is made by the test.
 */

const PRINCIPALS = [
  'anonymous',
  'lenderA',
  'lenderB',
  'revokedLender',
  'citizenA',
  'citizenB',
  'auditor',
  'revokedAuditor',
] as const;
type Principal = (typeof PRINCIPALS)[number];
type Expect = Record<Principal, number>;

const everyone = (status: number): Expect => Object.fromEntries(PRINCIPALS.map((p) => [p, status])) as Expect;
/** Only `who` are let in, with `status`; everyone else is refused with 401. */
const only = (who: readonly Principal[], status: number): Expect =>
  Object.fromEntries(PRINCIPALS.map((p) => [p, who.includes(p) ? status : 401])) as Expect;
const LENDERS: Principal[] = ['lenderA', 'lenderB'];
const CITIZENS: Principal[] = ['citizenA', 'citizenB'];

interface Cell {
  /** The route as the router names it: `METHOD /path/:param`. */
  route: string;
  /** The concrete request target. */
  url: string;
  expect: Expect;
  /** A JSON body (a function of the caller when it differs), or a form body as text. */
  body?: unknown | ((p: Principal) => unknown);
  form?: string;
  /** More to check on an allowed answer, e.g. that it holds only the caller's own data. */
  verify?: (p: Principal, res: RawResponse) => void;
  why: string;
}

describe('the authorisation matrix: every route × every kind of caller', () => {
  let s: SecurityServer;
  let table: Cell[];
  let credential: Record<Principal, string | null>;
  let checkOfA: string;
  let checkOnCitizenA: string;

  before(async () => {
    // A lift waits two days, so that a lift can be asked for and then cancelled.
    s = await startSecurityServer({ env: { LIFT_DELAY: '2d' } });
    credential = {
      anonymous: null,
      lenderA: s.lenderA.apiKey,
      lenderB: s.lenderB.apiKey,
      revokedLender: s.revokedLender.apiKey,
      citizenA: s.citizenA.token,
      citizenB: s.citizenB.token,
      auditor: s.auditor.apiKey,
      revokedAuditor: s.revokedAuditor.apiKey,
    };
    // 256 checks, so that the log has a full tile 0/000 and entry bundle 000.
    const ids: string[] = [];
    for (let i = 0; i < 256; i += 32) {
      const batch = await Promise.all(
        Array.from({ length: 32 }, async (_, j) => {
          const res = await fetch(`${s.origin}/v1/checks`, {
            method: 'POST',
            headers: { authorization: `Bearer ${s.lenderA.apiKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({ iin: s.citizenA.iin, channel: 'remote', reference: `MATRIX-${i + j}` }),
          });
          assert.equal(res.status, 200);
          return ((await res.json()) as { checkId: string }).checkId;
        }),
      );
      ids.push(...batch);
    }
    checkOfA = ids[0] as string;
    checkOnCitizenA = ids[1] as string;

    const json = (r: RawResponse) => jsonOf(r) as Record<string, unknown>;
    const ownBan = (p: Principal) => ({
      lenderTypes: p === 'citizenA' ? ['bank'] : ['mfo'],
      channels: ['remote', 'in_person'],
      term: { indefinite: true },
    });
    const isOwnBan = (p: Principal, r: RawResponse) => {
      const restriction = json(r).restriction as { lenderTypes: string[] } | null;
      assert.ok(restriction, `${p} has a ban`);
      assert.deepEqual(restriction.lenderTypes, ownBan(p).lenderTypes, `${p} sees their own ban, not the other citizen's`);
    };

    table = [
      // The check API: lenders only; a check is visible to the lender that made it, and hidden (404) from the other.
      {
        route: 'POST /v1/checks',
        url: '/v1/checks',
        body: { iin: s.citizenA.iin, channel: 'in_person', reference: 'MATRIX-POST' },
        expect: only(LENDERS, 200),
        why: 'a lender’s API key',
      },
      {
        route: 'GET /v1/checks/:checkId',
        url: `/v1/checks/${checkOfA}`,
        expect: { ...only(['lenderA'], 200), lenderB: 404 },
        verify: (p, r) => {
          if (p === 'lenderB') assert.ok(!r.body.toString().includes(checkOfA), 'lender B learns nothing of A’s check');
          else assert.equal(json(r).checkId, checkOfA);
        },
        why: 'the lender that made the check; another lender gets 404, as for no such check',
      },
      { route: 'GET /v1/*', url: '/v1/no-such-thing', expect: everyone(404), why: 'no such route, for anyone' },

      // The mobile API: a citizen's access token, and only their own record.
      {
        route: 'PUT /v1/me/restriction',
        url: '/v1/me/restriction',
        body: ownBan,
        expect: only(CITIZENS, 200),
        verify: isOwnBan,
        why: 'a citizen’s access token',
      },
      {
        route: 'GET /v1/me/restriction',
        url: '/v1/me/restriction',
        expect: only(CITIZENS, 200),
        verify: isOwnBan,
        why: 'a citizen’s access token; each sees their own ban',
      },
      {
        route: 'PATCH /v1/me/restriction',
        url: '/v1/me/restriction',
        body: { channels: ['remote'] },
        expect: only(CITIZENS, 200),
        verify: isOwnBan,
        why: 'a citizen’s access token',
      },
      {
        route: 'POST /v1/me/restriction/lift',
        url: '/v1/me/restriction/lift',
        expect: only(CITIZENS, 200),
        verify: (p, r) =>
          assert.ok((json(r).restriction as { liftEffectiveAt: string | null }).liftEffectiveAt, `${p}'s lift is pending`),
        why: 'a citizen’s access token',
      },
      {
        route: 'DELETE /v1/me/restriction/lift',
        url: '/v1/me/restriction/lift',
        expect: only(CITIZENS, 200),
        why: 'a citizen’s access token',
      },
      {
        route: 'POST /v1/me/exemptions',
        url: '/v1/me/exemptions',
        body: { lenderBin: '', hours: 2 },
        expect: only(CITIZENS, 201),
        why: 'a citizen’s access token',
      },
      {
        route: 'GET /v1/me/history',
        url: '/v1/me/history',
        expect: only(CITIZENS, 200),
        verify: (p, r) => {
          const history = json(r).history as { lenderTypes: string[] }[];
          assert.ok(history.length >= 4, `${p}'s history`);
          for (const h of history) assert.deepEqual(h.lenderTypes, ownBan(p).lenderTypes, `${p} sees only their own history`);
        },
        why: 'a citizen’s access token',
      },
      {
        route: 'GET /v1/me/checks',
        url: '/v1/me/checks',
        expect: only(CITIZENS, 200),
        verify: (p, r) => {
          const ids = (json(r).checks as { checkId: string }[]).map((c) => c.checkId);
          if (p === 'citizenA') assert.ok(ids.includes(checkOnCitizenA), 'A sees the checks on A');
          else assert.deepEqual(ids, [], 'B sees none of the checks on A');
        },
        why: 'a citizen’s access token',
      },
      {
        route: 'GET /v1/me/lenders',
        url: '/v1/me/lenders?q=security',
        expect: only(CITIZENS, 200),
        why: 'a citizen’s access token',
      },

      // The transparency log: public, except the entry bundles, which are for auditors only.
      { route: 'GET /log/checkpoint', url: '/log/checkpoint', expect: everyone(200), why: 'public' },
      { route: 'GET /log/key', url: '/log/key', expect: everyone(200), why: 'public' },
      { route: 'GET /log/tile/*', url: '/log/tile/0/000', expect: everyone(200), why: 'a hash tile: public' },
      {
        route: 'GET /log/tile/*',
        url: '/log/tile/entries/000',
        expect: only(['auditor'], 200),
        why: 'an entry bundle: an active auditor key only; no lender key, citizen token or revoked auditor key',
      },
      {
        route: 'GET /log/tile/*',
        url: '/log/tile/entries/000.p/1',
        expect: only(['auditor'], 200),
        why: 'a partial entry bundle: for auditors only, like a full one',
      },
      { route: 'GET /log/proof/inclusion', url: '/log/proof/inclusion?index=0&size=256', expect: everyone(200), why: 'public' },
      { route: 'GET /log/proof/consistency', url: '/log/proof/consistency?from=1&to=256', expect: everyone(200), why: 'public' },

      // The service.
      { route: 'GET /healthz', url: '/healthz', expect: everyone(200), why: 'public' },
      { route: 'GET /readyz', url: '/readyz', expect: everyone(200), why: 'public' },
      { route: 'GET /openapi.json', url: '/openapi.json', expect: everyone(200), why: 'public' },
      { route: 'GET /docs', url: '/docs', expect: everyone(200), why: 'public' },
      { route: 'GET /docs/', url: '/docs/', expect: everyone(200), why: 'public' },
      { route: 'GET /docs/json', url: '/docs/json', expect: everyone(200), why: 'public' },
      { route: 'GET /docs/yaml', url: '/docs/yaml', expect: everyone(200), why: 'public' },
      { route: 'GET /docs/static/index.html', url: '/docs/static/index.html', expect: everyone(302), why: 'public' },
      {
        route: 'GET /docs/static/swagger-initializer.js',
        url: '/docs/static/swagger-initializer.js',
        expect: everyone(200),
        why: 'public',
      },
      { route: 'GET /docs/static/*', url: '/docs/static/swagger-ui.css', expect: everyone(200), why: 'public' },
      { route: 'GET /docs/*', url: '/docs/no-such-thing', expect: everyone(404), why: 'no such page, for anyone' },

      // The portal: a session cookie signs a citizen in, never a bearer credential, so every caller
      // here is a visitor who is not signed in: public pages answer, the others send to sign-in.
      { route: 'GET /', url: '/', expect: everyone(200), why: 'the start page' },
      { route: 'GET /safety', url: '/safety', expect: everyone(200), why: 'public advice' },
      ...(
        [
          ['GET', '/history'],
          ['GET', '/checks'],
          ['GET', '/statement'],
          ['GET', '/statement/receipts/:index'],
          ['GET', '/restriction/edit'],
          ['POST', '/restriction/edit'],
          ['POST', '/restriction/confirm'],
          ['GET', '/restriction/done'],
          ['GET', '/restriction/lift'],
          ['POST', '/restriction/lift'],
          ['POST', '/restriction/lift/cancel'],
          ['POST', '/exemptions'],
          ['GET', '/exemptions/new'],
        ] as const
      ).map(
        ([method, path]): Cell => ({
          route: `${method} ${path}`,
          url: path.replace(':index', '0'),
          ...(method === 'POST' ? { form: 'a=1' } : {}),
          expect: everyone(302),
          verify: (_p, r) => assert.match(r.headers.location ?? '', /^\/auth\/login\?returnTo=/),
          why: 'signed-in pages: a bearer credential is no session, so sign in first',
        }),
      ),
      { route: 'GET /auth/login', url: '/auth/login', expect: everyone(302), why: 'starts a sign-in at the provider' },
      { route: 'GET /auth/callback', url: '/auth/callback', expect: everyone(400), why: 'no sign-in to finish' },
      { route: 'POST /auth/logout', url: '/auth/logout', form: 'a=1', expect: everyone(403), why: 'no CSRF token of a session' },
      { route: 'GET /assets/app.css', url: '/assets/app.css', expect: everyone(200), why: 'public' },
      { route: 'GET /assets/app.mjs', url: '/assets/app.mjs', expect: everyone(200), why: 'public' },
      {
        route: 'GET /assets/govuk/*',
        url: '/assets/govuk/govuk-frontend.min.js',
        expect: everyone(200),
        why: 'public',
      },
      {
        route: 'GET /assets/fonts/*',
        url: '/assets/fonts/noto-sans-cyrillic-400-normal.woff2',
        expect: everyone(200),
        why: 'public',
      },
      { route: 'GET /*', url: '/no-such-page', expect: everyone(404), why: 'no such page, for anyone' },

      // The development identity provider: an OpenID Connect provider, whose endpoints take no API credential.
      ...['DELETE', 'GET', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE'].map(
        (method): Cell => ({ route: `${method} /dev-idp`, url: '/dev-idp', expect: everyone(404), why: 'nothing at the root' }),
      ),
      { route: 'QUERY /dev-idp', url: '/dev-idp', expect: everyone(400), why: 'nothing at the root' },
      { route: 'GET /dev-idp/*', url: '/dev-idp/jwks', expect: everyone(200), why: 'the provider’s public keys' },
      {
        route: 'GET /dev-idp/*',
        url: '/dev-idp/me',
        expect: { ...everyone(401), anonymous: 400 },
        why: 'userinfo: no access token given to a lender, an auditor or for the /v1/me API opens it',
      },
      {
        route: 'POST /dev-idp/*',
        url: '/dev-idp/token',
        form: 'a=1',
        expect: everyone(400),
        why: 'a token request with no grant',
      },
      ...['DELETE', 'OPTIONS', 'PATCH', 'PUT', 'TRACE'].map(
        (method): Cell => ({
          route: `${method} /dev-idp/*`,
          url: '/dev-idp/token',
          expect: everyone(404),
          why: 'no such endpoint',
        }),
      ),
      { route: 'QUERY /dev-idp/*', url: '/dev-idp/token', expect: everyone(400), why: 'no such endpoint' },
      { route: 'GET /dev-idp/assets/sign-out.js', url: '/dev-idp/assets/sign-out.js', expect: everyone(200), why: 'public' },
      {
        route: 'GET /dev-idp/interaction/:uid',
        url: '/dev-idp/interaction/no-such-uid',
        expect: everyone(400),
        why: 'no sign-in in progress',
      },
      ...['login', 'consent', 'abort'].map(
        (step): Cell => ({
          route: `POST /dev-idp/interaction/:uid/${step}`,
          url: `/dev-idp/interaction/no-such-uid/${step}`,
          form: 'iin=1',
          expect: everyone(400),
          why: 'no sign-in in progress',
        }),
      ),
    ];
    // The exemption names lender A, which exists only now.
    const exemption = table.find((c) => c.route === 'POST /v1/me/exemptions') as Cell;
    exemption.body = { lenderBin: s.lenderA.bin, hours: 2 };
  });

  after(async () => {
    await s?.close();
  });

  test('the table classifies every route of the app, and only routes the app has', () => {
    const inApp = new Set(appRoutes(s.app).map(routeKey));
    const inTable = new Set(table.map((c) => c.route));
    const unclassified = [...inApp].filter((r) => !inTable.has(r));
    const stale = [...inTable].filter((r) => !inApp.has(r));
    assert.deepEqual(
      unclassified,
      [],
      `routes with no row in the authorisation table; say who may call them:\n${unclassified.join('\n')}`,
    );
    assert.deepEqual(stale, [], `rows for routes the app does not have:\n${stale.join('\n')}`);
  });

  test('every cell answers as the table says, by GET and by HEAD alike', async (t) => {
    const wrong: string[] = [];
    let cells = 0;
    for (const cell of table) {
      const method = cell.route.slice(0, cell.route.indexOf(' '));
      for (const head of method === 'GET' ? [false, true] : [false]) {
        for (const p of PRINCIPALS) {
          const headers: [string, string][] = [];
          const key = credential[p];
          if (key !== null) headers.push(['Authorization', `Bearer ${key}`]);
          const body = typeof cell.body === 'function' ? (cell.body as (p: Principal) => unknown)(p) : cell.body;
          const request: RawRequest = { method: head ? 'HEAD' : method, target: cell.url, headers };
          if (body !== undefined) {
            headers.push(['Content-Type', 'application/json']);
            request.body = JSON.stringify(body);
          } else if (cell.form !== undefined) {
            headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
            request.body = cell.form;
          }
          const res = await send(s.port, request);
          cells++;
          const name = `${request.method} ${cell.url} as ${p}`;
          if (res === null) {
            wrong.push(`${name}: no answer`);
            continue;
          }
          const expected = cell.expect[p];
          if (res.status !== expected) {
            const shown = res.body.toString('utf8', 0, 200).replace(/[^\x20-\x7e\u0400-\u04ff]/g, '.');
            wrong.push(`${name}: expected ${expected}, got ${res.status} ${shown} (${cell.why})`);
            continue;
          }
          if (res.status === 401 && cell.url.match(/^\/(v1|log)\//)) {
            if (!/^Bearer\b/.test(res.headers['www-authenticate'] ?? ''))
              wrong.push(`${name}: a 401 without WWW-Authenticate: Bearer`);
            if (!head) {
              const error = (jsonOf(res) as { error?: { code?: string } } | undefined)?.error;
              if (error?.code !== 'unauthorized' || ERRORS.unauthorized.status !== 401)
                wrong.push(`${name}: ${res.body.toString()}`);
            }
          }
          // The allowed answers, and a denial that hides (404), hold only what this caller may see.
          if (!head && cell.verify && expected !== 401) {
            try {
              cell.verify(p, res);
            } catch (e) {
              wrong.push(`${name}: ${(e as Error).message}`);
            }
          }
        }
      }
    }
    t.diagnostic(
      `${cells} cells over ${new Set(table.map((c) => c.route)).size} routes and ${PRINCIPALS.length} kinds of caller`,
    );
    assert.deepEqual(wrong, [], `${wrong.length} cells answered otherwise than the table says:\n${wrong.join('\n')}`);
  });
});
