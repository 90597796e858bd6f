import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BIN, IIN } from '../helpers/people.js';
import { type Api, assertError, call, ok, setup, snapshot } from './api.js';

const DAY = 24 * 60 * 60 * 1000;

/** Runs `body` against a registry of its own, so that moving the clock touches no other test. */
async function withApi(body: (api: Api) => Promise<void>, env: Record<string, string> = {}): Promise<void> {
  const api = await setup(env);
  try {
    await body(api);
  } finally {
    await api.close();
  }
}

const actions = (history: { action: string; version: number }[]) => history.map((e) => [e.action, e.version]);

describe('PATCH /v1/me/restriction changes only what it names', () => {
  it('an indefinite ban stays indefinite, and keeps its lender types, when only its channels change', () =>
    withApi(async ({ app, reg, token }) => {
      const alice = await token(IIN.alice);
      const bank = await reg.services.lenders.register({ name: 'Bank', bin: BIN.bank, type: 'bank' });
      const mfo = await reg.services.lenders.register({ name: 'MFO', bin: BIN.mfo, type: 'mfo' });
      ok(
        await call(app, 'PUT', '/v1/me/restriction', alice, {
          lenderTypes: ['mfo'],
          channels: ['remote', 'in_person'],
          term: { months: 3 },
        }),
      );

      const forever = ok(await call(app, 'PATCH', '/v1/me/restriction', alice, { term: { indefinite: true } })).restriction;
      assert.equal(forever.version, 2);
      assert.equal(forever.endsAt, null);
      assert.deepEqual(forever.lenderTypes, ['mfo'], 'a change of term keeps the lender types');
      assert.deepEqual(forever.channels, ['remote', 'in_person'], 'a change of term keeps the channels');

      const remote = ok(await call(app, 'PATCH', '/v1/me/restriction', alice, { channels: ['remote'] })).restriction;
      assert.equal(remote.id, forever.id);
      assert.equal(remote.version, 3);
      assert.deepEqual(remote.channels, ['remote']);
      assert.equal(remote.endsAt, null, 'still until cancelled, not the policy’s six months');
      assert.equal(remote.lastDay, null);
      assert.equal(remote.daysLeft, null);
      assert.deepEqual(remote.lenderTypes, ['mfo'], 'the lender types are not reset to all');
      assert.equal(remote.status, 'active');
      assert.deepEqual(ok(await call(app, 'GET', '/v1/me/restriction', alice)).restriction, remote);

      const { history } = ok(await call(app, 'GET', '/v1/me/history', alice));
      assert.deepEqual(actions(history), [
        ['placed', 1],
        ['changed', 2],
        ['changed', 3],
      ]);
      assert.deepEqual(
        history.map((e: { lenderTypes: string[]; channels: string[]; endsAt: string | null }) => [
          e.lenderTypes,
          e.channels,
          e.endsAt,
        ]),
        [
          [['mfo'], ['remote', 'in_person'], '2026-06-10T19:00:00.000Z'],
          [['mfo'], ['remote', 'in_person'], null],
          [['mfo'], ['remote'], null],
        ],
      );

      // Long after six months, the ban still holds for the lenders and channels it names, and only those.
      reg.clock.set('2027-03-10T06:00:00Z');
      const check = (lender: typeof bank.lender, channel: 'remote' | 'in_person') =>
        reg.services.checks.check(lender, { iin: IIN.alice, channel, reference: `R-${lender.type}-${channel}` });
      assert.equal((await check(mfo.lender, 'remote')).restricted, true);
      assert.equal((await check(mfo.lender, 'in_person')).restricted, false);
      assert.equal((await check(bank.lender, 'remote')).restricted, false);
    }));

  it('only the term: the scope stays as it is', () =>
    withApi(async ({ app, token }) => {
      const bob = await token(IIN.bob);
      ok(
        await call(app, 'PUT', '/v1/me/restriction', bob, {
          lenderTypes: ['bank'],
          channels: ['in_person'],
          term: { indefinite: true },
        }),
      );
      const until = ok(await call(app, 'PATCH', '/v1/me/restriction', bob, { term: { until: '2026-07-31' } })).restriction;
      assert.equal(until.version, 2);
      assert.equal(until.lastDay, '2026-07-31');
      assert.deepEqual([until.lenderTypes, until.channels], [['bank'], ['in_person']]);

      const month = ok(await call(app, 'PATCH', '/v1/me/restriction', bob, { term: { months: 1 } })).restriction;
      assert.equal(month.version, 3);
      assert.equal(month.lastDay, '2026-04-10');
      assert.deepEqual([month.lenderTypes, month.channels], [['bank'], ['in_person']]);
    }));

  it('only the lender types: the channels and the very same end stay, even days later', () =>
    withApi(async ({ app, reg, token }) => {
      const carol = await token(IIN.carol);
      const placed = ok(
        await call(app, 'PUT', '/v1/me/restriction', carol, { lenderTypes: ['mfo'], channels: ['remote'], term: { months: 3 } }),
      ).restriction;
      assert.equal(placed.lastDay, '2026-06-10');

      reg.clock.advance(10 * DAY);
      const widened = ok(await call(app, 'PATCH', '/v1/me/restriction', carol, { lenderTypes: ['mfo', 'bank'] })).restriction;
      assert.equal(widened.version, 2);
      assert.deepEqual(widened.lenderTypes, ['bank', 'mfo']);
      assert.deepEqual(widened.channels, ['remote']);
      assert.equal(widened.endsAt, placed.endsAt, 'the term is not worked out again from today');
      assert.equal(widened.lastDay, '2026-06-10');
      assert.equal(widened.startsAt, placed.startsAt);
    }));

  it('a wrong part answers 400 with its catalogue code, and nothing of the body is applied', () =>
    withApi(async ({ app, token }) => {
      const dan = await token(IIN.dan);
      ok(
        await call(app, 'PUT', '/v1/me/restriction', dan, {
          lenderTypes: ['mfo'],
          channels: ['remote', 'in_person'],
          term: { indefinite: true },
        }),
      );
      const before = await snapshot(app, dan);

      const patch: [unknown, string][] = [
        [{}, 'invalid_request'],
        [{ lenderTypes: [] }, 'invalid_scope'],
        [{ channels: [] }, 'invalid_scope'],
        [{ channels: ['remote'], lenderTypes: [] }, 'invalid_scope'],
        [{ lenderTypes: ['insurer'] }, 'invalid_request'],
        [{ channels: ['phone'] }, 'invalid_request'],
        [{ lenderTypes: null }, 'invalid_request'],
        [{ channels: 'remote' }, 'invalid_request'],
        [{ term: null }, 'invalid_request'],
        [{ term: {} }, 'invalid_request'],
        [{ term: { months: 0 } }, 'invalid_term'],
        [{ term: { months: 7 } }, 'invalid_term'],
        [{ term: { until: '2020-01-01' } }, 'invalid_term'],
        [{ term: { until: 'next week' } }, 'invalid_term'],
        [{ channels: ['remote'], term: { months: 7 } }, 'invalid_term'],
        [{ term: { indefinite: false } }, 'invalid_request'],
        [{ term: { months: 2.5 } }, 'invalid_request'],
        [{ iin: IIN.alice }, 'invalid_request'],
        [{ channels: ['remote'], extra: true }, 'invalid_request'],
        ['[]', 'invalid_request'],
        ['null', 'invalid_request'],
        ['{"channels":', 'invalid_request'],
      ];
      for (const [body, code] of patch) {
        assertError(await call(app, 'PATCH', '/v1/me/restriction', dan, body), 400, code);
      }
      const text = await app.inject({
        method: 'PATCH',
        url: '/v1/me/restriction',
        headers: { authorization: `Bearer ${dan}`, 'content-type': 'text/plain' },
        payload: 'channels=remote',
      });
      assertError(text, 415, 'unsupported_media_type');

      assert.deepEqual(await snapshot(app, dan), before);
    }));

  it('409 no_restriction when no ban is in force: never placed, lifted, or run out; nothing is placed', () =>
    withApi(async ({ app, reg, token }) => {
      const alice = await token(IIN.alice);
      assertError(await call(app, 'PATCH', '/v1/me/restriction', alice, { channels: ['remote'] }), 409, 'no_restriction');
      assertError(await call(app, 'PATCH', '/v1/me/restriction', alice, { term: { indefinite: true } }), 409, 'no_restriction');
      assert.deepEqual(await snapshot(app, alice), { restriction: null, history: [], logSize: 0 });

      const whole = { lenderTypes: ['bank', 'mfo'], channels: ['remote', 'in_person'], term: { months: 1 } };
      ok(await call(app, 'PUT', '/v1/me/restriction', alice, whole));
      ok(await call(app, 'POST', '/v1/me/restriction/lift', alice));
      const lifted = await snapshot(app, alice);
      assert.equal(lifted.restriction, null);
      assertError(await call(app, 'PATCH', '/v1/me/restriction', alice, { lenderTypes: ['bank'] }), 409, 'no_restriction');
      assert.deepEqual(await snapshot(app, alice), lifted);

      const bob = await token(IIN.bob);
      ok(await call(app, 'PUT', '/v1/me/restriction', bob, whole));
      reg.clock.set('2026-04-11T00:00:00Z'); // past midnight in Almaty after the last day, 10 April
      const ranOut = await snapshot(app, bob);
      assert.equal(ranOut.restriction, null);
      assertError(await call(app, 'PATCH', '/v1/me/restriction', bob, { term: { indefinite: true } }), 409, 'no_restriction');
      assert.deepEqual(await snapshot(app, bob), ranOut, 'a ban that ran out is not brought back by a partial change');
    }));

  it('a change while a lift is pending cancels the lift (LIFT_DELAY=2d)', () =>
    withApi(
      async ({ app, token }) => {
        const alice = await token(IIN.alice);
        ok(
          await call(app, 'PUT', '/v1/me/restriction', alice, {
            lenderTypes: ['mfo'],
            channels: ['remote'],
            term: { months: 2 },
          }),
        );
        assert.equal(ok(await call(app, 'POST', '/v1/me/restriction/lift', alice)).restriction.status, 'lift_pending');
        const kept = ok(await call(app, 'PATCH', '/v1/me/restriction', alice, { lenderTypes: ['bank', 'mfo'] })).restriction;
        assert.equal(kept.status, 'active');
        assert.equal(kept.liftEffectiveAt, null);
        assert.deepEqual([kept.lenderTypes, kept.channels, kept.lastDay], [['bank', 'mfo'], ['remote'], '2026-05-10']);
        const { history } = ok(await call(app, 'GET', '/v1/me/history', alice));
        assert.deepEqual(actions(history), [
          ['placed', 1],
          ['lift_requested', 2],
          ['lift_cancelled', 3],
          ['changed', 4],
        ]);
      },
      { LIFT_DELAY: '2d' },
    ));
});

describe('PUT /v1/me/restriction needs the whole ban', () => {
  const whole = { lenderTypes: ['mfo'], channels: ['remote', 'in_person'], term: { indefinite: true } } as const;
  const fields = ['lenderTypes', 'channels', 'term'] as const;
  const without = (field: (typeof fields)[number]) =>
    Object.fromEntries(Object.entries(whole).filter(([k]) => k !== field)) as Record<string, unknown>;

  it('a missing field answers 400 invalid_request naming it, and places nothing', () =>
    withApi(async ({ app, token }) => {
      const bob = await token(IIN.bob);
      for (const field of fields) {
        const error = assertError(await call(app, 'PUT', '/v1/me/restriction', bob, without(field)), 400, 'invalid_request');
        assert.match(error.message, new RegExp(`'${field}'`), error.message);
        const nulled = { ...whole, [field]: null };
        assertError(await call(app, 'PUT', '/v1/me/restriction', bob, nulled), 400, 'invalid_request');
      }
      assertError(await call(app, 'PUT', '/v1/me/restriction', bob, {}), 400, 'invalid_request');
      assert.deepEqual(await snapshot(app, bob), { restriction: null, history: [], logSize: 0 });
    }));

  it('a missing field leaves the ban in force exactly as it was: an indefinite ban is not cut to six months', () =>
    withApi(async ({ app, token }) => {
      const alice = await token(IIN.alice);
      ok(await call(app, 'PUT', '/v1/me/restriction', alice, whole));
      const before = await snapshot(app, alice);
      for (const field of fields) {
        const error = assertError(await call(app, 'PUT', '/v1/me/restriction', alice, without(field)), 400, 'invalid_request');
        assert.match(error.message, new RegExp(`'${field}'`), error.message);
      }
      assertError(await call(app, 'PUT', '/v1/me/restriction', alice, { channels: ['remote'] }), 400, 'invalid_request');
      assertError(await call(app, 'PUT', '/v1/me/restriction', alice, { term: { months: 1 } }), 400, 'invalid_request');
      const after = await snapshot(app, alice);
      assert.deepEqual(after, before);
      assert.equal(after.restriction.endsAt, null);
      assert.deepEqual(after.restriction.lenderTypes, ['mfo']);
    }));

  it('the whole ban replaces the one in force, narrower or shorter included', () =>
    withApi(async ({ app, token }) => {
      const carol = await token(IIN.carol);
      const placed = ok(await call(app, 'PUT', '/v1/me/restriction', carol, whole)).restriction;
      const replaced = ok(
        await call(app, 'PUT', '/v1/me/restriction', carol, {
          lenderTypes: ['bank'],
          channels: ['in_person'],
          term: { months: 1 },
        }),
      ).restriction;
      assert.equal(replaced.id, placed.id);
      assert.equal(replaced.version, 2);
      assert.deepEqual([replaced.lenderTypes, replaced.channels, replaced.lastDay], [['bank'], ['in_person'], '2026-04-10']);
    }));
});
