import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../../src/app.js';
import { SharedSessionStore } from '../../src/portal/session-store.js';
import { createServices, type Services } from '../../src/services.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/store.js';
import { ENGINE } from '../helpers/engine.js';
import { IIN } from '../helpers/people.js';
import { openTestRegistry, type TestRegistry, testLogKey } from '../helpers/registry.js';
import { Browser, devIdpSecrets, freePort } from './portal-app.js';

/**
 * Several `tyiym serve` nodes on one database, behind one address: no answer depends on the node
 * asked. Each node here is an app of its own, with its own connection to the store; the portal's
 * calls to the identity provider (discovery, code, userinfo) go through a round-robin proxy at the
 * public URL, and the browser picks the node of each request itself.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** A round-robin balancer in front of the nodes. */
function balancer(ports: () => number[]): http.Server {
  let next = 0;
  return http.createServer((req, res) => {
    const all = ports();
    const port = all[next++ % all.length] as number;
    const upstream = http.request(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
}

const portOf = (app: FastifyInstance) => (app.server.address() as net.AddressInfo).port;

/** The session id a browser's cookie carries (the cookie is the id, a dot and its signature). */
function sessionIdOf(cookieHeader: string): string {
  const raw = cookieHeader
    .split('; ')
    .find((c) => c.startsWith('tyiym_session='))
    ?.slice('tyiym_session='.length);
  assert.ok(raw, 'a session cookie');
  const value = decodeURIComponent(raw);
  return value.slice(0, value.lastIndexOf('.'));
}

/** The ways an IIN could be written into a row or a file: ASCII/UTF-8, UTF-16LE, a big-endian integer. */
function encodings(iin: string): { name: string; bytes: Buffer }[] {
  const asInt = Buffer.alloc(8);
  asInt.writeBigUInt64BE(BigInt(iin));
  return [
    { name: 'ASCII', bytes: Buffer.from(iin, 'latin1') },
    { name: 'UTF-16LE', bytes: Buffer.from(iin, 'utf16le') },
    { name: 'big-endian integer', bytes: asInt.subarray(2) },
  ];
}

type RawRow = Record<string, unknown>;

/** The rows of the two tables, read past the repositories: a second connection of the test's own. */
async function rawRows(reg: TestRegistry): Promise<{ sessions: RawRow[]; idp: RawRow[] }> {
  if (ENGINE === 'sqlite') {
    const db = new Database(reg.dbPath, { readonly: true });
    try {
      return {
        sessions: db.prepare('SELECT * FROM portal_sessions').all() as RawRow[],
        idp: db.prepare('SELECT * FROM dev_idp_records').all() as RawRow[],
      };
    } finally {
      db.close();
    }
  }
  const url = new URL(reg.databaseUrl);
  const options = url.searchParams.get('options') ?? undefined;
  url.searchParams.delete('options');
  const client = new pg.Client({ connectionString: url.toString(), options });
  await client.connect();
  try {
    return {
      sessions: (await client.query('SELECT * FROM portal_sessions')).rows,
      idp: (await client.query('SELECT * FROM dev_idp_records')).rows,
    };
  } finally {
    await client.end();
  }
}

/** A row's every value as bytes, one after the other. */
function bytesOf(row: RawRow): Buffer {
  return Buffer.concat(
    Object.values(row).map((v) =>
      Buffer.isBuffer(v) ? v : Buffer.from(v instanceof Date ? v.toISOString() : String(v ?? ''), 'utf8'),
    ),
  );
}

describe('several nodes on one database', () => {
  let reg: TestRegistry;
  let services: Services;
  /** Every store opened here besides the registry's own, closed at the end. */
  const stores: Store[] = [];
  let nodes: FastifyInstance[] = [];
  let proxy: http.Server;
  /** Moves the portal sessions' clock (not the provider's): every node reads the same. */
  let offset = 0;
  const now = () => Date.now() + offset;

  /** A node: its own connection to the database, its own services and app, the same configuration and secrets. */
  async function openNode(listen = true): Promise<FastifyInstance> {
    const { origin } = services.config.log;
    const store = await openStore(services.config.database, { origin, key: testLogKey(origin) });
    stores.push(store);
    const own = createServices({ config: services.config, store, clock: reg.clock, secrets: services.secrets });
    const sessionStore = new SharedSessionStore(store.sessions, {
      idleMs: services.config.portal.sessionIdleMinutes * MINUTE,
      absoluteMs: services.config.portal.sessionAbsoluteHours * HOUR,
      now,
    });
    const app = await buildApp(own, { logger: false, sessionStore });
    if (listen) await app.listen({ port: 0, host: '127.0.0.1' });
    return app;
  }

  before(async () => {
    const publicPort = await freePort();
    reg = await openTestRegistry({ env: { DEV_IDP: 'true', PUBLIC_URL: `http://127.0.0.1:${publicPort}` } });
    services = { ...reg.services, secrets: { ...reg.services.secrets, devIdp: devIdpSecrets() } };
    nodes = [await openNode(), await openNode()];
    proxy = balancer(() => nodes.filter((n) => n.server.listening).map(portOf));
    await new Promise<void>((resolve) => proxy.listen(publicPort, '127.0.0.1', resolve));
  });

  after(async () => {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
    for (const node of nodes) await node.close();
    for (const store of stores) await store.close();
    await reg.close();
  });

  const [A, B] = [() => nodes[0] as FastifyInstance, () => nodes[1] as FastifyInstance];

  /** A browser that asks the nodes in turn, one request each. */
  function alternating(): Browser {
    let n = 0;
    return new Browser(() => nodes[n++ % nodes.length] as FastifyInstance);
  }

  /** Whether the cookie header is a signed-in session on that node. */
  async function signedInOn(node: FastifyInstance, cookie: string): Promise<boolean> {
    const res = await node.inject({ url: '/history', headers: { cookie, 'accept-language': 'en' } });
    if (res.statusCode === 200) return true;
    assert.equal(res.statusCode, 302);
    assert.match(String(res.headers.location), /^\/auth\/login/);
    return false;
  }

  it('a sign-in begun on node A finishes on node B, and both nodes honour the session', async () => {
    let on = A;
    const browser = new Browser(() => on());
    // On A: the portal starts the sign-in, the provider opens its interaction and shows its sign-in page.
    const login = await browser.get('/auth/login');
    const action = /action="(\/dev-idp\/interaction\/[^"]+\/login)"/.exec(login.body)?.[1];
    assert.ok(action, 'the provider’s sign-in page, from node A');
    // On B: the IIN is posted, the provider resumes the interaction A began, and the portal redeems the code.
    on = B;
    const done = await browser.follow('POST', action, { iin: IIN.alice });
    assert.equal(done.status, 200);
    assert.match(done.body, /\/auth\/logout/, 'signed in, by node B');
    const cookie = browser.cookieHeader('/');
    assert.equal(await signedInOn(A(), cookie), true, 'node A honours the session node B made');
    assert.equal(await signedInOn(B(), cookie), true);
  });

  it('a citizen whose every request goes to the other node signs in and stays signed in', async () => {
    const browser = alternating();
    await browser.signIn(IIN.bob);
    for (let n = 0; n < 6; n++) {
      const page = await browser.request('GET', n % 2 === 0 ? '/history' : '/');
      assert.equal(page.status, 200, `request ${n}`);
      assert.match(page.body, /\/auth\/logout/, `request ${n}`);
    }
  });

  it('signing out on one node ends the session on every node', async () => {
    let on = A;
    const browser = new Browser(() => on());
    await browser.signIn(IIN.carol);
    const cookie = browser.cookieHeader('/');
    assert.equal(await signedInOn(B(), cookie), true);
    const out = await browser.post('/auth/logout', {}, '/history');
    assert.equal(out.status, 200, 'the provider’s signed-out page');
    on = B;
    for (const node of [A(), B()]) assert.equal(await signedInOn(node, cookie), false, 'the old cookie opens nothing');
  });

  it('a session idle for 15 minutes on one node is ended on the other; a busy one ends 12 hours after sign-in', async () => {
    const idle = new Browser(A());
    await idle.signIn(IIN.alice);
    const idleCookie = idle.cookieHeader('/');
    offset += 14 * MINUTE;
    assert.equal(await signedInOn(B(), idleCookie), true, 'used after 14 minutes, on B');
    offset += 16 * MINUTE;
    assert.equal(await signedInOn(A(), idleCookie), false, 'idle for 16 minutes since B saw it');

    const busy = alternating();
    await busy.signIn(IIN.bob);
    const started = offset;
    let signedInFor = 0;
    for (let minutes = 10; minutes <= 13 * 60; minutes += 10) {
      offset = started + minutes * MINUTE;
      const page = await busy.request('GET', '/history');
      if (page.status !== 200) break;
      signedInFor = minutes;
    }
    assert.equal(signedInFor, 12 * 60 - 10);
    offset = 0;
  });

  it('the database holds no session id in clear and no IIN in any row of the provider', async () => {
    const browser = alternating();
    await browser.signIn(IIN.dan);
    const id = sessionIdOf(browser.cookieHeader('/'));
    const { sessions, idp } = await rawRows(reg);
    const idHash = createHash('sha256').update(id).digest();
    assert.ok(
      sessions.some((r) => Buffer.from(r.id_hash as Buffer).equals(idHash)),
      'the session is there, by the SHA-256 of its id',
    );
    const models = new Set(idp.map((r) => r.model as string));
    for (const model of ['Session', 'Grant', 'AuthorizationCode']) assert.ok(models.has(model), `a ${model} is stored`);

    const everyIin = Object.values(IIN);
    for (const [table, rows] of [
      ['portal_sessions', sessions],
      ['dev_idp_records', idp],
    ] as const) {
      for (const row of rows) {
        const bytes = bytesOf(row);
        assert.equal(bytes.indexOf(id), -1, `${table} holds the session id in clear`);
        for (const iin of everyIin)
          for (const e of encodings(iin)) assert.equal(bytes.indexOf(e.bytes), -1, `${table} holds the IIN ${iin} as ${e.name}`);
      }
    }
    // The ID token kept in a session (the hint for signing out) names a subject, not the IIN.
    for (const row of sessions) {
      const idToken = (JSON.parse(row.data as string) as { idToken?: string }).idToken;
      if (idToken === undefined) continue;
      const claims = Buffer.from(idToken.split('.')[1] as string, 'base64url').toString('utf8');
      for (const iin of everyIin) assert.ok(!claims.includes(iin), 'the ID token carries no IIN');
    }
    if (ENGINE === 'sqlite') {
      for (const file of [reg.dbPath, `${reg.dbPath}-wal`]) {
        if (!fs.existsSync(file)) continue;
        const bytes = fs.readFileSync(file);
        assert.equal(bytes.indexOf(id), -1, `${file} holds the session id in clear`);
        for (const iin of everyIin)
          for (const e of encodings(iin)) assert.equal(bytes.indexOf(e.bytes), -1, `${file} holds the IIN ${iin} as ${e.name}`);
      }
    }
  });

  it('expired rows are never read, and purge deletes them', async () => {
    const far = new Date(Date.now() + 400 * 24 * HOUR);
    const purgedSessions = await services.store.sessions.purge(far);
    const purgedIdp = await services.store.devIdp.purge(far);
    assert.ok(purgedSessions > 0, `${purgedSessions} sessions purged`);
    assert.ok(purgedIdp > 0, `${purgedIdp} provider records purged`);
    const { sessions, idp } = await rawRows(reg);
    assert.equal(sessions.length, 0);
    assert.ok(
      idp.every((r) => r.expires_at === null),
      'only records without an expiry remain',
    );
  });

  it('the provider keeps its state in the store alone: a sign-in whose records are purged cannot finish', async () => {
    const browser = new Browser(A());
    const login = await browser.get('/auth/login');
    const action = /action="(\/dev-idp\/interaction\/[^"]+\/login)"/.exec(login.body)?.[1];
    assert.ok(action);
    await services.store.devIdp.purge(new Date(Date.now() + 400 * 24 * HOUR));
    const page = await browser.follow('POST', action, { iin: IIN.carol });
    assert.ok(page.status >= 400 && page.status < 500, `answered ${page.status}`);
    assert.doesNotMatch(page.body, /\/auth\/logout/);
  });

  it('a session, and a sign-in under way, outlive every node: all closed, a new one on the same database carries on', async () => {
    const browser = alternating();
    await browser.signIn(IIN.alice);
    const cookie = browser.cookieHeader('/');
    const midway = new Browser(() => A());
    const login = await midway.get('/auth/login');
    const action = /action="(\/dev-idp\/interaction\/[^"]+\/login)"/.exec(login.body)?.[1];
    assert.ok(action, 'a sign-in begun before the restart');

    for (const node of nodes) await node.close();
    for (const store of stores.splice(0)) await store.close();
    nodes = [await openNode()];

    assert.equal(await signedInOn(A(), cookie), true, 'the session made before the restart');
    const done = await midway.follow('POST', action, { iin: IIN.bob });
    assert.equal(done.status, 200);
    assert.match(done.body, /\/auth\/logout/, 'the sign-in begun before the restart is finished after it');
  });
});
