import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError } from '../../src/errors.js';
import { citizenKeyOf } from '../../src/identity/citizen-key.js';
import type { Lender } from '../../src/lenders/lender.js';
import { BIN, IIN } from '../helpers/people.js';
import { openTestRegistry, TEST_PEPPER, type TestRegistry } from '../helpers/registry.js';

const op = (name: string) => ({ kind: 'operator' as const, name });
const citizen = { kind: 'citizen' as const };

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof AppError && e.code === code);
}

describe('RestrictionService on the SQLite store', () => {
  let reg: TestRegistry;
  let bank: Lender;
  let mfo: Lender;

  before(async () => {
    reg = await openTestRegistry({ env: { LIFT_DELAY: '2d' } });
    bank = (await reg.services.lenders.register({ name: 'Halyk Demo', bin: BIN.bank, type: 'bank' })).lender;
    mfo = (await reg.services.lenders.register({ name: 'Quick Money Demo', bin: BIN.mfo, type: 'mfo' })).lender;
  });
  after(() => reg.close());

  const decide = async (iin: string, lender: Lender, channel: 'remote' | 'in_person') =>
    (await reg.services.checks.check(lender, { iin, channel, reference: 'ref' })).restricted;

  it('keeps every version of a ban with who made it, and keeps one ban in force', async () => {
    const s = reg.services.restrictions;
    await s.place(IIN.alice, { term: { kind: 'months', months: 3 } }, op('Aizhan Serikova'));
    await s.place(IIN.alice, { scope: { channels: ['remote'] }, term: { kind: 'indefinite' } }, citizen);
    const record = await s.record(IIN.alice);
    assert.equal(record.restriction?.version, 2);
    assert.equal(record.restriction?.endsAt, null);
    assert.deepEqual(record.restriction?.scope, { lenderTypes: ['bank', 'mfo'], channels: ['remote'] });
    assert.deepEqual(
      record.history.map((e) => [e.version, e.action, e.actor]),
      [
        [1, 'placed', op('Aizhan Serikova')],
        [2, 'changed', citizen],
      ],
    );
    assert.equal(record.history[0]?.restrictionId, record.history[1]?.restrictionId, 'a change is a new version of the same ban');
  });

  it('decides checks from the stored ban, its pending lift and exemptions', async () => {
    const s = reg.services.restrictions;
    await s.place(IIN.bob, { term: { kind: 'indefinite' } }, citizen);
    assert.equal(await decide(IIN.bob, bank, 'remote'), true);

    await s.exempt(IIN.bob, { lenderBin: BIN.mfo, hours: 24 }, citizen);
    assert.equal(await decide(IIN.bob, mfo, 'remote'), false, 'the exempted lender is let through');
    assert.equal(await decide(IIN.bob, bank, 'remote'), true, 'the ban holds for everyone else');
    reg.clock.advance(24 * 3_600_000);
    assert.equal(await decide(IIN.bob, mfo, 'remote'), true, 'the exemption ended by itself');

    const lifted = await s.lift(IIN.bob, citizen);
    assert.ok(lifted.restriction.liftEffectiveAt);
    assert.equal(await decide(IIN.bob, bank, 'in_person'), true, 'a pending lift does not stop the ban');
    assert.equal((await s.record(IIN.bob)).restriction?.status, 'lift_pending');
    await s.cancelLift(IIN.bob, citizen);
    await s.lift(IIN.bob, citizen);
    reg.clock.advance(3 * 86_400_000); // LIFT_DELAY=2d: past the start of the second day
    assert.equal(await decide(IIN.bob, bank, 'in_person'), false, 'the lift took effect');
    assert.equal((await s.record(IIN.bob)).restriction, null);
    assert.deepEqual(
      (await s.record(IIN.bob)).history.map((e) => e.action),
      ['placed', 'exemption_opened', 'lift_requested', 'lift_cancelled', 'lift_requested'],
    );
    reg.clock.set('2026-03-10T06:00:00Z');
  });

  it('refuses what the rules refuse and changes nothing', async () => {
    const s = reg.services.restrictions;
    await rejectsWith(s.lift(IIN.carol, citizen), 'no_restriction');
    await rejectsWith(s.cancelLift(IIN.carol, citizen), 'no_pending_lift');
    await rejectsWith(s.place('880101300011', { term: { kind: 'max' } }, citizen), 'invalid_iin');
    await rejectsWith(s.place(IIN.carol, { term: { kind: 'months', months: 7 } }, citizen), 'invalid_term');
    await s.place(IIN.carol, { term: { kind: 'max' } }, citizen);
    await rejectsWith(s.exempt(IIN.carol, { lenderBin: BIN.otherBank, hours: 1 }, citizen), 'lender_not_found');
    await rejectsWith(s.exempt(IIN.carol, { lenderBin: '123', hours: 1 }, citizen), 'invalid_bin');
    await rejectsWith(s.exempt(IIN.carol, { lenderBin: BIN.bank, hours: 73 }, citizen), 'invalid_exemption');
    assert.deepEqual(
      (await s.record(IIN.carol)).history.map((e) => e.action),
      ['placed'],
    );
  });

  it('lists every check on a citizen with the lender that made it, keyed only by the citizen key', async () => {
    await decide(IIN.dan, bank, 'remote');
    await decide(IIN.dan, mfo, 'in_person');
    const checks = await reg.services.store.checks.listByCitizen(citizenKeyOf(TEST_PEPPER, IIN.dan));
    assert.deepEqual(
      checks.map((c) => [c.lender.name, c.lender.type, c.channel, c.restricted]),
      [
        ['Halyk Demo', 'bank', 'remote', false],
        ['Quick Money Demo', 'mfo', 'in_person', false],
      ],
    );
  });
});
