import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Auditor } from '../../src/auditors/auditor.js';
import type { CheckRecord } from '../../src/checks/check.js';
import type { PendingCheck } from '../../src/checks/check.repository.js';
import { demoIin } from '../../src/demo/seed.js';
import { AppError } from '../../src/errors.js';
import type { IdempotencyClaim } from '../../src/idempotency/idempotency.js';
import { IDEMPOTENCY_WINDOW_MS } from '../../src/idempotency/idempotency.js';
import { type CitizenKey, citizenKeyOf } from '../../src/identity/citizen-key.js';
import { newId } from '../../src/ids.js';
import { generateApiKey, hashApiKey, keyPrefixOf } from '../../src/lenders/api-key.js';
import type { Lender } from '../../src/lenders/lender.js';
import { auditLog } from '../../src/log/audit.js';
import { logCheck, logMutation } from '../../src/log/entries.js';
import { type LenderType, loanPolicy } from '../../src/registry/policy.js';
import type { Actor, CitizenFacts, Mutation, Restriction } from '../../src/registry/restriction.js';
import { type PlanContext, planChange, planExemption, planLift, planPlace } from '../../src/registry/restriction.rules.js';
import type { Store } from '../../src/store/store.js';
import { decodeEntry, leafHash, verifyCheckpoint } from '../../src/verify/index.js';
import { ENGINE, openTestStore, type TestDatabase, testDatabase } from '../helpers/engine.js';
import { IIN as PEOPLE } from '../helpers/people.js';
import { TEST_PEPPER, tempDir, testLogKey } from '../helpers/registry.js';

/**
 * What every store promises, through the Store interface alone: run on the engine the suite runs on (SQLite, or
 * PostgreSQL with TYIYM_TEST_ENGINE=postgres), so that both engines keep one contract. Domain objects are built
 * the way the services build them: the pure plans of restriction.rules.ts, the entries of log/entries.ts.
 */

const ORIGIN = 'tyiym.kz/log';
const KEY = testLogKey(ORIGIN);
const SIGNER = { origin: ORIGIN, key: KEY };
const T0 = new Date('2026-03-10T06:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const FACTS: CitizenFacts = { birthYear: 1958, sex: 'female' };
const OPERATOR: Actor = { kind: 'operator', name: 'Aizhan Serikova' };

const IIN = { ...PEOPLE, erin: demoIin(1979, 5, 9, 'female'), frank: demoIin(1968, 9, 17, 'male') };

const keyOf = (iin: string): CitizenKey => citizenKeyOf(TEST_PEPPER, iin);

function context(now: Date, actor: Actor = OPERATOR, policy = loanPolicy()): PlanContext {
  return { policy, now, newId, actor };
}

const notEarlier = (now: Date, notBefore: Date) => (now < notBefore ? notBefore : now);

/** A change as the restriction service makes it: planned from the latest ban, never before the latest logged instant. */
function change(
  store: Store,
  iin: string,
  now: Date,
  plan: (current: Restriction | null, ctx: PlanContext) => Mutation,
  claim?: IdempotencyClaim,
  policy = loanPolicy(),
): Promise<Mutation> {
  const citizenKey = keyOf(iin);
  return store.restrictions.mutate(
    citizenKey,
    'loan',
    FACTS,
    (current, notBefore) => logMutation(plan(current, context(notEarlier(now, notBefore), OPERATOR, policy)), citizenKey),
    claim,
  );
}

const place = (store: Store, iin: string, now: Date, claim?: IdempotencyClaim) =>
  change(store, iin, now, (current, ctx) => planPlace(current, { term: { kind: 'indefinite' } }, ctx), claim);

function newLender(name: string, bin: string, type: LenderType, createdAt: Date): { lender: Lender; apiKey: string } {
  const apiKey = generateApiKey();
  return {
    apiKey,
    lender: { id: newId(), name, bin, type, status: 'active', keyPrefix: keyPrefixOf(apiKey), createdAt, revokedAt: null },
  };
}

function pending(lender: Lender, iin: string, reference: string, idempotency?: IdempotencyClaim): PendingCheck {
  const p: PendingCheck = {
    id: newId(),
    lender: { id: lender.id, type: lender.type },
    citizenKey: keyOf(iin),
    channel: 'remote',
    reference,
  };
  if (idempotency !== undefined) p.idempotency = idempotency;
  return p;
}

function claimOf(caller: string, key: string, claimedAt: Date, request = 'request'): IdempotencyClaim {
  return { caller, key, requestHash: hashApiKey(request), at: claimedAt };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof AppError, `an AppError, not ${String(e)}`);
    assert.equal(e.code, code);
    return true;
  });
}

describe(`the store contract (${ENGINE})`, () => {
  const dir = tempDir('tyiym-contract-');
  let database: TestDatabase;
  let store: Store;
  let bank: Lender;
  let mfo: Lender;
  let bankKey: string;

  before(async () => {
    database = await testDatabase(dir);
    store = await openTestStore(database.url, SIGNER);
  });
  after(async () => {
    await store?.close();
    await database?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opens empty, on the engine the suite runs on', async () => {
    assert.equal(store.engine, ENGINE);
    assert.equal(await store.isEmpty(), true);
    assert.deepEqual(await store.log.head(), { size: 0, checkpoint: null });
    assert.deepEqual(await store.log.counts(), { entries: 0, nodes: 0 });
    assert.deepEqual(await store.log.state(), { size: 0, rightEdge: [], checkpoint: null });
    assert.deepEqual(await store.log.checkpoints(), []);
    assert.equal(await store.checks.count(), 0);
    assert.deepEqual(await store.lenders.list(), []);
    assert.deepEqual(await store.auditors.list(), []);
    assert.equal(await store.restrictions.latest(keyOf(IIN.alice), 'loan'), null);
    assert.deepEqual(await store.restrictions.history(keyOf(IIN.alice)), []);
    await store.ping();
  });

  describe('lenders', () => {
    it('are stored and found by id, BIN and key hash; a BIN is taken once', async () => {
      const a = newLender('Contract Bank JSC', '990140000011', 'bank', at(0));
      const b = newLender('Contract Micro LLP', '990240000022', 'mfo', at(1));
      await store.lenders.insert(a.lender, hashApiKey(a.apiKey));
      await store.lenders.insert(b.lender, hashApiKey(b.apiKey));
      bank = a.lender;
      mfo = b.lender;
      bankKey = a.apiKey;
      assert.equal(await store.isEmpty(), false);
      assert.deepEqual(await store.lenders.findById(bank.id), bank);
      assert.deepEqual(await store.lenders.findByBin(mfo.bin), mfo);
      assert.deepEqual(await store.lenders.findByKeyHash(hashApiKey(bankKey), at(2)), bank);
      assert.equal(await store.lenders.findByKeyHash(hashApiKey(generateApiKey()), at(2)), null);
      assert.equal(await store.lenders.findById('no-such-lender'), null);
      assert.equal(await store.lenders.findByBin('000000000000'), null);
      assert.deepEqual(await store.lenders.list(), [bank, mfo], 'in the order they were made');

      const twin = newLender('Another name', bank.bin, 'bank', at(2));
      await rejectsWith(store.lenders.insert(twin.lender, hashApiKey(twin.apiKey)), 'lender_exists');
      assert.equal((await store.lenders.list()).length, 2);
    });

    it('a replaced key stays valid until its overlap ends, and only the key replaced', async () => {
      const c = newLender('Rotating Bank JSC', '990140000033', 'bank', at(3));
      await store.lenders.insert(c.lender, hashApiKey(c.apiKey));
      const second = generateApiKey();
      assert.equal(await store.lenders.replaceKey(c.lender.id, hashApiKey(second), keyPrefixOf(second), at(60)), true);
      const now = await store.lenders.findById(c.lender.id);
      assert.equal(now?.keyPrefix, keyPrefixOf(second));
      assert.equal((await store.lenders.findByKeyHash(hashApiKey(c.apiKey), at(59)))?.id, c.lender.id, 'within the overlap');
      assert.equal(await store.lenders.findByKeyHash(hashApiKey(c.apiKey), at(60)), null, 'not once it has ended');
      assert.equal((await store.lenders.findByKeyHash(hashApiKey(second), at(60)))?.id, c.lender.id);

      const third = generateApiKey();
      assert.equal(await store.lenders.replaceKey(c.lender.id, hashApiKey(third), keyPrefixOf(third), null), true);
      assert.equal(await store.lenders.findByKeyHash(hashApiKey(c.apiKey), at(10)), null, 'an older key is cut off');
      assert.equal(await store.lenders.findByKeyHash(hashApiKey(second), at(10)), null, 'no overlap asked');
      assert.equal((await store.lenders.findByKeyHash(hashApiKey(third), at(10)))?.id, c.lender.id);

      assert.equal(await store.lenders.revoke(c.lender.id, at(4)), true);
      assert.equal(await store.lenders.revoke(c.lender.id, at(5)), false, 'once');
      const revoked = await store.lenders.findById(c.lender.id);
      assert.equal(revoked?.status, 'revoked');
      assert.deepEqual(revoked?.revokedAt, at(4));
      const fourth = generateApiKey();
      assert.equal(await store.lenders.replaceKey(c.lender.id, hashApiKey(fourth), keyPrefixOf(fourth), null), false);
      assert.equal(await store.lenders.revoke('no-such-lender', at(5)), false);
    });
  });

  describe('restrictions', () => {
    let placed: Mutation;

    it('mutate places a ban, logs its event in the same transaction, and latest and history read it back', async () => {
      const before = (await store.log.head()).size;
      placed = await place(store, IIN.alice, at(10));
      assert.equal(placed.isNew, true);
      const r = placed.restriction;
      assert.deepEqual(await store.restrictions.latest(keyOf(IIN.alice), 'loan'), r);
      const history = await store.restrictions.history(keyOf(IIN.alice));
      assert.equal(history.length, 1);
      assert.deepEqual(history[0], { ...placed.events[0], logIndex: before });
      assert.equal((await store.log.head()).size, before + 1);
      const [entry] = await store.log.entries(before, before + 1);
      const decoded = decodeEntry(entry as Buffer);
      assert.ok(decoded.type === 'restriction_event' && decoded.eventId === placed.events[0]?.id);
      assert.equal(await store.restrictions.latest(keyOf(IIN.bob), 'loan'), null, 'another citizen has none');
    });

    it('a plan is given the latest logged instant, and is planned from the ban as logged', async () => {
      let seen: { current: Restriction | null; notBefore: Date } | null = null;
      const citizenKey = keyOf(IIN.alice);
      await store.restrictions.mutate(citizenKey, 'loan', FACTS, (current, notBefore) => {
        seen = { current, notBefore };
        return logMutation(
          planChange(current, { scope: { channels: ['remote'] } }, context(notEarlier(at(5), notBefore))),
          citizenKey,
        );
      });
      const s = seen as { current: Restriction | null; notBefore: Date } | null;
      assert.deepEqual(s?.current, placed.restriction);
      assert.ok((s?.notBefore.getTime() ?? 0) >= at(10).getTime(), 'not before the event logged at 10 minutes');
      const latest = await store.restrictions.latest(citizenKey, 'loan');
      assert.equal(latest?.version, 2);
      assert.deepEqual(latest?.scope.channels, ['remote']);
      assert.deepEqual(latest?.updatedAt, at(10), 'dated no earlier than the latest logged instant');
    });

    it('a plan that throws writes nothing', async () => {
      const head = await store.log.head();
      const latest = await store.restrictions.latest(keyOf(IIN.bob), 'loan');
      await rejectsWith(
        change(store, IIN.bob, at(11), (current, ctx) => planLift(current, ctx)),
        'no_restriction',
      );
      assert.deepEqual(await store.log.head(), head);
      assert.deepEqual(await store.restrictions.latest(keyOf(IIN.bob), 'loan'), latest);
      assert.deepEqual(await store.restrictions.history(keyOf(IIN.bob)), []);
    });

    it('a change of several events keeps their order in history and in the log', async () => {
      const delayed = loanPolicy({ liftDelay: { kind: 'calendar_days', days: 2 } });
      await change(store, IIN.alice, at(12), (current, ctx) => planLift(current, ctx), undefined, delayed);
      const before = (await store.log.head()).size;
      const m = await change(
        store,
        IIN.alice,
        at(13),
        (current, ctx) => planChange(current, { term: { kind: 'indefinite' } }, ctx),
        undefined,
        delayed,
      );
      assert.deepEqual(
        m.events.map((e) => e.action),
        ['lift_cancelled', 'changed'],
      );
      const history = await store.restrictions.history(keyOf(IIN.alice));
      assert.deepEqual(
        history.map((e) => [e.action, e.version, e.logIndex]),
        [
          ['placed', 1, 0],
          ['changed', 2, 1],
          ['lift_requested', 3, 2],
          ['lift_cancelled', 4, before],
          ['changed', 5, before + 1],
        ],
      );
      const entries = (await store.log.entries(before, before + 2)).map((b) => decodeEntry(b));
      assert.deepEqual(
        entries.map((e) => (e.type === 'restriction_event' ? e.action : e.type)),
        ['lift_cancelled', 'changed'],
      );
      const latest = await store.restrictions.latest(keyOf(IIN.alice), 'loan');
      assert.equal(latest?.version, 5);
      assert.equal(latest?.liftEffectiveAt, null);
      assert.equal(latest?.liftRequestedAt, null);
    });

    it('an exemption is stored with its event, and exemptions lists those of the ban', async () => {
      const m = await change(store, IIN.alice, at(14), (current, ctx) =>
        planExemption(current, { lenderId: mfo.id, hours: 2 }, ctx),
      );
      assert.ok(m.exemption);
      assert.deepEqual(await store.restrictions.exemptions(m.restriction.id), [m.exemption]);
      assert.deepEqual(await store.restrictions.exemptions('no-such-ban'), []);
      const last = (await store.restrictions.history(keyOf(IIN.alice))).at(-1);
      assert.deepEqual(last?.exemption, { lenderId: mfo.id, endsAt: m.exemption.endsAt });
      assert.deepEqual(last?.actor, OPERATOR);
    });
  });

  describe('checks', () => {
    it('decideBatch decides each check from the bans and exemptions as logged, and logs them in order', async () => {
      const before = (await store.log.head()).size;
      const batch = [
        pending(bank, IIN.alice, 'APP-1'), // banned
        pending(mfo, IIN.alice, 'APP-2'), // banned, but the mfo is exempted
        pending(bank, IIN.bob, 'APP-3'), // no ban
      ];
      const decided = await store.checks.decideBatch(batch, at(15));
      assert.deepEqual(
        decided.map((d) => d.record.restricted),
        [true, false, false],
      );
      const latest = await store.restrictions.latest(keyOf(IIN.alice), 'loan');
      assert.equal(decided[0]?.record.restrictionId, latest?.id);
      assert.equal(decided[0]?.record.restrictionVersion, latest?.version);
      assert.equal(decided[2]?.record.restrictionId, null);
      assert.deepEqual(
        decided.map((d) => d.receipt.logIndex),
        [before, before + 1, before + 2],
      );
      for (const [i, d] of decided.entries()) {
        assert.equal(d.record.id, batch[i]?.id);
        assert.deepEqual(d.record.checkedAt, at(15));
        const [entry] = await store.log.entries(d.receipt.logIndex, d.receipt.logIndex + 1);
        assert.deepEqual(entry, d.receipt.entry);
        assert.deepEqual(await store.checks.findById(d.record.id), { ...d.record, logIndex: d.receipt.logIndex });
      }
      assert.equal(await store.checks.findById('no-such-check'), null);
      assert.equal(await store.checks.count(), 3);
    });

    it('a check is dated no earlier than the latest logged instant, whatever the clock says', async () => {
      const [d] = await store.checks.decideBatch([pending(bank, IIN.bob, 'EARLY')], at(1));
      assert.deepEqual(d?.record.checkedAt, at(15));
    });

    it('insertBatch writes checks as decided, with one checkpoint for the batch', async () => {
      const head = await store.log.head();
      const checkpoints = (await store.log.checkpoints()).length;
      const records: CheckRecord[] = [IIN.carol, IIN.dan].map((iin, i) => ({
        id: newId(),
        lenderId: mfo.id,
        citizenKey: keyOf(iin),
        channel: 'in_person',
        reference: `BULK-${i}`,
        restricted: false,
        checkedAt: at(16),
        restrictionId: null,
        restrictionVersion: null,
      }));
      const receipts = await store.checks.insertBatch(records.map((r) => logCheck(r, 'mfo')));
      assert.deepEqual(
        receipts.map((r) => r.logIndex),
        [head.size, head.size + 1],
      );
      assert.equal((await store.log.checkpoints()).length, checkpoints + 1);
      assert.deepEqual(await store.checks.findById(records[1]?.id as string), { ...records[1], logIndex: head.size + 1 });
      assert.deepEqual(await store.checks.insertBatch([]), []);
    });

    it('pageByCitizen lists a citizen’s checks newest first, with their lenders, and counts them all', async () => {
      const mine = [];
      for (let i = 0; i < 5; i++)
        mine.push(...(await store.checks.decideBatch([pending(mfo, IIN.erin, `PAGE-${i}`)], at(20 + i))));
      const all = await store.checks.listByCitizen(keyOf(IIN.erin));
      assert.deepEqual(
        all.map((c) => c.reference),
        ['PAGE-0', 'PAGE-1', 'PAGE-2', 'PAGE-3', 'PAGE-4'],
      );
      assert.deepEqual(all[0]?.lender, { id: mfo.id, name: mfo.name, bin: mfo.bin, type: mfo.type });
      const page = await store.checks.pageByCitizen(keyOf(IIN.erin), { offset: 1, limit: 2 });
      assert.equal(page.total, 5);
      assert.deepEqual(
        page.checks.map((c) => c.reference),
        ['PAGE-3', 'PAGE-2'],
      );
      assert.deepEqual(await store.checks.pageByCitizen(keyOf(IIN.frank), { offset: 0, limit: 10 }), { checks: [], total: 0 });
    });
  });

  describe('the log', () => {
    it('stores every entry, node and checkpoint of one consistent tree', async () => {
      const head = await store.log.head();
      const state = await store.log.state();
      assert.equal(state.size, head.size);
      assert.equal(state.checkpoint, head.checkpoint);
      assert.ok(head.checkpoint);
      const checkpoint = verifyCheckpoint(head.checkpoint, KEY.verifierKey, { origin: ORIGIN });
      assert.equal(checkpoint.size, head.size);

      const entries = await store.log.entries(0, head.size);
      assert.equal(entries.length, head.size);
      assert.deepEqual(await store.log.entries(head.size, head.size + 10), []);
      const leaves = await store.log.nodeRange(0, 0, head.size);
      assert.deepEqual(
        leaves.map((n) => n.index),
        entries.map((_, i) => i),
      );
      for (const [i, e] of entries.entries()) assert.deepEqual(leaves[i]?.hash, leafHash(e));
      assert.deepEqual(
        await store.log.hashes([
          { level: 0, index: 2 },
          { level: 0, index: 0 },
        ]),
        [leafHash(entries[2] as Buffer), leafHash(entries[0] as Buffer)],
      );
      assert.deepEqual(await store.log.hashes([]), []);
      await assert.rejects(store.log.hashes([{ level: 0, index: head.size + 5 }]), /is not stored/);
      const counts = await store.log.counts();
      assert.equal(counts.entries, head.size);
      assert.ok(counts.nodes >= head.size);

      const checkpoints = await store.log.checkpoints();
      const sizes = checkpoints.map((c) => c.size);
      assert.deepEqual(
        sizes,
        [...sizes].sort((a, b) => a - b),
        'by size',
      );
      assert.equal(checkpoints.at(-1)?.note, head.checkpoint);
      // Every checkpoint signed is consistent with the tree as stored.
      const report = await auditLog(store.log, { verifierKey: KEY.verifierKey });
      assert.equal(report.entries, head.size);
    });

    it('snapshot reads one state of the log, and cannot be nested', async () => {
      const head = await store.log.head();
      const inside = await store.log.snapshot(async () => ({
        head: await store.log.head(),
        n: (await store.log.counts()).entries,
      }));
      assert.deepEqual(inside, { head, n: head.size });
      await assert.rejects(
        store.log.snapshot(() => store.log.snapshot(async () => 1)),
        /snapshot/,
      );
      assert.deepEqual(await store.log.head(), head, 'and the store goes on after it');
    });
  });

  describe('idempotency', () => {
    it('a check’s claim is recorded with its check and receipt, and found within its window', async () => {
      const claim = claimOf(`lender:${bank.id}`, 'check-key-1', at(30));
      const [d] = await store.checks.decideBatch([pending(bank, IIN.bob, 'IDEM-1', claim)], at(30));
      const found = await store.idempotency.find(claim.caller, claim.key, at(0));
      assert.deepEqual(found, { ...claim, checkId: d?.record.id, receipt: d?.receipt.receipt, response: null });
      assert.equal(await store.idempotency.find(claim.caller, claim.key, at(31)), null, 'claimed before notBefore');
      assert.equal(await store.idempotency.find(`lender:${mfo.id}`, claim.key, at(0)), null, 'another caller’s keys');
    });

    it('a live key claimed again fails the whole write; a change’s answer is saved with its claim', async () => {
      const caller = `citizen:${keyOf(IIN.carol).toString('base64url')}`;
      const claim = claimOf(caller, 'place-key', at(31), 'place');
      const m = await place(store, IIN.carol, at(31), claim);
      await store.idempotency.saveResponse(caller, 'place-key', JSON.stringify({ id: m.restriction.id }));
      const found = await store.idempotency.find(caller, 'place-key', at(0));
      assert.equal(found?.response, JSON.stringify({ id: m.restriction.id }));
      assert.equal(found?.checkId, null);

      const head = await store.log.head();
      const history = await store.restrictions.history(keyOf(IIN.carol));
      const again = claimOf(caller, 'place-key', at(32), 'another request');
      await rejectsWith(
        change(store, IIN.carol, at(32), (current, ctx) => planChange(current, { scope: { lenderTypes: ['mfo'] } }, ctx), again),
        'unavailable',
      );
      const checks = await store.checks.count();
      await rejectsWith(store.checks.decideBatch([pending(bank, IIN.carol, 'RACE', again)], at(32)), 'unavailable');
      assert.deepEqual(await store.log.head(), head, 'nothing logged');
      assert.deepEqual(await store.restrictions.history(keyOf(IIN.carol)), history, 'nothing changed');
      assert.equal(await store.checks.count(), checks, 'no check recorded');
      assert.deepEqual((await store.idempotency.find(caller, 'place-key', at(0)))?.requestHash, claim.requestHash);

      // Two checks of one batch under one key: the batch fails as a whole.
      const twice = claimOf(`lender:${bank.id}`, 'twice-in-a-batch', at(32));
      await rejectsWith(
        store.checks.decideBatch([pending(bank, IIN.dan, 'TWICE-1', twice), pending(bank, IIN.dan, 'TWICE-2', twice)], at(32)),
        'unavailable',
      );
      assert.deepEqual(await store.log.head(), head, 'nothing logged');
      assert.equal(await store.checks.count(), checks, 'no check recorded');
      assert.equal(await store.idempotency.find(twice.caller, twice.key, at(0)), null);
    });

    it('an expired key makes way for a new claim, and purge forgets old keys', async () => {
      const caller = `lender:${mfo.id}`;
      const first = claimOf(caller, 'reused-key', at(0), 'first');
      await store.checks.decideBatch([pending(mfo, IIN.dan, 'OLD', first)], at(33));
      const later = new Date(at(0).getTime() + IDEMPOTENCY_WINDOW_MS + 1);
      const second = claimOf(caller, 'reused-key', later, 'second');
      const [d] = await store.checks.decideBatch([pending(mfo, IIN.dan, 'NEW', second)], later);
      const found = await store.idempotency.find(caller, 'reused-key', at(0));
      assert.deepEqual(found?.requestHash, second.requestHash);
      assert.equal(found?.checkId, d?.record.id);

      const live = (
        await Promise.all([
          store.idempotency.find(`lender:${bank.id}`, 'check-key-1', at(0)),
          store.idempotency.find(`citizen:${keyOf(IIN.carol).toString('base64url')}`, 'place-key', at(0)),
        ])
      ).filter((r) => r !== null).length;
      assert.equal(live, 2);
      assert.equal(await store.idempotency.purge(at(32)), 2, 'the two claimed before then');
      assert.equal(await store.idempotency.find(`lender:${bank.id}`, 'check-key-1', at(0)), null);
      assert.ok(await store.idempotency.find(caller, 'reused-key', at(0)), 'a newer one is kept');
      assert.equal(await store.idempotency.purge(at(32)), 0);
    });
  });

  describe('auditors', () => {
    it('are stored, found by id and key hash, listed in order and revoked once', async () => {
      const keys = [generateApiKey('tya_'), generateApiKey('tya_')];
      const auditors: Auditor[] = keys.map((k, i) => ({
        id: newId(),
        name: `Auditor ${i}`,
        status: 'active',
        keyPrefix: keyPrefixOf(k),
        createdAt: at(40 + i),
        revokedAt: null,
      }));
      for (const [i, a] of auditors.entries()) await store.auditors.insert(a, hashApiKey(keys[i] as string));
      assert.deepEqual(await store.auditors.list(), auditors);
      assert.deepEqual(await store.auditors.findById(auditors[1]?.id as string), auditors[1]);
      assert.deepEqual(await store.auditors.findByKeyHash(hashApiKey(keys[0] as string)), auditors[0]);
      assert.equal(await store.auditors.findByKeyHash(hashApiKey(generateApiKey('tya_'))), null);
      assert.equal(await store.auditors.findById('no-such-auditor'), null);
      assert.equal(await store.auditors.revoke(auditors[0]?.id as string, at(45)), true);
      assert.equal(await store.auditors.revoke(auditors[0]?.id as string, at(46)), false);
      assert.deepEqual(await store.auditors.findById(auditors[0]?.id as string), {
        ...auditors[0],
        status: 'revoked',
        revokedAt: at(45),
      });
    });
  });

  describe('lookups', () => {
    it('are recorded with the operator’s name and listed oldest first, per citizen', async () => {
      const lookups = [
        { operator: 'Operator One', citizenKey: keyOf(IIN.alice), purpose: 'show', at: at(50) },
        { operator: 'Operator Two', citizenKey: keyOf(IIN.alice), purpose: 'show', at: at(51) },
        { operator: 'Operator One', citizenKey: keyOf(IIN.bob), purpose: 'show', at: at(52) },
      ];
      for (const l of lookups) await store.lookups.record(l);
      assert.deepEqual(await store.lookups.listByCitizen(keyOf(IIN.alice)), lookups.slice(0, 2));
      assert.deepEqual(await store.lookups.listByCitizen(keyOf(IIN.frank)), []);
    });
  });

  describe('the store itself', () => {
    it('is bound to one pepper and refuses another', async () => {
      await store.bindPepper('fingerprint-a');
      await store.bindPepper('fingerprint-a');
      await assert.rejects(store.bindPepper('fingerprint-b'), /different pepper/);
    });

    it('a second store on the same database sees the same records, and closing twice is harmless', async () => {
      const second = await openTestStore(database.url, null);
      try {
        assert.deepEqual(await second.log.head(), await store.log.head());
        assert.deepEqual(await second.lenders.list(), await store.lenders.list());
        await assert.rejects(second.bindPepper('fingerprint-b'), /different pepper/);
        // Without a signing key it reads and manages, but logs nothing.
        await assert.rejects(place(second, IIN.frank, at(60)), /no signing key/);
        assert.equal(await second.restrictions.latest(keyOf(IIN.frank), 'loan'), null);
      } finally {
        await second.close();
        await second.close();
      }
      assert.equal(await store.isEmpty(), false);
    });
  });
});
