import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CheckRecord } from '../../src/checks/check.js';
import { ManualClock } from '../../src/clock.js';
import { citizenKeyOf } from '../../src/identity/citizen-key.js';
import type { Lender } from '../../src/lenders/lender.js';
import { auditLog, LogInconsistency } from '../../src/log/audit.js';
import { logCheck } from '../../src/log/entries.js';
import { createServices, type Services } from '../../src/services.js';
import { type AnyEntry, decodeEntry } from '../../src/verify/entry.js';
import { openTestStore } from '../helpers/engine.js';
import { BIN, IIN } from '../helpers/people.js';
import { openTestRegistry, TEST_PEPPER, type TestRegistry, testLogKey } from '../helpers/registry.js';

const op = { kind: 'operator' as const, name: 'Aizhan Serikova' };

/** A second process on the same database, as the CLI is: its own connection, and its own clock. */
async function secondProcess(reg: TestRegistry, clock: ManualClock): Promise<{ services: Services; close: () => Promise<void> }> {
  const { config, secrets } = reg.services;
  const store = await openTestStore(reg.databaseUrl, { origin: config.log.origin, key: testLogKey(config.log.origin) });
  const services = createServices({ config, store, clock, secrets });
  return { services, close: () => store.close() };
}

async function entries(reg: TestRegistry): Promise<AnyEntry[]> {
  const { size } = await reg.services.store.log.head();
  return (await reg.services.store.log.entries(0, size)).map((b) => decodeEntry(b));
}

const instantOf = (e: AnyEntry) => (e.type === 'check' ? e.checkedAt : e.at);

const audit = (reg: TestRegistry) =>
  auditLog(reg.services.store.log, { verifierKey: testLogKey(reg.services.config.log.origin).verifierKey });

describe("the log's order is the order of decisions", () => {
  let reg: TestRegistry;
  let bank: Lender;

  before(async () => {
    reg = await openTestRegistry();
    bank = (await reg.services.lenders.register({ name: 'Order Bank', bin: BIN.bank, type: 'bank' })).lender;
  });
  after(() => reg.close());

  it('a ban placed by another process after a check arrived, before its batch, decides that check', async () => {
    const cli = await secondProcess(reg, new ManualClock(reg.clock.now()));
    const checks = reg.services.store.checks;
    const decideBatch = checks.decideBatch.bind(checks);
    // The ban lands once the check is queued and before its batch is written: what the old order got wrong.
    checks.decideBatch = async (batch, now) => {
      checks.decideBatch = decideBatch;
      await cli.services.restrictions.place(IIN.alice, { term: { kind: 'indefinite' } }, op);
      return decideBatch(batch, now);
    };
    try {
      const answer = await reg.services.checks.check(bank, { iin: IIN.alice, channel: 'remote', reference: 'RACE-1' });
      assert.equal(answer.restricted, true, 'the check saw the ban logged before it');
      const log = await entries(reg);
      const placed = log.findIndex((e) => e.type === 'restriction_event');
      assert.ok(placed >= 0 && placed < answer.logIndex, 'the ban is logged before the check');
      const entry = log[answer.logIndex];
      assert.equal(entry?.type === 'check' && entry.restricted, true, 'the log records the answer given');
      await audit(reg);
    } finally {
      checks.decideBatch = decideBatch;
      await cli.close();
    }
  });

  it('instants never go backwards, whichever clock is behind', async () => {
    const start = reg.clock.now();
    reg.clock.advance(60_000);
    await reg.services.restrictions.place(IIN.bob, { term: { kind: 'indefinite' } }, op);
    const placedAt = reg.clock.now().toISOString();
    reg.clock.set(start); // this clock goes back a minute
    const a = await reg.services.checks.check(bank, { iin: IIN.bob, channel: 'remote', reference: 'BACK-1' });
    assert.equal(a.checkedAt, placedAt, 'the check takes the latest logged instant');
    assert.equal(a.restricted, true, 'and so sees the ban that was in force by then');
    // Another process whose clock is an hour behind changes the ban: its event is not dated before either.
    const cli = await secondProcess(reg, new ManualClock(new Date(start.getTime() - 3_600_000)));
    try {
      await cli.services.restrictions.lift(IIN.bob, op);
    } finally {
      await cli.close();
    }
    reg.clock.advance(1);
    await reg.services.checks.check(bank, { iin: IIN.bob, channel: 'in_person', reference: 'BACK-2' });
    const times = (await entries(reg)).map((e) => Date.parse(instantOf(e)));
    for (let i = 1; i < times.length; i++)
      assert.ok((times[i] as number) >= (times[i - 1] as number), `entry ${i} is not dated before entry ${i - 1}`);
    await audit(reg);
  });

  it('log verify fails, naming the entry, on a check whose answer contradicts the ban logged before it', async () => {
    reg.clock.advance(3_600_000); // past every instant logged above
    await reg.services.restrictions.place(IIN.carol, { term: { kind: 'indefinite' } }, op);
    reg.clock.advance(1000);
    const record: CheckRecord = {
      id: 'forged-check',
      lenderId: bank.id,
      citizenKey: citizenKeyOf(TEST_PEPPER, IIN.carol),
      channel: 'remote',
      reference: 'FORGED',
      restricted: false,
      checkedAt: reg.clock.now(),
      restrictionId: null,
      restrictionVersion: null,
    };
    // Written as a bulk loader would, with the answer given rather than decided: a well-signed, wrong log.
    const [receipt] = await reg.services.store.checks.insertBatch([logCheck(record, 'bank')]);
    await assert.rejects(audit(reg), (e: unknown) => {
      assert.ok(e instanceof LogInconsistency);
      assert.match(e.message, new RegExp(`^entry ${receipt?.logIndex}: check forged-check was answered not restricted`));
      return true;
    });
  });
});
