import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../src/errors.js';
import { loanPolicy, parseLiftDelay } from '../../src/registry/policy.js';
import { daysLeft, lastDayOf, liftEffectiveAt, resolveTermEnd } from '../../src/registry/term.js';

const policy = loanPolicy();
// 23:30 on 31 August in Almaty (UTC+5) is still 18:30 UTC the same day.
const lateEvening = new Date('2026-08-31T18:30:00Z');

function expectTerm(fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => e instanceof AppError && e.code === 'invalid_term');
}

describe('terms in Asia/Almaty', () => {
  it('a fixed term covers whole Almaty days and ends at the midnight after its last day', () => {
    const end = resolveTermEnd({ kind: 'until', date: '2026-09-15' }, policy, lateEvening);
    assert.equal(end?.toISOString(), '2026-09-15T19:00:00.000Z');
    assert.equal(lastDayOf(end as Date), '2026-09-15');
  });

  it('counts months on the Almaty calendar, clamping to the month’s end', () => {
    const end = resolveTermEnd({ kind: 'months', months: 6 }, policy, lateEvening) as Date;
    assert.equal(lastDayOf(end), '2027-02-28');
    // Just after Almaty midnight it is already 1 September there, though still 31 August in UTC.
    const justAfter = new Date('2026-08-31T19:00:00Z');
    assert.equal(lastDayOf(resolveTermEnd({ kind: 'months', months: 1 }, policy, justAfter) as Date), '2026-10-01');
  });

  it('runs from one day to the policy maximum', () => {
    assert.ok(resolveTermEnd({ kind: 'until', date: '2026-09-01' }, policy, lateEvening));
    expectTerm(() => resolveTermEnd({ kind: 'until', date: '2026-08-31' }, policy, lateEvening));
    assert.ok(resolveTermEnd({ kind: 'until', date: '2027-02-28' }, policy, lateEvening));
    expectTerm(() => resolveTermEnd({ kind: 'until', date: '2027-03-01' }, policy, lateEvening));
    expectTerm(() => resolveTermEnd({ kind: 'months', months: 7 }, policy, lateEvening));
    expectTerm(() => resolveTermEnd({ kind: 'months', months: 0 }, policy, lateEvening));
    expectTerm(() => resolveTermEnd({ kind: 'until', date: '2026-02-30' }, policy, lateEvening));
    expectTerm(() => resolveTermEnd({ kind: 'until', date: '15.09.2026' }, policy, lateEvening));
    assert.equal(resolveTermEnd({ kind: 'indefinite' }, policy, lateEvening), null);
  });

  it('counts days left in Almaty calendar days, today included', () => {
    const end = resolveTermEnd({ kind: 'until', date: '2026-09-02' }, policy, lateEvening) as Date;
    assert.equal(daysLeft(end, lateEvening), 3);
    assert.equal(daysLeft(end, end), 0);
  });
});

describe('lift delay', () => {
  const at = new Date('2026-03-10T06:00:00Z');
  it('parses the setting', () => {
    assert.deepEqual(parseLiftDelay('0'), { kind: 'none' });
    assert.deepEqual(parseLiftDelay('90m'), { kind: 'duration', ms: 5_400_000 });
    assert.deepEqual(parseLiftDelay('24h'), { kind: 'duration', ms: 86_400_000 });
    assert.deepEqual(parseLiftDelay('2d'), { kind: 'calendar_days', days: 2 });
    assert.throws(() => parseLiftDelay('tomorrow'));
  });
  it('computes when a lift takes effect', () => {
    assert.equal(liftEffectiveAt({ kind: 'none' }, at).toISOString(), at.toISOString());
    assert.equal(liftEffectiveAt({ kind: 'duration', ms: 3_600_000 }, at).toISOString(), '2026-03-10T07:00:00.000Z');
    assert.equal(liftEffectiveAt({ kind: 'calendar_days', days: 1 }, at).toISOString(), '2026-03-10T19:00:00.000Z');
  });
});
