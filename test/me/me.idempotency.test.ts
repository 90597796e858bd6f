import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { BIN, IIN } from '../helpers/people.js';
import { type Api, assertError, call, type Method, ok, setup, snapshot } from './api.js';

const HOUR = 60 * 60 * 1000;
const MINUTE = 60 * 1000;

const WHOLE = { lenderTypes: ['bank', 'mfo'], channels: ['remote', 'in_person'], term: { months: 3 } };

interface Route {
  name: string;
  method: Method;
  url: string;
  body?: unknown;
  /** The status of a success. */
  status: number;
  /** The history action the write records. */
  action: string;
  /** The action it records when made again after `undo`, when that differs. */
  actionAgain?: string;
  /** The same route with another body, when it takes one. */
  otherBody?: unknown;
  /** Another route, with a body it accepts, to send the same key to. */
  other: { method: Method; url: string; body?: unknown };
  /** Brings the citizen's record to where this write applies. */
  prepare(api: Api, token: string): Promise<void>;
  /** Undoes the write without a key, so that the record would take the same write again. */
  undo(api: Api, token: string): Promise<void>;
}

const place = async ({ app }: Api, token: string) => {
  ok(await call(app, 'PUT', '/v1/me/restriction', token, WHOLE));
};
const requestLift = async ({ app }: Api, token: string) => {
  ok(await call(app, 'POST', '/v1/me/restriction/lift', token));
};
const cancelLift = async ({ app }: Api, token: string) => {
  ok(await call(app, 'DELETE', '/v1/me/restriction/lift', token));
};

// Every write of the mobile API. The lift is delayed (LIFT_DELAY=2d), so that it can be cancelled.
const ROUTES: Route[] = [
  {
    name: 'PUT /v1/me/restriction',
    method: 'PUT',
    url: '/v1/me/restriction',
    body: WHOLE,
    status: 200,
    action: 'placed',
    actionAgain: 'changed',
    otherBody: { ...WHOLE, term: { months: 2 } },
    other: { method: 'PATCH', url: '/v1/me/restriction', body: WHOLE },
    prepare: async () => undefined,
    undo: async ({ app }, token) => {
      ok(await call(app, 'PATCH', '/v1/me/restriction', token, { lenderTypes: ['mfo'] }));
    },
  },
  {
    name: 'PATCH /v1/me/restriction',
    method: 'PATCH',
    url: '/v1/me/restriction',
    body: { channels: ['remote'] },
    status: 200,
    action: 'changed',
    otherBody: { channels: ['in_person'] },
    other: { method: 'PUT', url: '/v1/me/restriction', body: WHOLE },
    prepare: place,
    undo: async ({ app }, token) => {
      ok(await call(app, 'PATCH', '/v1/me/restriction', token, { channels: ['remote', 'in_person'] }));
    },
  },
  {
    name: 'POST /v1/me/restriction/lift',
    method: 'POST',
    url: '/v1/me/restriction/lift',
    status: 200,
    action: 'lift_requested',
    other: { method: 'DELETE', url: '/v1/me/restriction/lift' },
    prepare: place,
    undo: cancelLift,
  },
  {
    name: 'DELETE /v1/me/restriction/lift',
    method: 'DELETE',
    url: '/v1/me/restriction/lift',
    status: 200,
    action: 'lift_cancelled',
    other: { method: 'POST', url: '/v1/me/restriction/lift' },
    prepare: async (api, token) => {
      await place(api, token);
      await requestLift(api, token);
    },
    undo: requestLift,
  },
  {
    name: 'POST /v1/me/exemptions',
    method: 'POST',
    url: '/v1/me/exemptions',
    body: { lenderBin: BIN.bank, hours: 24 },
    status: 201,
    action: 'exemption_opened',
    otherBody: { lenderBin: BIN.bank, hours: 12 },
    other: { method: 'PUT', url: '/v1/me/restriction', body: WHOLE },
    prepare: place,
    // The exemption ends by itself; a second one for the same lender is a write of its own.
    undo: async () => undefined,
  },
];

/** A registry of its own with a delayed lift and one bank, so that moving the clock touches no other test. */
async function withApi(body: (api: Api) => Promise<void>, env: Record<string, string> = { LIFT_DELAY: '2d' }): Promise<void> {
  const api = await setup(env);
  try {
    await api.reg.services.lenders.register({ name: 'Bank', bin: BIN.bank, type: 'bank' });
    await body(api);
  } finally {
    await api.close();
  }
}

function send(api: Api, route: Pick<Route, 'method' | 'url' | 'body'>, token: string, key?: string | string[]) {
  return call(
    api.app,
    route.method,
    route.url,
    token,
    route.body,
    (key === undefined ? {} : { 'idempotency-key': key }) as Record<string, string>,
  );
}

/** The retry got the first answer: the same status, the same bytes, the same type. */
function assertSameAnswer(again: LightMyRequestResponse, first: LightMyRequestResponse): void {
  assert.equal(again.statusCode, first.statusCode, again.body);
  assert.equal(again.body, first.body);
  assert.equal(again.headers['content-type'], first.headers['content-type']);
}

const versionOf = (res: LightMyRequestResponse): number =>
  (res.json() as { restriction: { version: number } }).restriction.version;

describe('Idempotency-Key on every write of the mobile API', () => {
  for (const route of ROUTES) {
    describe(route.name, () => {
      it('a retry with the same key gets the first answer byte for byte and records nothing new', () =>
        withApi(async (api) => {
          const alice = await api.token(IIN.alice);
          await route.prepare(api, alice);
          const start = await snapshot(api.app, alice);
          const first = await send(api, route, alice, 'retry-1');
          assert.equal(first.statusCode, route.status, first.body);
          const done = await snapshot(api.app, alice);
          assert.equal(done.history.length, start.history.length + 1);
          assert.equal(done.history.at(-1).action, route.action);
          assert.equal(done.logSize, start.logSize + 1);

          api.reg.clock.advance(20 * HOUR); // into the next day in Almaty: the record now reads differently
          const now = await snapshot(api.app, alice);
          for (let i = 0; i < 3; i++) assertSameAnswer(await send(api, route, alice, 'retry-1'), first);
          assert.deepEqual(await snapshot(api.app, alice), now, 'no new version, no new history event, no new log entry');
        }));

      it('the same key with another body, or on another route, answers 422 idempotency_conflict and records nothing', () =>
        withApi(async (api) => {
          const alice = await api.token(IIN.alice);
          await route.prepare(api, alice);
          const first = await send(api, route, alice, 'conflict-1');
          assert.equal(first.statusCode, route.status, first.body);
          const done = await snapshot(api.app, alice);

          if (route.otherBody !== undefined) {
            const other = await send(api, { ...route, body: route.otherBody }, alice, 'conflict-1');
            assertError(other, 422, 'idempotency_conflict');
          }
          assertError(await send(api, route.other, alice, 'conflict-1'), 422, 'idempotency_conflict');
          assert.deepEqual(await snapshot(api.app, alice), done);
          assertSameAnswer(await send(api, route, alice, 'conflict-1'), first);
        }));

      it('a malformed key answers 400 invalid_idempotency_key and records nothing', () =>
        withApi(async (api) => {
          const alice = await api.token(IIN.alice);
          await route.prepare(api, alice);
          const start = await snapshot(api.app, alice);
          const malformed: (string | string[])[] = ['', 'two words', 'tab\there', 'x'.repeat(256), 'caf\u00e9', ['one', 'two']];
          for (const key of malformed) {
            assertError(await send(api, route, alice, key), 400, 'invalid_idempotency_key');
          }
          assert.deepEqual(await snapshot(api.app, alice), start);
          const longest = await send(api, route, alice, `~${'x'.repeat(253)}!`);
          assert.equal(longest.statusCode, route.status, longest.body);
        }));

      it('another citizen’s identical key is theirs alone', () =>
        withApi(async (api) => {
          const [alice, bob] = [await api.token(IIN.alice), await api.token(IIN.bob)];
          await route.prepare(api, alice);
          await route.prepare(api, bob);
          const fromAlice = await send(api, route, alice, 'shared-key');
          const aliceDone = await snapshot(api.app, alice);
          const bobBefore = await snapshot(api.app, bob);

          const fromBob = await send(api, route, bob, 'shared-key');
          assert.equal(fromBob.statusCode, route.status, fromBob.body);
          assert.notEqual(fromBob.body, fromAlice.body, 'Bob gets his own answer, not Alice’s');
          const bobDone = await snapshot(api.app, bob);
          assert.equal(bobDone.history.length, bobBefore.history.length + 1, 'Bob’s write is made');
          assert.equal(bobDone.history.at(-1).action, route.action);

          assertSameAnswer(await send(api, route, alice, 'shared-key'), fromAlice);
          assertSameAnswer(await send(api, route, bob, 'shared-key'), fromBob);
          const aliceNow = await snapshot(api.app, alice);
          assert.deepEqual(aliceNow.history, aliceDone.history);
          assert.deepEqual(aliceNow.restriction, aliceDone.restriction);
          assert.equal((await snapshot(api.app, bob)).logSize, bobDone.logSize);
        }));

      it('duplicates sent at once make one change, and all get its answer', () =>
        withApi(async (api) => {
          const alice = await api.token(IIN.alice);
          await route.prepare(api, alice);
          const start = await snapshot(api.app, alice);
          const answers = await Promise.all(Array.from({ length: 6 }, () => send(api, route, alice, 'at-once')));
          assert.equal(answers[0]?.statusCode, route.status, answers[0]?.body);
          for (const res of answers) assertSameAnswer(res, answers[0] as LightMyRequestResponse);
          const done = await snapshot(api.app, alice);
          assert.deepEqual(
            done.history.slice(start.history.length).map((e: { action: string }) => e.action),
            [route.action],
          );
          assert.equal(done.logSize, start.logSize + 1);
        }));

      it('the key holds for 24 hours, even when the record would take the write again; after that it makes a new change', () =>
        withApi(async (api) => {
          const alice = await api.token(IIN.alice);
          await route.prepare(api, alice);
          const first = await send(api, route, alice, 'day-key');
          assert.equal(first.statusCode, route.status, first.body);
          await route.undo(api, alice);

          api.reg.clock.advance(24 * HOUR - MINUTE);
          const within = await snapshot(api.app, alice);
          assertSameAnswer(await send(api, route, alice, 'day-key'), first);
          assert.deepEqual(await snapshot(api.app, alice), within);

          api.reg.clock.advance(2 * MINUTE);
          const after = await snapshot(api.app, alice);
          const fresh = await send(api, route, alice, 'day-key');
          assert.equal(fresh.statusCode, route.status, fresh.body);
          assert.ok(versionOf(fresh) > versionOf(first), fresh.body);
          const done = await snapshot(api.app, alice);
          assert.deepEqual(
            done.history.slice(after.history.length).map((e: { action: string }) => e.action),
            [route.actionAgain ?? route.action],
          );
          assert.equal(done.logSize, after.logSize + 1);
          assertSameAnswer(await send(api, route, alice, 'day-key'), fresh);
        }));
    });
  }
});

describe('Idempotency-Key: the first answer, whatever happened since', () => {
  it('a retried PUT does not undo a later change, and is answered as it was then', () =>
    withApi(async (api) => {
      const alice = await api.token(IIN.alice);
      const first = await call(api.app, 'PUT', '/v1/me/restriction', alice, WHOLE, { 'idempotency-key': 'place-once' });
      assert.equal(versionOf(first), 1);
      const changed = ok(await call(api.app, 'PATCH', '/v1/me/restriction', alice, { lenderTypes: ['mfo'] })).restriction;
      assert.equal(changed.version, 2);

      const now = await snapshot(api.app, alice);
      assertSameAnswer(
        await call(api.app, 'PUT', '/v1/me/restriction', alice, WHOLE, { 'idempotency-key': 'place-once' }),
        first,
      );
      assert.deepEqual(await snapshot(api.app, alice), now);
      assert.deepEqual(now.restriction.lenderTypes, ['mfo'], 'the later change stands');

      // Without a key, the same request is a new change each time.
      ok(await call(api.app, 'PUT', '/v1/me/restriction', alice, WHOLE));
      assert.equal((await snapshot(api.app, alice)).history.length, now.history.length + 1);
    }));

  it('a retried lift that took effect at once answers as the first did, not 409', () =>
    withApi(async (api) => {
      const alice = await api.token(IIN.alice);
      await place(api, alice);
      const first = await call(api.app, 'POST', '/v1/me/restriction/lift', alice, undefined, { 'idempotency-key': 'lift-now' });
      assert.deepEqual(ok(first), { restriction: null, liftEffectiveAt: '2026-03-10T06:00:00.000Z' });

      api.reg.clock.advance(HOUR);
      const now = await snapshot(api.app, alice);
      const again = await call(api.app, 'POST', '/v1/me/restriction/lift', alice, undefined, { 'idempotency-key': 'lift-now' });
      assertSameAnswer(again, first);
      assert.deepEqual(await snapshot(api.app, alice), now);
      assertError(await call(api.app, 'POST', '/v1/me/restriction/lift', alice), 409, 'no_restriction');
    }, {}));

  it('concurrent requests with one key and different bodies: one is applied, the others answer 422', () =>
    withApi(async (api) => {
      const alice = await api.token(IIN.alice);
      const bodies = [1, 2, 3, 4, 5].map((months) => ({ ...WHOLE, term: { months } }));
      const answers = await Promise.all(
        bodies.map((body) => call(api.app, 'PUT', '/v1/me/restriction', alice, body, { 'idempotency-key': 'race' })),
      );
      const applied = answers.filter((res) => res.statusCode === 200);
      assert.equal(applied.length, 1, answers.map((res) => res.body).join('\n'));
      for (const res of answers) if (res.statusCode !== 200) assertError(res, 422, 'idempotency_conflict');
      const done = await snapshot(api.app, alice);
      assert.equal(done.history.length, 1);
      assert.deepEqual(done.restriction, (applied[0] as LightMyRequestResponse).json().restriction);
    }));
});
