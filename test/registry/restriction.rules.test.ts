import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../src/errors.js';
import { CHANNELS, LENDER_TYPES, loanPolicy } from '../../src/registry/policy.js';
import type { Actor, Restriction } from '../../src/registry/restriction.js';
import {
  type BanTerms,
  decideCheck,
  isInForce,
  type PlanContext,
  planCancelLift,
  planExemption,
  planLift,
  planPlace,
  resolveScope,
  statusAt,
} from '../../src/registry/restriction.rules.js';

const t = (iso: string) => new Date(iso);
const citizen: Actor = { kind: 'citizen' };
let n = 0;
const ctx = (now: string, policy = loanPolicy(), actor: Actor = citizen): PlanContext => ({
  policy,
  now: t(now),
  newId: () => `id-${++n}`,
  actor,
});

function ban(over: Partial<BanTerms> = {}): BanTerms {
  return {
    scope: { lenderTypes: ['bank', 'mfo'], channels: ['remote', 'in_person'] },
    startsAt: t('2026-03-01T00:00:00Z'),
    endsAt: t('2026-04-01T00:00:00Z'),
    liftEffectiveAt: null,
    ...over,
  };
}

function expectError(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof AppError && e.code === code);
}

describe('a ban in force', () => {
  it('holds from its start to just before its end, and ends by itself at the exact instant', () => {
    const b = ban();
    assert.equal(isInForce(b, t('2026-02-28T23:59:59.999Z')), false);
    assert.equal(isInForce(b, t('2026-03-01T00:00:00Z')), true);
    assert.equal(isInForce(b, t('2026-03-31T23:59:59.999Z')), true);
    assert.equal(isInForce(b, t('2026-04-01T00:00:00Z')), false);
    assert.equal(statusAt(b, t('2026-04-01T00:00:00Z')), 'expired');
    assert.equal(decideCheck(b, [], 'bank', 'remote', t('2026-03-31T23:59:59.999Z')), true);
    assert.equal(decideCheck(b, [], 'bank', 'remote', t('2026-04-01T00:00:00Z')), false);
  });

  it('until cancelled never expires', () => {
    const b = ban({ endsAt: null });
    assert.equal(isInForce(b, t('2099-01-01T00:00:00Z')), true);
  });

  it('still holds while a lift is pending, and stops at the instant the lift takes effect', () => {
    const b = ban({ endsAt: null, liftEffectiveAt: t('2026-03-12T19:00:00Z') });
    assert.equal(statusAt(b, t('2026-03-12T18:59:59.999Z')), 'lift_pending');
    assert.equal(decideCheck(b, [], 'mfo', 'remote', t('2026-03-12T18:59:59.999Z')), true);
    assert.equal(statusAt(b, t('2026-03-12T19:00:00Z')), 'lifted');
    assert.equal(decideCheck(b, [], 'mfo', 'remote', t('2026-03-12T19:00:00Z')), false);
  });
});

describe('decideCheck', () => {
  const at = t('2026-03-10T00:00:00Z');

  it('covers exactly the scope: every lender type × channel × scope combination', () => {
    const subsets = <T>(xs: readonly T[]) => [[xs[0]], [xs[1]], [...xs]] as T[][];
    let cases = 0;
    for (const lenderTypes of subsets(LENDER_TYPES)) {
      for (const channels of subsets(CHANNELS)) {
        const b = ban({ scope: { lenderTypes, channels } });
        for (const type of LENDER_TYPES) {
          for (const channel of CHANNELS) {
            const expected = lenderTypes.includes(type) && channels.includes(channel);
            assert.equal(decideCheck(b, [], type, channel, at), expected, `${lenderTypes}/${channels} vs ${type}/${channel}`);
            cases++;
          }
        }
      }
    }
    assert.equal(cases, 36);
  });

  it('is never restricted without a ban', () => {
    assert.equal(decideCheck(null, [], 'bank', 'remote', at), false);
  });

  it('lets an exempted lender through only inside its window', () => {
    const b = ban();
    const window = { startsAt: t('2026-03-10T00:00:00Z'), endsAt: t('2026-03-11T00:00:00Z') };
    assert.equal(decideCheck(b, [window], 'bank', 'remote', t('2026-03-09T23:59:59.999Z')), true);
    assert.equal(decideCheck(b, [window], 'bank', 'remote', t('2026-03-10T00:00:00Z')), false);
    assert.equal(decideCheck(b, [window], 'bank', 'remote', t('2026-03-10T23:59:59.999Z')), false);
    assert.equal(decideCheck(b, [window], 'bank', 'remote', t('2026-03-11T00:00:00Z')), true);
  });
});

describe('resolveScope', () => {
  it('defaults to everything and keeps a canonical order', () => {
    assert.deepEqual(resolveScope(undefined, loanPolicy()), { lenderTypes: ['bank', 'mfo'], channels: ['remote', 'in_person'] });
    assert.deepEqual(resolveScope({ lenderTypes: ['mfo', 'bank'], channels: ['in_person'] }, loanPolicy()), {
      lenderTypes: ['bank', 'mfo'],
      channels: ['in_person'],
    });
  });

  it('needs at least one lender type and one channel, and only known ones', () => {
    expectError(() => resolveScope({ lenderTypes: [] }, loanPolicy()), 'invalid_scope');
    expectError(() => resolveScope({ channels: [] }, loanPolicy()), 'invalid_scope');
    expectError(() => resolveScope({ lenderTypes: ['pawnshop' as 'bank'] }, loanPolicy()), 'invalid_scope');
    expectError(() => resolveScope({ channels: ['phone' as 'remote'] }, loanPolicy()), 'invalid_scope');
  });
});

describe('planning changes', () => {
  const now = '2026-03-10T06:00:00Z'; // 11:00 in Almaty

  it('places a new ban at version 1 with the policy maximum by default', () => {
    const m = planPlace(null, { term: { kind: 'max' } }, ctx(now));
    assert.equal(m.isNew, true);
    assert.equal(m.restriction.version, 1);
    assert.equal(m.restriction.startsAt.toISOString(), '2026-03-10T06:00:00.000Z');
    // six months from 10 March (Almaty): the last day is 10 September, so it ends at its midnight.
    assert.equal(m.restriction.endsAt?.toISOString(), '2026-09-10T19:00:00.000Z');
    assert.deepEqual(
      m.events.map((e) => e.action),
      ['placed'],
    );
  });

  it('changing scope or term of the ban in force makes a new version of the same ban', () => {
    const first = planPlace(null, { term: { kind: 'months', months: 1 } }, ctx(now)).restriction;
    const op: Actor = { kind: 'operator', name: 'Aizhan Serikova' };
    const m = planPlace(
      first,
      { scope: { channels: ['remote'] }, term: { kind: 'indefinite' } },
      ctx('2026-03-11T06:00:00Z', loanPolicy(), op),
    );
    assert.equal(m.isNew, false);
    assert.equal(m.restriction.id, first.id);
    assert.equal(m.restriction.version, 2);
    assert.equal(m.restriction.endsAt, null);
    assert.deepEqual(m.restriction.scope.channels, ['remote']);
    assert.deepEqual(m.events[0]?.actor, op);
  });

  it('placing after the old ban has ended starts a new ban', () => {
    const first = planPlace(null, { term: { kind: 'months', months: 1 } }, ctx(now)).restriction;
    const m = planPlace(first, { term: { kind: 'max' } }, ctx('2026-05-01T00:00:00Z'));
    assert.equal(m.isNew, true);
    assert.notEqual(m.restriction.id, first.id);
  });

  it('refuses until-cancelled when the policy does not allow it', () => {
    expectError(
      () => planPlace(null, { term: { kind: 'indefinite' } }, ctx(now, loanPolicy({ allowIndefinite: false }))),
      'invalid_term',
    );
  });

  it('lifts at once with no delay', () => {
    const r = planPlace(null, { term: { kind: 'max' } }, ctx(now)).restriction;
    const m = planLift(r, ctx('2026-03-11T00:00:00Z'));
    assert.equal(m.restriction.liftEffectiveAt?.toISOString(), '2026-03-11T00:00:00.000Z');
    assert.equal(isInForce(m.restriction, t('2026-03-11T00:00:00Z')), false);
  });

  it('with a lift delay the ban holds until then, a second lift is refused, and the lift can be cancelled', () => {
    const policy = loanPolicy({ liftDelay: { kind: 'calendar_days', days: 2 } });
    const r = planPlace(null, { term: { kind: 'indefinite' } }, ctx(now, policy)).restriction;
    const lifted = planLift(r, ctx(now, policy)).restriction;
    // Asked on 10 March (Almaty): effective at the start of 12 March, Almaty time.
    assert.equal(lifted.liftEffectiveAt?.toISOString(), '2026-03-11T19:00:00.000Z');
    assert.equal(statusAt(lifted, t('2026-03-11T18:00:00Z')), 'lift_pending');
    expectError(() => planLift(lifted, ctx('2026-03-11T00:00:00Z', policy)), 'lift_pending');
    const cancelled = planCancelLift(lifted, ctx('2026-03-11T00:00:00Z', policy));
    assert.equal(cancelled.restriction.liftEffectiveAt, null);
    assert.deepEqual(
      cancelled.events.map((e) => e.action),
      ['lift_cancelled'],
    );
    assert.equal(isInForce(cancelled.restriction, t('2027-01-01T00:00:00Z')), true);
    // Once it has taken effect there is nothing to cancel.
    expectError(() => planCancelLift(lifted, ctx('2026-03-11T19:00:00Z', policy)), 'no_pending_lift');
  });

  it('placing a ban while a lift is pending cancels the lift', () => {
    const policy = loanPolicy({ liftDelay: { kind: 'duration', ms: 3_600_000 } });
    const r = planPlace(null, { term: { kind: 'indefinite' } }, ctx(now, policy)).restriction;
    const lifted = planLift(r, ctx(now, policy)).restriction;
    const m = planPlace(lifted, { term: { kind: 'indefinite' } }, ctx('2026-03-10T06:30:00Z', policy));
    assert.deepEqual(
      m.events.map((e) => e.action),
      ['lift_cancelled', 'changed'],
    );
    assert.equal(m.restriction.liftEffectiveAt, null);
  });

  it('lifting or exempting needs a ban in force', () => {
    expectError(() => planLift(null, ctx(now)), 'no_restriction');
    expectError(() => planExemption(null, { lenderId: 'l1', hours: 1 }, ctx(now)), 'no_restriction');
    const r = planPlace(null, { term: { kind: 'months', months: 1 } }, ctx(now)).restriction;
    expectError(() => planLift(r, ctx('2026-05-01T00:00:00Z')), 'no_restriction');
  });

  it('opens an exemption for 1 to 72 hours and no more', () => {
    const r = planPlace(null, { term: { kind: 'max' } }, ctx(now)).restriction as Restriction;
    const m = planExemption(r, { lenderId: 'l1', hours: 72 }, ctx(now));
    assert.equal(m.exemption?.endsAt.toISOString(), '2026-03-13T06:00:00.000Z');
    assert.deepEqual(
      m.events.map((e) => e.action),
      ['exemption_opened'],
    );
    expectError(() => planExemption(r, { lenderId: 'l1', hours: 73 }, ctx(now)), 'invalid_exemption');
    expectError(() => planExemption(r, { lenderId: 'l1', hours: 0 }, ctx(now)), 'invalid_exemption');
    expectError(() => planExemption(r, { lenderId: 'l1', hours: 1.5 }, ctx(now)), 'invalid_exemption');
  });
});
