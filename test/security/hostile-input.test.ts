import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { ERRORS } from '../../src/errors.js';
import { MOBILE_REDIRECT_URI } from '../../src/idp/dev-idp.js';
import { auditLog } from '../../src/log/audit.js';
import { pool } from '../helpers/cli.js';
import { ENGINE } from '../helpers/engine.js';
import {
  authorization,
  authorizeQuery,
  contentType,
  countParam,
  devIdpTail,
  fileTail,
  forgedTokens,
  type HostileBody,
  hostileFormBody,
  hostileJsonBody,
  hostileNumber,
  hostileSegment,
  hostileString,
  IDEMPOTENCY_KEYS,
  iinInBytes,
  iinInText,
  pct,
  returnTo,
  spellingsOf,
  tileTail,
  VICTIMS,
  victimIin,
  wrongValue,
  X_REQUEST_IDS,
} from './hostile.js';
import { jsonOf, type RawRequest, type RawResponse, send } from './raw-http.js';
import { type AppRoute, appRoutes, routeKey } from './routes.js';
import { type SecurityServer, startSecurityServer } from './server.js';
import { type PortalSession, portalSession } from './sign-in.js';

/*
 * At least 1,000 generated hostile requests, spread over every route the app has (read from its
 * router, so a new route is covered without being named here), sent as raw bytes to the app
 * listening on 127.0.0.1. Every answer must be a clear 4xx (or a success), never a 5xx; every JSON
 * error has exactly the catalogue's shape; the server lives on; and no IIN the requests carried
 * reaches the logs, the database files or the transparency log.
 *
 * The generators are seeded: the same seed gives the same requests (up to the keys and ids of the
 * run). A failure names the seed; SECURITY_SEED=<n> replays another.
 */

const SEED = Number(process.env.SECURITY_SEED ?? 20261202);
const MIN_REQUESTS = 1_200;
const CONCURRENCY = 6;
const REQUEST_TIMEOUT_MS = 10_000;

/** How a route's answers are judged, and which inputs suit it. */
type Family = 'check' | 'check-get' | 'me' | 'tile' | 'proof' | 'json' | 'docs' | 'dev-idp' | 'assets' | 'portal';

function familyOf(path: string, method: string): Family {
  if (path === '/v1/checks' && method === 'POST') return 'check';
  if (path.startsWith('/v1/checks/')) return 'check-get';
  if (path.startsWith('/v1/me')) return 'me';
  if (path.startsWith('/log/tile/')) return 'tile';
  if (path.startsWith('/log/proof/')) return 'proof';
  if (path.startsWith('/v1/') || path.startsWith('/log/') || ['/healthz', '/readyz', '/openapi.json'].includes(path))
    return 'json';
  if (path.startsWith('/docs')) return 'docs';
  if (path.startsWith('/dev-idp')) return 'dev-idp';
  if (path.startsWith('/assets/')) return 'assets';
  return 'portal';
}

/** Routes whose every error is the catalogue's JSON. */
const JSON_FAMILIES: ReadonlySet<Family> = new Set(['check', 'check-get', 'me', 'tile', 'proof', 'json']);

interface Hostile {
  route: string;
  family: Family;
  request: RawRequest;
  /** What was sent, short, for a failure report. */
  summary: string;
}

interface Context {
  checkIds: string[];
  uids: string[];
  forged: string[];
  /** A signed-in portal session; sign-out requests get one of their own, so that the others stay signed in. */
  session: PortalSession;
  signOutSession: PortalSession;
  s: SecurityServer;
}

const OTHER_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE'] as const;
const PORTAL_FIELDS = [
  'lenderTypes',
  'channels',
  'term',
  'months',
  'lastDay-day',
  'lastDay-month',
  'lastDay-year',
  'lenderBin',
  'hours',
  'q',
  'change',
  'lang',
  'returnTo',
];
const DEV_IDP_FIELDS = [
  'iin',
  'decision',
  'lang',
  'grant_type',
  'code',
  'code_verifier',
  'client_id',
  'redirect_uri',
  'refresh_token',
  'token',
  'logout',
  'xsrf',
];

function maybe<T>(arb: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });
}

const checkValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      iin: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...VICTIMS) }, { weight: 2, arbitrary: victimIin }, wrongValue),
      channel: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('remote', 'in_person') }, wrongValue),
      reference: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom('APP-2026-000123', 'ref-1', 'Заявка №5', '😀 loan') },
        { weight: 3, arbitrary: hostileString },
        wrongValue,
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      { iin: wrongValue, channel: wrongValue, reference: wrongValue, note: victimIin, extra: wrongValue },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: wrongValue },
);

const subsetOf = (values: readonly string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.subarray([...values], { minLength: 1 }) },
    fc.constantFrom([], [values[0], values[0]], ['x'], values[0]),
    wrongValue,
  );

const termValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({ months: fc.oneof(fc.integer({ min: 1, max: 6 }), hostileNumber, wrongValue) }),
  fc.record({
    until: fc.oneof(fc.constantFrom('2027-01-31', '2026-13-45', '1900-01-01', '9999-12-31', '2027-02-29'), hostileString),
  }),
  fc.record({ indefinite: fc.oneof(fc.constant(true), wrongValue) }),
  fc.constantFrom({ months: 1, indefinite: true }, {}, { months: 1, until: '2027-01-01' }),
  wrongValue,
);

const banValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record(
      { lenderTypes: subsetOf(['bank', 'mfo']), channels: subsetOf(['remote', 'in_person']), term: termValue, extra: wrongValue },
      { requiredKeys: ['lenderTypes', 'channels', 'term'] },
    ),
  },
  {
    weight: 2,
    arbitrary: fc.record(
      { lenderTypes: subsetOf(['bank', 'mfo']), channels: subsetOf(['remote', 'in_person']), term: termValue },
      { requiredKeys: [] },
    ),
  },
  wrongValue,
);

function exemptionValue(bins: readonly string[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        lenderBin: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...bins) }, victimIin, wrongValue),
        hours: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 72 }) }, hostileNumber, wrongValue),
      }),
    },
    wrongValue,
  );
}

/** The route's pattern with each parameter and wildcard filled in, hostile or real. */
function pathFor(route: AppRoute, ctx: Context): fc.Arbitrary<string> {
  const parts: fc.Arbitrary<string>[] = [];
  for (const piece of route.path.split(/(:[A-Za-z]+|\*)/)) {
    if (piece === ':checkId') parts.push(fc.oneof(fc.constantFrom(...ctx.checkIds), hostileSegment));
    else if (piece === ':uid') parts.push(fc.oneof(fc.constantFrom(...ctx.uids), hostileSegment));
    else if (piece === ':index') parts.push(countParam);
    else if (piece === '*') {
      const before = route.path.slice(0, route.path.indexOf('*'));
      parts.push(
        before === '/log/tile/'
          ? tileTail
          : before.startsWith('/assets/') || before.startsWith('/docs/static/')
            ? fileTail
            : before === '/dev-idp/'
              ? devIdpTail
              : fc.array(hostileSegment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/')),
      );
    } else if (piece.startsWith(':')) parts.push(hostileSegment);
    else parts.push(fc.constant(piece));
  }
  return fc.tuple(...parts).map((p) => p.join(''));
}

/** A query string that suits the route, or a hostile one. */
function queryFor(route: AppRoute): fc.Arbitrary<string> {
  const generic = fc.oneof(
    { weight: 4, arbitrary: fc.constant('') },
    victimIin.map((v) => `?iin=${pct(v)}`),
    hostileString.map((v) => `?lang=${pct(v)}`),
    fc.tuple(hostileString, hostileString).map(([k, v]) => `?${pct(k)}=${pct(v)}`),
    fc.constantFrom(`?${'a=1&'.repeat(1500)}`, '?%', '?a=%ff', '?__proto__[x]=1', '?constructor.prototype.x=1', '?a[b][c][d]=1'),
  );
  const specific: Record<string, fc.Arbitrary<string>> = {
    '/log/proof/inclusion': fc
      .tuple(countParam, countParam, fc.nat({ max: 3 }))
      .map(
        ([i, n, v]) =>
          [`?index=${i}&size=${n}`, `?index=${i}`, `?size=${n}&index=${i}&index=0`, `?index=${i}&size=${n}&x=1`][v] as string,
      ),
    '/log/proof/consistency': fc
      .tuple(countParam, countParam, fc.nat({ max: 3 }))
      .map(
        ([a, b, v]) =>
          [`?from=${a}&to=${b}`, `?to=${b}`, `?from=${a}&from=${b}&to=${b}`, `?from=${a}&to=${b}&size=1`][v] as string,
      ),
    '/v1/me/lenders': fc.oneof(
      hostileString.map((q) => `?q=${pct(q.slice(0, 300))}`),
      fc.constantFrom('?q=Bank', '?q=&q=x', '?x=1'),
    ),
    '/checks': countParam.map((p) => `?page=${p}`),
    '/auth/login': returnTo.map((r) => `?returnTo=${r}`),
    '/auth/callback': fc.record({ code: hostileString, state: hostileString, iss: hostileString, error: hostileString }).map(
      (q) =>
        `?${Object.entries(q)
          .map(([k, v]) => `${k}=${pct(v.slice(0, 200))}`)
          .join('&')}`,
    ),
    '/dev-idp/*': authorizeQuery.map((q) => `?${q}`),
  };
  const own = specific[route.path];
  return own === undefined ? generic : fc.oneof({ weight: 3, arbitrary: own }, generic);
}

function bodyFor(family: Family, route: AppRoute, method: string, ctx: Context): fc.Arbitrary<HostileBody | null> {
  const bins = [ctx.s.lenderA.bin, ctx.s.lenderB.bin, ctx.s.revokedLender.bin];
  const any = hostileJsonBody(wrongValue);
  const writes = method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE';
  if (family === 'check') return hostileJsonBody(checkValue);
  if (family === 'me' && route.path === '/v1/me/exemptions') return hostileJsonBody(exemptionValue(bins));
  if (family === 'me' && route.path === '/v1/me/restriction' && (method === 'PUT' || method === 'PATCH'))
    return hostileJsonBody(banValue);
  if (family === 'portal' && writes) {
    const form = hostileFormBody(PORTAL_FIELDS);
    const withToken = form.map((b) => ({
      bytes: Buffer.concat([Buffer.from(`_csrf=${ctx.session.csrf}&`), b.bytes]),
      kind: 'form',
    }));
    return fc.oneof({ weight: 3, arbitrary: withToken }, form, any);
  }
  if (family === 'dev-idp' && writes) return fc.oneof({ weight: 3, arbitrary: hostileFormBody(DEV_IDP_FIELDS) }, any);
  return maybe(writes ? any : fc.oneof(any, hostileFormBody(PORTAL_FIELDS)), writes ? 2 : 8);
}

/** Header lines that break HTTP itself; each is answered by the parser or the router, never by a 5xx. */
const BROKEN_HEADERS: readonly [string, string][][] = [
  [['X-Evil', 'a\u0001b']],
  [['X-Evil', 'a\u0000b']],
  [['Content-Length', '5, 6']],
  [['Transfer-Encoding', 'chunked, identity']],
  [['Expect', '100-continue']],
  [['X-Long', 'x'.repeat(9000)]],
  [['Host', 'evil.example']],
  [['Host', '']],
  [['Transfer-Encoding', 'chunked']],
  [['Cookie', `sessionId=${pct(VICTIMS[0] as string)}; sessionId=x`]],
  [['Cookie', 'a=b; \u0080=\u00ff']],
  [
    ['Authorization', 'Bearer a'],
    ['Authorization', 'Bearer b'],
  ],
];

/** The parts of a request that a generator varies. */
interface Aspects {
  method: string;
  path: string;
  query: string;
  auth: string | null;
  body: HostileBody | null;
  type: string | null;
  idempotencyKey: string | null;
  requestId: string | null;
  accept: string | null;
  acceptEncoding: string | null;
  acceptLanguage: string | null;
  cookie: string | null;
  broken: [string, string][] | null;
}

const ASPECTS = [
  'method',
  'path',
  'query',
  'auth',
  'body',
  'type',
  'idempotencyKey',
  'requestId',
  'accept',
  'acceptEncoding',
  'acceptLanguage',
  'cookie',
  'broken',
] as const satisfies readonly (keyof Aspects)[];

const json = (value: unknown): HostileBody => ({ bytes: Buffer.from(JSON.stringify(value), 'utf8'), kind: 'json' });

/** A request the route would serve: real ids, the right credentials and content type, a valid body. */
function validAspects(route: AppRoute, family: Family, ctx: Context, n: number): Aspects {
  const { s } = ctx;
  const credential: Record<Family, string | null> = {
    check: s.lenderA.apiKey,
    'check-get': s.lenderA.apiKey,
    me: s.citizenA.token,
    tile: s.auditor.apiKey,
    proof: null,
    json: null,
    docs: null,
    'dev-idp': null,
    assets: null,
    portal: null,
  };
  const tail: Record<string, string> = {
    '/log/tile/*': 'entries/000.p/1',
    '/dev-idp/*': '.well-known/openid-configuration',
  };
  const path = route.path
    .replace(':checkId', ctx.checkIds[0] as string)
    .replace(':uid', ctx.uids[0] as string)
    .replace(':index', '0')
    .replace('*', tail[route.path] ?? 'app.css');
  const query: Record<string, string> = {
    '/log/proof/inclusion': '?index=0&size=1',
    '/log/proof/consistency': '?from=1&to=2',
    '/v1/me/lenders': '?q=bank',
  };
  const writes = ['POST', 'PUT', 'PATCH'].includes(route.method);
  let body: HostileBody | null = null;
  if (family === 'check') body = json({ iin: VICTIMS[n % VICTIMS.length], channel: 'remote', reference: `SEC-${n}` });
  else if (route.path === '/v1/me/restriction' && route.method === 'PUT')
    body = json({ lenderTypes: ['bank', 'mfo'], channels: ['remote', 'in_person'], term: { indefinite: true } });
  else if (route.path === '/v1/me/restriction' && route.method === 'PATCH') body = json({ channels: ['remote'] });
  else if (route.path === '/v1/me/exemptions') body = json({ lenderBin: s.lenderB.bin, hours: 2 });
  else if (family === 'portal' && writes) body = { bytes: Buffer.from(`_csrf=${ctx.session.csrf}`), kind: 'form' };
  return {
    method: route.method,
    path,
    query: query[route.path] ?? '',
    auth: credential[family] === null ? null : `Bearer ${credential[family]}`,
    body,
    type: body === null ? null : family === 'portal' ? 'application/x-www-form-urlencoded' : 'application/json',
    idempotencyKey: null,
    requestId: null,
    accept: null,
    acceptEncoding: null,
    acceptLanguage: null,
    cookie: family === 'portal' ? ctx.session.cookie : null,
    broken: null,
  };
}

/**
 * Requests for one route: half are a valid request with exactly one hostile part (so that the
 * hostile part reaches as deep as a valid request goes, e.g. an Idempotency-Key that is recorded),
 * half are hostile in every part at once.
 */
function requestFor(route: AppRoute, ctx: Context, credentials: fc.Arbitrary<string | null>): fc.Arbitrary<Hostile> {
  const family = familyOf(route.path, route.method);
  const method = fc.oneof({ weight: 8, arbitrary: fc.constant(route.method) }, fc.constantFrom(...OTHER_METHODS));
  const s = ctx.s;
  const preferred: Record<Family, string[]> = {
    check: [s.lenderA.apiKey, s.lenderB.apiKey],
    'check-get': [s.lenderA.apiKey, s.lenderB.apiKey],
    me: [s.citizenA.token, s.citizenB.token],
    tile: [s.auditor.apiKey, s.lenderA.apiKey],
    proof: [s.lenderA.apiKey],
    json: [s.lenderA.apiKey],
    docs: [s.lenderA.apiKey],
    'dev-idp': [s.citizenA.token],
    assets: [s.lenderA.apiKey],
    portal: [s.citizenA.token],
  };
  const auth = fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...preferred[family]).map((k) => `Bearer ${k}`) }, credentials);
  const ownType = family === 'portal' || family === 'dev-idp' ? 'application/x-www-form-urlencoded' : 'application/json';
  const hostileAspects = method.chain((m) =>
    fc.record({
      method: fc.constant(m),
      path: pathFor(route, ctx),
      query: queryFor(route),
      auth,
      body: bodyFor(family, route, m, ctx),
      type: fc.oneof({ weight: 3, arbitrary: fc.constant<string | null>(ownType) }, contentType),
      idempotencyKey: maybe(fc.constantFrom(...IDEMPOTENCY_KEYS), 3),
      requestId: maybe(fc.constantFrom(...X_REQUEST_IDS), 3),
      accept: maybe(fc.constantFrom('text/html', 'application/json;q=0', '*/*', 'application/xml', 'тыйым', ''), 6),
      acceptEncoding: maybe(fc.constantFrom('gzip', 'br', 'gzip;q=0', '*', 'identity;q=0', 'x'.repeat(300)), 6),
      acceptLanguage: maybe(fc.constantFrom('kk', 'ru-RU,ru;q=0.9', 'x'.repeat(500), '*', 'тыйым', '../'), 8),
      cookie: maybe(
        fc.oneof(
          { weight: 3, arbitrary: fc.constant(ctx.session.cookie) },
          hostileString.map((v) => `sessionId=${pct(v.slice(0, 200))}`),
          fc.constantFrom('lang=xx', 'lang=../../', `${ctx.session.cookie}; ${ctx.session.cookie}`),
        ),
        family === 'portal' ? 2 : 6,
      ),
      broken: maybe(fc.constantFrom(...BROKEN_HEADERS), 15),
    }),
  );
  // One hostile part in an otherwise valid request; a part that is null when hostile (no header) is made present.
  const oneHostilePart = fc.tuple(fc.constantFrom(...ASPECTS), hostileAspects, fc.nat()).map(([aspect, hostile, n]): Aspects => {
    const valid = validAspects(route, family, ctx, n);
    const present: Partial<Aspects> = {
      idempotencyKey: IDEMPOTENCY_KEYS[n % IDEMPOTENCY_KEYS.length] as string,
      requestId: X_REQUEST_IDS[n % X_REQUEST_IDS.length] as string,
      broken: BROKEN_HEADERS[n % BROKEN_HEADERS.length] as [string, string][],
    };
    const value = hostile[aspect] ?? present[aspect] ?? null;
    return { ...valid, [aspect]: value, ...(aspect === 'body' && value !== null ? { type: ownType } : {}) };
  });
  return fc.oneof(oneHostilePart, hostileAspects).map((g): Hostile => {
    const headers: [string, string][] = [];
    if (g.auth !== null) headers.push(['Authorization', g.auth]);
    if (g.body !== null && g.type !== null) headers.push(['Content-Type', g.type]);
    if (g.idempotencyKey !== null) headers.push(['Idempotency-Key', g.idempotencyKey]);
    if (g.requestId !== null) headers.push(['X-Request-Id', g.requestId]);
    if (g.accept !== null) headers.push(['Accept', g.accept]);
    if (g.acceptEncoding !== null) headers.push(['Accept-Encoding', g.acceptEncoding]);
    if (g.acceptLanguage !== null) headers.push(['Accept-Language', g.acceptLanguage]);
    if (g.cookie !== null) headers.push(['Cookie', g.cookie]);
    if (g.broken !== null) headers.push(...g.broken);
    // A chunked body is framed as chunks, so that the server never waits for bytes that will not come.
    const chunked = g.broken?.some(([n, v]) => n === 'Transfer-Encoding' && v === 'chunked') ?? false;
    const bytes = g.body?.bytes ?? null;
    const body = chunked
      ? Buffer.concat([
          ...(bytes === null || bytes.length === 0
            ? []
            : [Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]),
          Buffer.from('0\r\n\r\n'),
        ])
      : bytes;
    const request: RawRequest = {
      method: g.method,
      target: `${g.path}${g.query}`,
      headers,
      ...(body === null ? {} : { body }),
      ...(g.broken?.some(([n]) => n === 'Host') ? { noHost: true } : {}),
    };
    const shownHeaders = headers.map(([n, v]) => `${n}: ${JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v)}`);
    const shownBody =
      g.body === null
        ? ''
        : ` body(${g.body.kind}, ${g.body.bytes.length} B): ${JSON.stringify(g.body.bytes.toString('utf8', 0, 160))}`;
    return {
      route: routeKey(route),
      family,
      request,
      summary: `${g.method} ${JSON.stringify(request.target.slice(0, 200))} [${shownHeaders.join('; ')}]${shownBody}`,
    };
  });
}

/**
 * Requests that do not leave coverage to chance: a valid check and a valid change of a ban with each
 * hostile Idempotency-Key and X-Request-Id, since those are stored or logged only when the request succeeds.
 */
function directed(routes: readonly AppRoute[], ctx: Context): Hostile[] {
  const out: Hostile[] = [];
  const targets = routes.filter(
    (r) => (r.path === '/v1/checks' && r.method === 'POST') || (r.path === '/v1/me/restriction' && r.method === 'PUT'),
  );
  for (const route of targets) {
    const family = familyOf(route.path, route.method);
    const cases: [string, string][] = [
      ...IDEMPOTENCY_KEYS.map((k): [string, string] => ['Idempotency-Key', k]),
      ...X_REQUEST_IDS.map((id): [string, string] => ['X-Request-Id', id]),
    ];
    for (const [n, [name, value]] of cases.entries()) {
      const v = validAspects(route, family, ctx, n);
      const headers: [string, string][] = [
        ['Authorization', v.auth as string],
        ['Content-Type', v.type as string],
        [name, value],
      ];
      out.push({
        route: routeKey(route),
        family,
        request: { method: v.method, target: v.path, headers, body: (v.body as HostileBody).bytes },
        summary: `${v.method} ${v.path} [${name}: ${JSON.stringify(value.slice(0, 80))}] body: ${(v.body as HostileBody).bytes.toString()}`,
      });
    }
  }
  return out;
}

/** Routes that write get more requests: their inputs go deepest. */
function weightOf(route: AppRoute): number {
  if (route.path === '/v1/checks' && route.method === 'POST') return 4;
  if (route.path.startsWith('/v1/me') && route.method !== 'GET') return 3;
  return 1;
}

/**
 * Problems found by this suite that belong to code outside the HTTP layer and are not fixed yet.
 * Each is reported by its own todo test below, with the inputs that show it, instead of failing
 * every run; when it is fixed, that test passes and its entry here should go.
 */
/** Leaks once found outside the HTTP layer; each is now asserted absent, from the generated requests and a probe. */
const KNOWN = {
  languageLinks:
    'the portal’s language links carry over no query parameter but the page number, so ?iin=<IIN> is never shown back',
  loggedUrl: 'a logged path holding an IIN in any spelling (separators, other digits, percent-encoded) has its digits masked',
  proofSize: 'a proof for a size the log has not reached does not echo the size, which may be an IIN',
} as const;
type Known = keyof typeof KNOWN;

/** The body without the language switch's links (`href="?…lang=xx"`). */
const withoutLanguageLinks = (body: string) => body.replace(/href="\?[^"]*lang=(?:kk|ru|en)"/g, '');

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const STACK_TRACE = /\n\s+at [^\n]+:\d+:\d+|node_modules|\/work\/|\.ts:\d+/;

/** What is wrong with an answer, if anything; `known` collects the known problems it shows. */
function problemsOf(h: Hostile, res: RawResponse | null, origin: string, iins: readonly string[], known: Set<Known>): string[] {
  if (res === null) return ['no answer at all'];
  const problems: string[] = [];
  const type = res.headers['content-type'] ?? '';
  const body = res.body.toString('utf8');
  if (res.status >= 500) problems.push(`answered ${res.status}`);
  if (!REQUEST_ID.test(res.headers['x-request-id'] ?? ''))
    problems.push(`X-Request-Id ${JSON.stringify(res.headers['x-request-id'])}`);
  const jsonRoute = JSON_FAMILIES.has(h.family) || (type.startsWith('application/json') && h.family !== 'dev-idp');
  if (jsonRoute && res.status >= 400 && h.request.method !== 'HEAD') {
    const parsed = jsonOf(res) as { error?: Record<string, unknown> } | undefined;
    const error = parsed?.error;
    const exact =
      parsed !== undefined &&
      parsed !== null &&
      typeof parsed === 'object' &&
      Object.keys(parsed).join() === 'error' &&
      error !== undefined &&
      error !== null &&
      typeof error === 'object' &&
      Object.keys(error).sort().join() === 'code,message' &&
      typeof error.code === 'string' &&
      typeof error.message === 'string' &&
      error.message.length > 0;
    const entry = exact ? (ERRORS as Record<string, { status: number }>)[error.code as string] : undefined;
    if (!exact) problems.push(`not the catalogue's shape: ${type} ${body.slice(0, 200)}`);
    else if (entry === undefined || !Object.hasOwn(ERRORS, error.code as string))
      problems.push(`code ${error.code} is not in the catalogue`);
    else if (entry.status !== res.status)
      problems.push(`code ${error.code} is ${entry.status} in the catalogue, answered ${res.status}`);
    if (!type.startsWith('application/json')) problems.push(`an error of a JSON route as ${type}`);
  }
  if (jsonRoute && res.status === 401 && !/^Bearer\b/.test(res.headers['www-authenticate'] ?? '')) {
    problems.push('a 401 without WWW-Authenticate: Bearer');
  }
  const location = res.headers.location;
  if (location !== undefined) {
    let target: URL | null = null;
    try {
      target = new URL(location, origin);
    } catch {
      problems.push(`an unparsable Location ${JSON.stringify(location)}`);
    }
    if (target !== null && target.origin !== origin && !location.startsWith(`${MOBILE_REDIRECT_URI}?`)) {
      problems.push(`a redirect off-site: ${JSON.stringify(location)}`);
    }
  }
  if (res.status >= 400 && STACK_TRACE.test(body)) problems.push(`internals in the answer: ${body.slice(0, 300)}`);
  // The provider's sign-in page shows back the IIN its citizen typed; nothing else may show one.
  if (h.family !== 'dev-idp') {
    // A form shows back what its citizen typed into it (value="…"): their own input, to them alone.
    const shown = h.family === 'portal' ? body.replace(/ value="[^"]*"/g, '') : body;
    const iin = iinInText(shown, iins);
    if (iin === null) {
      // nothing shown
    } else if (h.family === 'portal' && iinInText(withoutLanguageLinks(shown), iins) === null) known.add('languageLinks');
    else if (h.family === 'proof' && new RegExp(`has not reached size ${iin}\\.`).test(body)) known.add('proofSize');
    else problems.push(`the answer shows the IIN ${iin}`);
  }
  return problems;
}

describe('hostile input on every route', () => {
  let s: SecurityServer;
  let ctx: Context;
  let routes: AppRoute[];
  let iins: string[];
  const sent: { hostile: Hostile; status: number | null }[] = [];
  /** The requests that showed each known problem. */
  const knownSeen = new Map<Known, string[]>();
  let elapsedMs = 0;

  before(async () => {
    s = await startSecurityServer();
    iins = [...VICTIMS, s.citizenA.iin, s.citizenB.iin];
    routes = appRoutes(s.app);
    const checkIds: string[] = [];
    for (const [i, iin] of VICTIMS.entries()) {
      const res = await fetch(`${s.origin}/v1/checks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.lenderA.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ iin, channel: 'remote', reference: `SEC-${i}` }),
      });
      const body = (await res.json()) as { checkId: string };
      assert.equal(res.status, 200, JSON.stringify(body));
      checkIds.push(body.checkId);
    }
    // Real interactions at the provider, so that its pages are reached with a uid it knows.
    const uids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const login = await fetch(`${s.origin}/auth/login`, { redirect: 'manual' });
      const auth = await fetch(new URL(login.headers.get('location') ?? '', s.origin), { redirect: 'manual' });
      const uid = /\/interaction\/([^/?]+)/.exec(auth.headers.get('location') ?? '')?.[1];
      assert.ok(uid, 'the provider started an interaction');
      uids.push(uid);
    }
    const session = await portalSession(s.origin, s.citizenA.iin);
    const signOutSession = await portalSession(s.origin, s.citizenA.iin);
    const { apiAudience } = s.services.config.portal.oidc;
    const forged = await forgedTokens(`${s.origin}/dev-idp`, apiAudience, s.citizenA.token, 'security-dev-idp');
    ctx = { checkIds, uids, forged, session, signOutSession, s };
  });

  after(async () => {
    await s?.close();
  });

  test(`at least ${MIN_REQUESTS} generated requests across every route get a clear answer (seed ${SEED})`, async (t) => {
    const credentials = authorization(
      {
        lenderA: s.lenderA.apiKey,
        lenderB: s.lenderB.apiKey,
        revokedLender: s.revokedLender.apiKey,
        rotatedAwayKey: s.rotatedAwayKey,
        auditor: s.auditor.apiKey,
        revokedAuditor: s.revokedAuditor.apiKey,
        citizenA: s.citizenA.token,
        citizenB: s.citizenB.token,
      },
      ctx.forged,
    );
    const perRoute = Math.ceil(MIN_REQUESTS / routes.length);
    const hostile = [
      ...directed(routes, ctx),
      ...routes.flatMap((route, i) =>
        fc.sample(requestFor(route, route.path === '/auth/logout' ? { ...ctx, session: ctx.signOutSession } : ctx, credentials), {
          seed: SEED + i,
          numRuns: perRoute * weightOf(route),
        }),
      ),
    ];
    const started = Date.now();
    const failures: string[] = [];
    await pool(hostile, CONCURRENCY, async (h) => {
      let res: RawResponse | null;
      try {
        res = await send(s.port, h.request, REQUEST_TIMEOUT_MS);
      } catch (e) {
        failures.push(`${h.route}: ${(e as Error).message}\n    sent: ${h.summary}`);
        sent.push({ hostile: h, status: null });
        return;
      }
      sent.push({ hostile: h, status: res?.status ?? null });
      const known = new Set<Known>();
      const problems = problemsOf(h, res, s.origin, iins, known);
      for (const k of known) knownSeen.set(k, [...(knownSeen.get(k) ?? []), h.summary]);
      if (problems.length > 0) {
        failures.push(
          `${h.route}: ${problems.join('; ')}\n    sent: ${h.summary}\n    got: ${res?.status} ${res?.body.toString('utf8', 0, 300)}`,
        );
      }
    });
    elapsedMs = Date.now() - started;
    const byFamily = new Map<string, Map<number | null, number>>();
    for (const x of sent) {
      const counts = byFamily.get(x.hostile.family) ?? new Map<number | null, number>();
      counts.set(x.status, (counts.get(x.status) ?? 0) + 1);
      byFamily.set(x.hostile.family, counts);
    }
    t.diagnostic(`${hostile.length} requests to ${routes.length} routes in ${elapsedMs} ms (seed ${SEED})`);
    for (const [family, counts] of [...byFamily].sort()) {
      const shown = [...counts].sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0)).map(([status, n]) => `${status}×${n}`);
      t.diagnostic(`${family}: ${shown.join(' ')}`);
    }
    assert.ok(hostile.length >= MIN_REQUESTS, `${hostile.length} requests generated`);
    assert.deepEqual(
      failures.slice(0, 25),
      [],
      `${failures.length} of ${hostile.length} hostile requests were answered badly (seed ${SEED}; replay with SECURITY_SEED=${SEED}):\n${failures.slice(0, 25).join('\n')}`,
    );
    // Not vacuous: every route was reached, and most requests were refused rather than served.
    for (const route of routes) {
      assert.ok(
        sent.some((x) => x.hostile.route === routeKey(route)),
        `${routeKey(route)} got requests`,
      );
    }
    const refused = sent.filter((x) => x.status !== null && x.status >= 400).length;
    assert.ok(refused > hostile.length / 2, `${refused} of ${hostile.length} refused`);
    assert.ok(elapsedMs < 60_000, `took ${elapsedMs} ms`);
  });

  test('the server is still alive and ready, and its log still audits', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const res = await send(s.port, { method: 'GET', target: path, headers: [] });
      assert.equal(res?.status, 200, `${path}: ${res?.body.toString()}`);
    }
    const key = s.services.secrets.logKey;
    assert.ok(key);
    const report = await auditLog(s.services.store.log, { verifierKey: key.verifierKey });
    assert.ok(report.entries >= VICTIMS.length, `${report.entries} entries`);
  });

  test('no IIN the requests carried is in the logs', () => {
    const text = s.logText();
    const lines = text.split('\n').filter((l) => l !== '');
    assert.ok(lines.length > sent.length, 'every request was logged');
    const leaks: string[] = [];
    for (const line of lines) {
      const iin = iinInText(line, iins);
      if (iin === null) continue;
      if (iinInText(line.replace(/"url":"(?:[^"\\]|\\.)*"/g, '"url":""'), iins) === null) {
        knownSeen.set('loggedUrl', [...(knownSeen.get('loggedUrl') ?? []), line]);
      } else leaks.push(`${iin}: ${line.slice(0, 400)}`);
    }
    assert.deepEqual(leaks.slice(0, 5), [], `${leaks.length} log lines hold an IIN`);
    // The bytes too, as a file would hold them (UTF-16 and integer forms included), outside the known lines.
    const rest = lines.filter((l) => !(knownSeen.get('loggedUrl') ?? []).includes(l)).join('\n');
    assert.equal(iinInBytes(Buffer.from(rest, 'utf8'), iins), null, 'an IIN in the server’s log output');
  });

  test('no IIN the requests carried is in the database: its file, WAL and shm, or every table', async () => {
    const files = await s.stored();
    // Not vacuous: the recent writes are there to be searched.
    if (ENGINE === 'sqlite')
      assert.ok(
        files.some((f) => f.name.endsWith('-wal') && f.bytes.length > 0),
        'the WAL holds recent writes',
      );
    else assert.ok((files.find((f) => f.name === 'table checks')?.bytes.length ?? 0) > 0, 'the checks table holds the checks');
    for (const f of files) assert.equal(iinInBytes(f.bytes, iins), null, `an IIN in ${f.name}`);
  });

  test('no IIN the requests carried is in any entry of the transparency log', async () => {
    const { size } = await s.services.store.log.head();
    assert.ok(size > 0);
    const entries = await s.services.store.log.entries(0, size);
    assert.equal(entries.length, size);
    for (const [i, entry] of entries.entries()) assert.equal(iinInBytes(entry, iins), null, `an IIN in log entry ${i}`);
  });

  test('an IIN in an Idempotency-Key is refused, and an X-Request-Id holding one is replaced', async () => {
    const iin = VICTIMS[3] as string;
    const logFrom = s.logText().length;
    const printable = spellingsOf(iin).filter((v) => /^[\x21-\x7e]+$/.test(v));
    assert.ok(printable.length >= 3);
    for (const [n, spelled] of printable.entries()) {
      for (const key of [spelled, `loan-${spelled}`]) {
        const res = await send(s.port, {
          method: 'POST',
          target: '/v1/checks',
          headers: [
            ['Authorization', `Bearer ${s.lenderA.apiKey}`],
            ['Content-Type', 'application/json'],
            ['Idempotency-Key', key],
          ],
          body: JSON.stringify({ iin, channel: 'remote', reference: `IDEM-${n}` }),
        });
        assert.equal(res?.status, 400, key);
        assert.equal((jsonOf(res as RawResponse) as { error: { code: string } }).error.code, 'invalid_idempotency_key');
      }
      for (const id of [spelled, `req:${spelled}`]) {
        const res = await send(s.port, { method: 'GET', target: '/healthz', headers: [['X-Request-Id', id]] });
        assert.equal(res?.status, 200);
        assert.notEqual(res?.headers['x-request-id'], id);
        assert.match(res?.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
      }
    }
    // A key or an id with digits that are no IIN is kept as it was.
    const plain = await send(s.port, { method: 'GET', target: '/healthz', headers: [['X-Request-Id', 'order-123456789012']] });
    assert.equal(plain?.headers['x-request-id'], 'order-123456789012');
    assert.equal(iinInText(s.logText().slice(logFrom), [iin]), null, 'none of these requests logged the IIN');
  });

  /** A request that shows each known problem every time, whatever the generators happened to send. */
  const probes: Record<Known, () => Promise<boolean>> = {
    languageLinks: async () => {
      const res = await send(s.port, { method: 'GET', target: `/?iin=${VICTIMS[0]}`, headers: [] });
      return res?.body.toString('utf8').includes(VICTIMS[0] as string) ?? false;
    },
    loggedUrl: async () => {
      const spelled = (VICTIMS[1] as string).replace(/(\d{4})(\d{4})(\d{4})/, '$1-$2-$3');
      await send(s.port, {
        method: 'GET',
        target: `/v1/checks/${spelled}`,
        headers: [['Authorization', `Bearer ${s.lenderA.apiKey}`]],
      });
      return s.logText().includes(spelled);
    },
    proofSize: async () => {
      const res = await send(s.port, { method: 'GET', target: `/log/proof/consistency?from=1&to=${VICTIMS[0]}`, headers: [] });
      return res?.body.toString('utf8').includes(VICTIMS[0] as string) ?? false;
    },
  };

  for (const [name, description] of Object.entries(KNOWN) as [Known, string][]) {
    test(`no leak: ${description}`, async () => {
      const seen = knownSeen.get(name) ?? [];
      assert.deepEqual(seen.slice(0, 3), [], `${seen.length} generated requests show it, e.g.:\n${seen.slice(0, 3).join('\n')}`);
      assert.equal(await probes[name](), false, 'the probe request shows it');
    });
  }
});
