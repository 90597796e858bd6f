import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventEntry } from '../../src/log/entries.js';
import { answerAt, banAt, ReplayError } from '../../src/log/replay.js';
import { CHANNELS, LENDER_TYPES, loanPolicy } from '../../src/registry/policy.js';
import type { Exemption, Mutation, Restriction } from '../../src/registry/restriction.js';
import {
  decideCheck,
  type PlanContext,
  planCancelLift,
  planExemption,
  planLift,
  planPlace,
} from '../../src/registry/restriction.rules.js';
import type { RestrictionEventEntry } from '../../src/verify/entry.js';

// The replay of logged events must give the answer the registry gives from its tables, at any instant.

const HOUR = 3_600_000;
const CITIZEN = Buffer.alloc(32, 3);
const LENDER = 'lender-exempted';
const policy = loanPolicy({ liftDelay: { kind: 'duration', ms: 90 * 60_000 } });
let ids = 0;
const ctx = (now: Date): PlanContext => ({
  policy,
  now,
  newId: () => `id-${++ids}`,
  actor: { kind: 'operator', name: 'Replay Operator' },
});

/** A history of changes, with what the tables hold after each: the latest ban and its exemptions. */
function history() {
  const start = Date.parse('2026-03-10T06:00:00.000Z');
  const states: { at: number; ban: Restriction; exemptions: Exemption[] }[] = [];
  const entries: RestrictionEventEntry[] = [];
  let ban: Restriction | null = null;
  let exemptions: Exemption[] = [];
  const apply = (hours: number, plan: (current: Restriction | null, c: PlanContext) => Mutation) => {
    const now = new Date(start + hours * HOUR);
    const m = plan(ban, ctx(now));
    if (m.isNew) exemptions = [];
    if (m.exemption) exemptions = [...exemptions, m.exemption];
    ban = m.restriction;
    for (const e of m.events) entries.push(eventEntry(e, CITIZEN, 'loan'));
    states.push({ at: now.getTime(), ban, exemptions });
  };
  apply(0, (b, c) => planPlace(b, { term: { kind: 'max' } }, c));
  apply(5, (b, c) => planPlace(b, { scope: { lenderTypes: ['mfo'], channels: ['remote'] }, term: { kind: 'indefinite' } }, c));
  apply(6, (b, c) => planExemption(b, { lenderId: LENDER, hours: 2 }, c));
  apply(10, (b, c) => planLift(b, c));
  apply(11, (b, c) => planCancelLift(b, c));
  apply(20, (b, c) => planLift(b, c)); // effective 90 minutes later
  apply(21, (b, c) => planPlace(b, { term: { kind: 'months', months: 1 } }, c)); // a lift pending: cancelled, then changed
  apply(30, (b, c) => planLift(b, c));
  apply(40, (b, c) =>
    planPlace(b, { scope: { lenderTypes: ['bank'], channels: ['in_person', 'remote'] }, term: { kind: 'max' } }, c),
  );
  return { start, states, entries };
}

describe('replaying logged restriction events', () => {
  const { start, states, entries } = history();

  it('gives what the registry decides from its tables, at every instant, for every checker', () => {
    let compared = 0;
    for (let minutes = -30; minutes <= 50 * 60; minutes += 15) {
      const at = new Date(start + minutes * 60_000);
      const state = states.filter((s) => s.at <= at.getTime()).at(-1) ?? null;
      for (const lenderType of LENDER_TYPES) {
        for (const lenderId of [LENDER, 'another-lender', null]) {
          for (const channel of CHANNELS) {
            const forLender = lenderId === null ? [] : (state?.exemptions ?? []).filter((x) => x.lenderId === lenderId);
            const expected = decideCheck(state?.ban ?? null, forLender, lenderType, channel, at);
            const got = answerAt(entries, { lenderType, lenderId }, channel, at).restricted;
            assert.equal(got, expected, `${at.toISOString()} ${lenderType} ${lenderId} ${channel}`);
            compared++;
          }
        }
      }
    }
    assert.ok(compared > 1000);
  });

  it('rebuilds the terms, the version and the exemptions of the ban in force', () => {
    const at = new Date(start + 7 * HOUR);
    const ban = banAt(entries, 'loan', at);
    assert.ok(ban);
    assert.equal(ban.version, 3);
    assert.deepEqual(ban.scope, { lenderTypes: ['mfo'], channels: ['remote'] });
    assert.equal(ban.endsAt, null);
    assert.equal(ban.startsAt.getTime(), start);
    assert.deepEqual(ban.exemptions, [
      { lenderId: LENDER, startsAt: new Date(start + 6 * HOUR), endsAt: new Date(start + 8 * HOUR) },
    ]);
    assert.equal(answerAt(entries, { lenderType: 'mfo', lenderId: LENDER }, 'remote', at).restricted, false);
    assert.equal(answerAt(entries, { lenderType: 'mfo', lenderId: null }, 'remote', at).restricted, true);
  });

  it('knows no ban before the first event, and the newest ban after a new placement', () => {
    assert.equal(banAt(entries, 'loan', new Date(start - 1)), null);
    const late = banAt(entries, 'loan', new Date(start + 41 * HOUR));
    assert.equal(late?.version, 1);
    assert.notEqual(late?.restrictionId, entries[0]?.restrictionId);
    assert.deepEqual(late?.exemptions, []);
  });

  it('refuses a history with a missing version', () => {
    const gap = entries.filter((e) => !(e.restrictionId === entries[0]?.restrictionId && e.version === 2));
    assert.throws(() => banAt(gap, 'loan', new Date(start + 12 * HOUR)), ReplayError);
  });
});
