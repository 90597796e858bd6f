import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Session } from 'fastify';
import { ConfigError, loadConfig } from '../../src/config.js';
import { MemorySessionStore } from '../../src/portal/session-store.js';
import { IIN } from '../helpers/people.js';
import { Browser, openPortal, type PortalApp } from './portal-app.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Time for the store alone, moved by hand. */
class FakeTime {
  ms = Date.parse('2026-03-10T06:00:00Z');
  readonly now = () => this.ms;
}

function storeAt(time: FakeTime, options: { maxSessions?: number; sweepMs?: number } = {}) {
  return new MemorySessionStore({ idleMs: 15 * MINUTE, absoluteMs: 12 * HOUR, now: time.now, ...options });
}

const session = (data: Record<string, unknown>) => data as unknown as Session;

function get(store: MemorySessionStore, id: string): Record<string, unknown> | null {
  let found: Record<string, unknown> | null = null;
  store.get(id, (err, s) => {
    assert.equal(err, null);
    found = (s as unknown as Record<string, unknown> | null) ?? null;
  });
  return found;
}

function set(store: MemorySessionStore, id: string, data: Record<string, unknown>): void {
  store.set(id, session(data), (err) => assert.equal(err, undefined));
}

describe('the bounded session store', () => {
  it('ends a session after 15 idle minutes', () => {
    const time = new FakeTime();
    const store = storeAt(time);
    set(store, 'a', { citizen: 'x' });
    time.ms += 14 * MINUTE;
    assert.equal(get(store, 'a')?.citizen, 'x');
    time.ms += 2 * MINUTE; // 16 minutes since it was last saved
    assert.equal(get(store, 'a'), null);
    assert.equal(store.size, 0, 'an ended session found on reading is dropped');
    store.close();
  });

  it('ends a session 12 hours after it began, though it was used every 10 minutes', () => {
    const time = new FakeTime();
    const store = storeAt(time);
    set(store, 'a', { citizen: 'x' });
    let alive = 0;
    for (let minutes = 10; minutes <= 13 * 60; minutes += 10) {
      time.ms += 10 * MINUTE;
      const found = get(store, 'a');
      if (found === null) break;
      alive = minutes;
      set(store, 'a', found); // each request saves it again (rolling), as @fastify/session does
    }
    assert.equal(alive, 12 * 60 - 10, `the last request that found it came ${alive} minutes in`);
    assert.equal(store.size, 0);
    store.close();
  });

  it('a session saved again after it ended, by a request that was using it, does not come back', () => {
    const time = new FakeTime();
    const store = new MemorySessionStore({ idleMs: 24 * HOUR, absoluteMs: 12 * HOUR, now: time.now });
    set(store, 'a', { citizen: 'x' });
    time.ms += 11 * HOUR + 55 * MINUTE;
    const inFlight = get(store, 'a');
    assert.ok(inFlight);
    time.ms += 10 * MINUTE;
    assert.equal(store.sweep(), 1, 'the sweep removes it while the request still runs');
    set(store, 'a', inFlight); // that request now saves it
    assert.equal(get(store, 'a'), null, 'its lifetime is carried on the session, so it stays ended');
    store.close();
  });

  it('sweeps ended sessions on a timer that keeps no process alive', async () => {
    const time = new FakeTime();
    const store = storeAt(time, { sweepMs: 20 });
    for (let n = 0; n < 100; n++) set(store, `old-${n}`, { n });
    time.ms += 10 * MINUTE;
    for (let n = 0; n < 10; n++) set(store, `new-${n}`, { n });
    time.ms += 6 * MINUTE; // the first hundred are idle for 16 minutes, the last ten for 6
    assert.equal(store.size, 110, 'nothing is read, so only the sweep can drop them');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(store.size, 10);
    assert.equal(get(store, 'new-3')?.n, 3);
    store.close();
  });

  it('drops the least recently used session beyond its maximum size', () => {
    const time = new FakeTime();
    const store = storeAt(time, { maxSessions: 3 });
    set(store, 'a', { n: 1 });
    set(store, 'b', { n: 2 });
    set(store, 'c', { n: 3 });
    assert.ok(get(store, 'a'), 'reading a makes b the least recently used');
    set(store, 'd', { n: 4 });
    assert.equal(store.size, 3);
    assert.equal(get(store, 'b'), null);
    for (const id of ['a', 'c', 'd']) assert.ok(get(store, id), id);
    for (let n = 0; n < 1000; n++) set(store, `flood-${n}`, { n });
    assert.equal(store.size, 3, 'never more than its maximum');
    store.close();
  });

  it('keeps a copy, never the live session object', () => {
    const store = storeAt(new FakeTime());
    const live = { citizen: { key: 'k' } };
    set(store, 'a', live);
    live.citizen.key = 'changed after saving';
    assert.deepEqual(get(store, 'a')?.citizen, { key: 'k' });
    store.close();
  });
});

describe('sessions end 12 hours after sign-in, however busy', () => {
  const time = new FakeTime();
  const store = new MemorySessionStore({ idleMs: 15 * MINUTE, absoluteMs: 12 * HOUR, now: time.now });
  let portal: PortalApp;
  before(async () => {
    portal = await openPortal({ app: { sessionStore: store } });
  });
  after(async () => {
    store.close();
    await portal.close();
  });

  it('a citizen who opens a page every 10 minutes is asked to sign in again after 12 hours', async () => {
    const browser = new Browser(portal.app);
    await browser.signIn(IIN.alice);
    assert.equal(store.size, 1);
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
    assert.equal(store.size, 0, 'the ended session is gone from the store');
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
