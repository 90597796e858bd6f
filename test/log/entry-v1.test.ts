import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CheckRecord } from '../../src/checks/check.js';
import { answerOf, type CheckAnswer } from '../../src/checks/check.service.js';
import { loadConfig } from '../../src/config.js';
import { demoBin, demoIin } from '../../src/demo/seed.js';
import { citizenKeyOf } from '../../src/identity/citizen-key.js';
import { newId } from '../../src/ids.js';
import type { EvidenceFile } from '../../src/log/evidence.js';
import { loadLogKey } from '../../src/log/note.js';
import type { Receipt } from '../../src/log/sequencer.js';
import { parseEntryBundle } from '../../src/log/tiles.js';
import { closeRuntime, openRuntime } from '../../src/runtime.js';
import type { PgStore } from '../../src/store/postgres/pg-store.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { type AnyEntry, decodeEntry, encodeEntry, operatorHash, referenceHash } from '../../src/verify/index.js';
import { type CliResult, type LenderAdded, postCheck, Sandbox, type ServerProcess } from '../helpers/cli.js';

/*
 * A registry that ran before entry format version 2 has version-1 entries in its log (references and operator
 * names as text), and keeps them forever: the log is append-only. After the upgrade it writes version 2 only.
 * The whole log, old receipts, new answers and evidence spanning both must still verify.
 */

const ORIGIN = 'tyiym.kz/log';
const OLD_OPERATOR = 'Old Operator';
const NEW_OPERATOR = 'New Operator';
const BANK_BIN = demoBin('99014000001');
const MFO_BIN = demoBin('99024000002');
const ALICE = demoIin(1958, 3, 14, 'female');
const BOB = demoIin(1990, 7, 2, 'male');

function assertOk(r: CliResult): void {
  assert.equal(r.code, 0, `expected exit 0\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

function assertFails(r: CliResult, pattern: RegExp): void {
  assert.notEqual(r.code, 0, `expected a non-zero exit\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.match(r.stderr, pattern);
}

/** A version-2 event entry as the registry before version 2 would have written it: the operator's name as text. */
function asVersion1Event(bytes: Buffer): Buffer {
  const e = decodeEntry(bytes);
  assert.ok(e.type === 'restriction_event' && e.entryVersion === 2, 'only ban events are rewritten');
  const { operatorHash: hash, ...rest } = e;
  if (hash !== null) assert.ok(operatorHash(e.eventId, OLD_OPERATOR).equals(hash), 'the operator is the one named here');
  return encodeEntry({ ...rest, entryVersion: 1, actorName: hash === null ? null : OLD_OPERATOR });
}

describe('a log of version-1 entries followed by version-2 entries', () => {
  const box = new Sandbox();
  let server: ServerProcess;
  let bank: LenderAdded;
  let mfo: LenderAdded;
  let key = '';
  /** A check answer saved by the bank before the upgrade: its entry is version 1. */
  let oldAnswer: CheckAnswer;
  /** Check answers after the upgrade. */
  const answers: CheckAnswer[] = [];

  const file = (name: string, content: unknown) => {
    const p = path.join(box.dir, name);
    fs.writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return p;
  };
  const check = async (apiKey: string, iin: string, reference: string): Promise<CheckAnswer> => {
    const r = await postCheck(server.url, apiKey, { iin, channel: 'remote', reference });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body as unknown as CheckAnswer;
  };
  const verify = (p: string, ...extra: string[]) =>
    box.run(['receipt', 'verify', p, '--key', key, ...extra], { DATABASE_URL: 'sqlite:/nonexistent/nowhere.db' });

  before(async () => {
    bank = await box.addLender('Mixed Bank JSC', BANK_BIN, 'bank');
    mfo = await box.addLender('Mixed Micro LLP', MFO_BIN, 'mfo');
    const secrets = JSON.parse(fs.readFileSync(box.secretsPath, 'utf8')) as { logKeySeed: string };
    key = loadLogKey(ORIGIN, secrets.logKeySeed).verifierKey;

    // Before the upgrade, in this process: the same registry file, its secrets and its log key.
    const s = await openRuntime(
      loadConfig({ DATABASE_URL: box.env.DATABASE_URL, TYIYM_SECRETS_FILE: box.env.TYIYM_SECRETS_FILE, LOG_LEVEL: 'silent' }),
    );
    const store = s.store;
    try {
      // A ban placed by an operator, logged as version 1 in the same transaction that records it: the entries are
      // rewritten where each engine adds them to the tree.
      let restore: () => void;
      if (store.engine === 'sqlite') {
        const log = (store as SqliteStore).log;
        const integrate = log.integrate.bind(log);
        log.integrate = (entries, at) => integrate(entries.map(asVersion1Event), at);
        restore = () => {
          log.integrate = integrate;
        };
      } else {
        const log = (store as unknown as PgStore).log;
        const plan = log.plan.bind(log);
        log.plan = (state, entries) => plan(state, entries.map(asVersion1Event));
        restore = () => {
          log.plan = plan;
        };
      }
      const placed = await s.restrictions.place(ALICE, { term: { kind: 'max' } }, { kind: 'operator', name: OLD_OPERATOR });
      restore();
      const ban = placed.restriction;

      // Checks logged as version 1, written as a group commit writes them (see bench/log-verify.bench.ts).
      const bankId = bank.id;
      const record = (iin: string, reference: string, restricted: boolean): CheckRecord => ({
        id: newId(),
        lenderId: bankId,
        citizenKey: citizenKeyOf(s.secrets.pepper, iin),
        channel: 'remote' as const,
        reference,
        restricted,
        checkedAt: s.clock.now(),
        restrictionId: restricted ? ban.id : null,
        restrictionVersion: restricted ? ban.version : null,
      });
      const old = [record(ALICE, 'OLD-APP-1', true), record(BOB, 'OLD-APP-2', false)];
      const v1 = (c: CheckRecord) =>
        encodeEntry({
          type: 'check',
          entryVersion: 1,
          checkId: c.id,
          lenderId: c.lenderId,
          lenderType: 'bank',
          citizenKey: c.citizenKey,
          channel: c.channel,
          reference: c.reference,
          restricted: c.restricted,
          checkedAt: c.checkedAt.toISOString(),
        });
      const receipts = await store.checks.insertBatch(old.map((c) => ({ record: c, entry: v1(c) })));
      oldAnswer = answerOf(old[0] as CheckRecord, receipts[0] as Receipt);
    } finally {
      await closeRuntime(s);
    }

    // After the upgrade: the real server and the real CLI, which write version 2.
    server = await box.serve();
    answers.push(await check(mfo.apiKey, ALICE, 'NEW-APP-1'));
    assertOk(await box.run(['restriction', 'lift', '--iin', ALICE, '--operator', NEW_OPERATOR]));
    answers.push(await check(bank.apiKey, ALICE, 'NEW-APP-2'));
    answers.push(await check(bank.apiKey, BOB, 'NEW-APP-3'));
  });
  after(() => box.cleanup());

  test('the log holds version-1 entries, then version-2 entries only', async () => {
    const auditor = await box.json<{ apiKey: string }>(['auditor', 'add', '--name', 'Upgrade Auditor']);
    const size = Number((await (await fetch(`${server.url}/log/checkpoint`)).text()).split('\n')[1]);
    const res = await fetch(`${server.url}/log/tile/entries/000.p/${size}`, {
      headers: { authorization: `Bearer ${auditor.apiKey}` },
    });
    assert.equal(res.status, 200);
    const entries: AnyEntry[] = parseEntryBundle(Buffer.from(await res.arrayBuffer())).map((b) => decodeEntry(b));
    // placed (v1), two checks (v1); a check, the lift, two checks (v2)
    assert.deepEqual(
      entries.map((e) => `${e.type}/${e.entryVersion}`),
      ['restriction_event/1', 'check/1', 'check/1', 'check/2', 'restriction_event/2', 'check/2', 'check/2'],
    );
    const [placed, oldCheck] = entries;
    assert.ok(placed?.type === 'restriction_event' && placed.entryVersion === 1 && placed.actorName === OLD_OPERATOR);
    assert.ok(oldCheck?.type === 'check' && oldCheck.entryVersion === 1 && oldCheck.reference === 'OLD-APP-1');
    const lift = entries[4];
    assert.ok(lift?.type === 'restriction_event' && lift.entryVersion === 2);
    assert.ok(lift.operatorHash !== null && operatorHash(lift.eventId, NEW_OPERATOR).equals(lift.operatorHash));
  });

  test('log verify recomputes the whole tree over both versions and passes', async () => {
    const r = await box.run(['log', 'verify', '--json', '--no-progress', '--key', key]);
    assertOk(r);
    const json = JSON.parse(r.stdout) as { verified: boolean; entries: number; checkpoints: number };
    assert.equal(json.verified, true);
    assert.equal(json.entries, 7);
    assert.ok(json.checkpoints >= 5);
  });

  test('receipt verify accepts a check answer saved before the upgrade, and what the lender fetches today', async () => {
    assert.equal(decodeEntry(Buffer.from(oldAnswer.entry, 'base64')).entryVersion, 1);
    const saved = file('old-answer.json', oldAnswer);
    const r = await verify(saved);
    assertOk(r);
    assert.match(r.stdout, new RegExp(`Log entry ${oldAnswer.logIndex} \\(check\\):`));
    assert.match(r.stdout, /entryVersion\s+1/);
    assert.match(r.stdout, /reference\s+OLD-APP-1/);
    assert.match(r.stdout, /restricted\s+true/);
    assert.match(r.stdout, /^verified$/m);
    assertFails(
      await verify(file('old-altered.json', { ...oldAnswer, reference: 'OLD-APP-9' })),
      /not verified: The answer says reference "OLD-APP-9", but the logged entry records another/,
    );

    // The lender fetches its old check after the upgrade: the same version-1 entry, proven against today's checkpoint.
    const res = await fetch(`${server.url}/v1/checks/${oldAnswer.checkId}`, {
      headers: { authorization: `Bearer ${bank.apiKey}` },
    });
    assert.equal(res.status, 200);
    const fetched = (await res.json()) as CheckAnswer;
    assert.equal(fetched.entry, oldAnswer.entry);
    assert.notEqual(fetched.receipt, oldAnswer.receipt, 'a receipt against a later checkpoint');
    assertOk(await verify(file('old-fetched.json', fetched)));
  });

  test('receipt verify accepts a version-2 check answer and refuses one whose reference was altered', async () => {
    const a = answers[0] as CheckAnswer;
    const saved = file('new-answer.json', a);
    const r = await verify(saved, '--json');
    assertOk(r);
    const json = JSON.parse(r.stdout) as { verified: boolean; entry: Record<string, unknown> };
    assert.equal(json.verified, true);
    assert.equal(json.entry.entryVersion, 2);
    assert.equal(json.entry.referenceHash, referenceHash(a.checkId, 'NEW-APP-1').toString('hex'));
    assert.equal(json.entry.reference, undefined);

    for (const [name, reference] of [
      ['another reference', 'NEW-APP-2'],
      ['one character changed', 'NEW-APP-l'],
      ['a trailing space', 'NEW-APP-1 '],
      ['upper case', 'new-app-1'],
      ['the empty string', ''],
    ] as const)
      assertFails(
        await verify(file(`altered-${name.replaceAll(' ', '-')}.json`, { ...a, reference })),
        /not verified: The answer says reference .*, but the logged entry records another/,
      );
    assertFails(await verify(file('altered-type.json', { ...a, reference: 42 })), /not verified: .*reference/);
  });

  test('evidence for a citizen with entries of both versions verifies offline and replays as answered', async () => {
    const out = path.join(box.dir, 'evidence.json');
    const at = new Date(Date.now() + 1000).toISOString();
    assertOk(await box.run(['evidence', '--iin', ALICE, '--at', at, '--out', out]));
    const f = JSON.parse(fs.readFileSync(out, 'utf8')) as EvidenceFile;
    assert.deepEqual(
      f.entries.map((e) => `${e.decoded.type}/${e.decoded.entryVersion}`),
      ['restriction_event/1', 'check/1', 'check/2', 'restriction_event/2', 'check/2'],
    );
    assert.equal(f.statement.ban?.status, 'lifted');
    assert.match(f.privacy, /first format, which hold lenders’ application references and operators’ names as text/);
    assert.ok(f.statement.answers.every((a) => !a.restricted));
    assert.equal(fs.readFileSync(out, 'utf8').includes(ALICE), false, 'the IIN is not in the file');

    const r = await verify(out, '--json');
    assertOk(r);
    const v = JSON.parse(r.stdout) as { verified: boolean; checks: { restricted: boolean; replayed: boolean }[] };
    assert.equal(v.verified, true);
    assert.deepEqual(
      v.checks.map((c) => [c.restricted, c.replayed]),
      [
        [true, true],
        [true, true],
        [false, false],
      ],
      'the version-1 check and the version-2 checks were answered as the replayed events say',
    );

    // At the instant of the version-1 check, replayed from the version-1 ban alone: restricted.
    const early = path.join(box.dir, 'evidence-early.json');
    assertOk(await box.run(['evidence', '--iin', ALICE, '--at', plus(answers[0]?.checkedAt, -1), '--out', early]));
    const e = JSON.parse(fs.readFileSync(early, 'utf8')) as EvidenceFile;
    assert.deepEqual(
      e.entries.map((x) => x.decoded.entryVersion),
      [1, 1],
    );
    assert.equal(e.statement.ban?.status, 'active');
    assert.ok(e.statement.answers.every((a) => a.restricted));
    assertOk(await verify(early));
  });
});

const plus = (iso: string | undefined, ms: number) => new Date(Date.parse(iso as string) + ms).toISOString();
