import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Session } from 'fastify';
import { ConfigError, loadConfig } from '../../src/config.js';
import type { SessionRepository } from '../../src/portal/session.repository.js';
import { SharedSessionStore, sessionIdHash } from '../../src/portal/session-store.js';
import { IIN } from '../helpers/people.js';
import { openTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { Browser, openPortal, type PortalApp } from './portal-app.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Time for the store alone, moved by hand. */
class FakeTime {
  ms = Date.parse('2026-03-10T06:00:00Z');
  readonly now = () => this.ms;
}

const session = (data: Record<string, unknown>) => data as unknown as Session;

function get(store: SharedSessionStore, id: string): Promise<Record<string, unknown> | null> {
  return new Promise((resolve, reject) =>
    store.get(id, (err, s) => (err ? reject(err) : resolve((s as unknown as Record<string, unknown> | null) ?? null))),
  );
}

function set(store: SharedSessionStore, id: string, data: Record<string, unknown>): Promise<void> {
  return new Promise((resolve, reject) => store.set(id, session(data), (err) => (err ? reject(err) : resolve())));
}

function destroy(store: SharedSessionStore, id: string): Promise<void> {
  return new Promise((resolve, reject) => store.destroy(id, (err) => (err ? reject(err) : resolve())));
}

describe('the session store in the registry', () => {
  let reg: TestRegistry;
  let sessions: SessionRepository;
  let time: FakeTime;
  const storeAt = (options: { idleMs?: number; absoluteMs?: number } = {}) =>
    new SharedSessionStore(sessions, { idleMs: 15 * MINUTE, absoluteMs: 12 * HOUR, now: time.now, ...options });
  before(async () => {
    reg = await openTestRegistry();
    sessions = reg.services.store.sessions;
  });
  after(() => reg.close());
  beforeEach(async () => {
    time = new FakeTime();
    // Each test starts from an empty table: far enough in the future, every session has ended.
    await sessions.purge(new Date(time.ms + 1000 * HOUR));
  });

  it('ends a session after 15 idle minutes', async () => {
    const store = storeAt();
    await set(store, 'a', { citizen: 'x' });
    time.ms += 14 * MINUTE;
    assert.equal((await get(store, 'a'))?.citizen, 'x');
    time.ms += 2 * MINUTE; // 16 minutes since it was last saved
    assert.equal(await get(store, 'a'), null);
    assert.equal(await store.count(), 0);
  });

  it('ends a session 12 hours after it began, though it was used every 10 minutes', async () => {
    const store = storeAt();
    await set(store, 'a', { citizen: 'x' });
    let alive = 0;
    for (let minutes = 10; minutes <= 13 * 60; minutes += 10) {
      time.ms += 10 * MINUTE;
      const found = await get(store, 'a');
      if (found === null) break;
      alive = minutes;
      await set(store, 'a', found); // each request saves it again (rolling), as @fastify/session does
    }
    assert.equal(alive, 12 * 60 - 10, `the last request that found it came ${alive} minutes in`);
    assert.equal(await store.count(), 0);
  });

  it('a session saved again after it ended, by a request that was using it, does not come back', async () => {
    const store = storeAt({ idleMs: 24 * HOUR });
    await set(store, 'a', { citizen: 'x' });
    time.ms += 11 * HOUR + 55 * MINUTE;
    const inFlight = await get(store, 'a');
    assert.ok(inFlight);
    time.ms += 10 * MINUTE;
    assert.equal(await sessions.purge(new Date(time.ms)), 1, 'the purge removes it while the request still runs');
    await set(store, 'a', inFlight); // that request now saves it
    assert.equal(await get(store, 'a'), null, 'its lifetime is carried on the session, so it stays ended');
    assert.equal(await store.count(), 0);
  });

  it('purge deletes the ended sessions only', async () => {
    const store = storeAt();
    for (let n = 0; n < 20; n++) await set(store, `old-${n}`, { n });
    time.ms += 10 * MINUTE;
    for (let n = 0; n < 5; n++) await set(store, `new-${n}`, { n });
    time.ms += 6 * MINUTE; // the first twenty are idle for 16 minutes, the last five for 6
    assert.equal(await get(store, 'old-3'), null, 'an ended session is never read back, purged or not');
    assert.equal(await sessions.purge(new Date(time.ms)), 20);
    assert.equal(await sessions.purge(new Date(time.ms)), 0);
    assert.equal(await store.count(), 5);
    assert.equal((await get(store, 'new-3'))?.n, 3);
  });

  it('a session saved by one store is read, and destroyed, by another on the same repository', async () => {
    const a = storeAt();
    const b = storeAt();
    await set(a, 'shared', { citizen: { key: 'k' } });
    assert.deepEqual((await get(b, 'shared'))?.citizen, { key: 'k' });
    await destroy(b, 'shared');
    assert.equal(await get(a, 'shared'), null);
  });

  it('keeps a copy, never the live session object', async () => {
    const store = storeAt();
    const live = { citizen: { key: 'k' } };
    await set(store, 'a', live);
    live.citizen.key = 'changed after saving';
    assert.deepEqual((await get(store, 'a'))?.citizen, { key: 'k' });
  });

  it('is found by the SHA-256 of its id, never by the id', async () => {
    const store = storeAt();
    await set(store, 'the-session-id', { n: 1 });
    const at = new Date(time.ms);
    assert.notEqual(await sessions.find(sessionIdHash('the-session-id'), at), null);
    assert.equal(await sessions.find(Buffer.from('the-session-id'), at), null);
    assert.equal(sessionIdHash('the-session-id').toString('hex').length, 64);
  });
});

/** A repository that reaches the portal's store once the portal is open (the app is built with the store). */
function lateRepository(portal: () => PortalApp): SessionRepository {
  const repo = () => portal().services.store.sessions;
  return {
    find: (idHash, now) => repo().find(idHash, now),
    save: (idHash, data, endsAt) => repo().save(idHash, data, endsAt),
    delete: (idHash) => repo().delete(idHash),
    count: (now) => repo().count(now),
    purge: (before) => repo().purge(before),
  };
}

describe('sessions end 12 hours after sign-in, however busy', () => {
  const time = new FakeTime();
  let portal: PortalApp;
  const store = new SharedSessionStore(
    lateRepository(() => portal),
    { idleMs: 15 * MINUTE, absoluteMs: 12 * HOUR, now: time.now },
  );
  before(async () => {
    portal = await openPortal({ app: { sessionStore: store } });
  });
  after(() => portal.close());

  it('a citizen who opens a page every 10 minutes is asked to sign in again after 12 hours', async () => {
    const browser = new Browser(portal.app);
    await browser.signIn(IIN.alice);
    assert.equal(await store.count(), 1);
    let signedInFor = 0;
    for (let minutes = 10; minutes <= 13 * 60; minutes += 10) {
      time.ms += 10 * MINUTE;
      const page = await browser.request('GET', '/history');
      if (page.status !== 200) {
        assert.equal(page.status, 302);
        assert.match(String(page.location), /^\/auth\/login/);
        break;
      }
      signedInFor = minutes;
    }
    assert.equal(signedInFor, 12 * 60 - 10);
    assert.equal(await store.count(), 0, 'the ended session is no longer live in the store');
  });
});

describe('SESSION_ABSOLUTE_HOURS', () => {
  it('is 12 hours unless set, and validated like the other settings', () => {
    assert.equal(loadConfig({}).portal.sessionAbsoluteHours, 12);
    assert.equal(loadConfig({ SESSION_ABSOLUTE_HOURS: '8' }).portal.sessionAbsoluteHours, 8);
    for (const bad of ['0', '-1', '1.5', 'twelve', '169']) {
      assert.throws(
        () => loadConfig({ SESSION_ABSOLUTE_HOURS: bad }),
        (e: unknown) => e instanceof ConfigError && /SESSION_ABSOLUTE_HOURS/.test(e.message),
        bad,
      );
    }
  });
});
