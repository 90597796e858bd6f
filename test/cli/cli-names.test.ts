import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { demoBin, demoIin } from '../../src/demo/seed.js';
import { citizenKeyOf } from '../../src/identity/citizen-key.js';
import type { Lookup } from '../../src/registry/lookup.js';
import { type CliResult, type LenderJson, type RecordJson, Sandbox } from '../helpers/cli.js';
import { openTestStore } from '../helpers/engine.js';

// Names typed at the command line end up in terminals, pages and statements: hostile ones are refused
// before anything is written. And reading a citizen's record leaves a trace with the operator's name.

const OPERATOR = 'Aigerim Sadykova';
const IIN = demoIin(1958, 3, 14, 'female');
const OTHER_IIN = demoIin(1990, 7, 2, 'male');
const BANK_BIN = demoBin('99014000001');

/** Each refused the same way wherever a name is taken. */
const HOSTILE: readonly { label: string; name: string; message: RegExp }[] = [
  { label: 'a newline', name: 'Evil\nBank', message: /must not contain .*U\+000A/ },
  { label: 'a right-to-left override (U+202E)', name: 'Bank \u202eKNAB', message: /must not contain .*U\+202E/ },
  { label: 'a left-to-right isolate (U+2066)', name: 'Bank \u2066x\u2069', message: /must not contain .*U\+2066/ },
  { label: 'a zero-width space', name: 'Ba\u200bnk', message: /must not contain .*U\+200B/ },
  // argv cannot carry a lone surrogate: Node encodes it as U+FFFD, which is refused in its place
  { label: 'a lone surrogate', name: 'Bank \ud800', message: /must not contain .*U\+FFFD/ },
  { label: '201 characters', name: `${'Қ'.repeat(100)}${'😀'.repeat(101)}`, message: /at most 200 characters; it has 201/ },
];

/** 200 code points but 300 UTF-16 units: the limit counts characters as people see them. */
const LONGEST = `${'Қ'.repeat(100)}${'😀'.repeat(100)}`;

function assertRefused(r: CliResult, pattern: RegExp): void {
  assert.equal(r.code, 1, `expected exit 1\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.match(r.stderr, /\[invalid_request\]\n$/);
  assert.equal(r.stdout, '');
}

function assertOk(r: CliResult): void {
  assert.equal(r.code, 0, `expected exit 0\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

describe('names and lookups on the command line', () => {
  const box = new Sandbox();
  after(() => box.cleanup());
  let pepper: Buffer;
  let key: Buffer;

  /** What the registry holds, read through its repositories. */
  async function state() {
    const store = await openTestStore(box.env.DATABASE_URL as string, null);
    try {
      return {
        lenders: (await store.lenders.list()).map((l) => l.name),
        logSize: (await store.log.head()).size,
        history: (await store.restrictions.history(key)).map((e) => e.id),
        lookups: await store.lookups.listByCitizen(key),
      };
    } finally {
      await store.close();
    }
  }

  async function lookupsOf(iin: string): Promise<Lookup[]> {
    const store = await openTestStore(box.env.DATABASE_URL as string, null);
    try {
      return await store.lookups.listByCitizen(citizenKeyOf(pepper, iin));
    } finally {
      await store.close();
    }
  }

  before(async () => {
    await box.addLender('Names Bank JSC', BANK_BIN, 'bank');
    assertOk(await box.run(['restriction', 'place', '--iin', IIN, '--operator', OPERATOR]));
    pepper = Buffer.from((JSON.parse(fs.readFileSync(box.secretsPath, 'utf8')) as { pepper: string }).pepper, 'hex');
    key = citizenKeyOf(pepper, IIN);
  });

  describe('tyiym lender add --name', () => {
    for (const [i, h] of HOSTILE.entries()) {
      test(`refuses ${h.label}, and registers nothing`, async () => {
        const beforeState = await state();
        const r = await box.run(['lender', 'add', '--name', h.name, '--bin', demoBin(`9902400010${i}`), '--type', 'mfo']);
        assertRefused(r, /^error: The lender name /);
        assert.match(r.stderr, h.message);
        assert.deepEqual(await state(), beforeState);
      });
    }

    test('accepts 200 characters, and stores the name trimmed and NFC-normalised', async () => {
      await box.addLender(` ${LONGEST} `, demoBin('99024000020'), 'mfo');
      await box.addLender('Cafe\u0301 Credit LLP', demoBin('99024000021'), 'mfo');
      const names = (await box.json<LenderJson[]>(['lender', 'list'])).map((l) => l.name);
      assert.ok(names.includes(LONGEST), 'the 200-character name is stored as given, trimmed');
      assert.ok(names.includes('Caf\u00e9 Credit LLP'), 'the name is stored composed');
    });
  });

  describe('--operator on the restriction commands', () => {
    const acts: readonly { verb: string; args: readonly string[] }[] = [
      { verb: 'place', args: ['restriction', 'place', '--iin', IIN, '--months', '2'] },
      { verb: 'lift', args: ['restriction', 'lift', '--iin', IIN] },
      { verb: 'cancel-lift', args: ['restriction', 'cancel-lift', '--iin', IIN] },
      { verb: 'exempt', args: ['restriction', 'exempt', '--iin', IIN, '--lender-bin', BANK_BIN, '--hours', '2'] },
      { verb: 'show', args: ['restriction', 'show', '--iin', IIN] },
    ];
    for (const act of acts) {
      // Every hostile name on the two commonest commands; two of them on the others, to keep the run short.
      const names = act.verb === 'place' || act.verb === 'show' ? HOSTILE : HOSTILE.slice(0, 2);
      test(`${act.verb} refuses an operator's name with ${names.map((h) => h.label).join(', ')}; nothing is written`, async () => {
        const beforeState = await state();
        for (const h of names) {
          const r = await box.run([...act.args, '--operator', h.name, '--json']);
          assertRefused(r, /^error: The operator’s name /);
          assert.match(r.stderr, h.message);
        }
        assert.deepEqual(await state(), beforeState);
      });
    }

    test('an operator’s name of 200 characters is accepted, and kept NFC-normalised and trimmed', async () => {
      const placed = await box.json<RecordJson>(['restriction', 'place', '--iin', IIN, '--months', '3', '--operator', LONGEST]);
      assert.equal(placed.history.at(-1)?.actor.name, LONGEST);
      const composed = await box.json<RecordJson>([
        'restriction',
        'place',
        '--iin',
        IIN,
        '--months',
        '4',
        '--operator',
        '  Zhane\u0301 Op  ',
      ]);
      assert.equal(composed.history.at(-1)?.actor.name, 'Zhan\u00e9 Op');
      await box.json(['restriction', 'show', '--iin', IIN, '--operator', LONGEST]);
      assert.equal((await lookupsOf(IIN)).at(-1)?.operator, LONGEST);
    });
  });

  describe('tyiym restriction show', () => {
    test('is refused without --operator, shows nothing and records nothing', async () => {
      const beforeState = await state();
      const r = await box.run(['restriction', 'show', '--iin', IIN, '--json']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /required option '--operator <name>' not specified/);
      assert.doesNotMatch(r.stdout, /"restriction"/);
      assert.deepEqual(await state(), beforeState);
    });

    test('records each reading as a lookup with the operator, the citizen key, the purpose and the instant', async () => {
      const beforeState = await state();
      const t0 = Date.now();
      const r = await box.run(['restriction', 'show', '--iin', IIN, '--operator', 'Dana Operator']);
      const t1 = Date.now();
      assertOk(r);
      const after = await state();
      assert.equal(after.lookups.length, beforeState.lookups.length + 1);
      const l = after.lookups.at(-1) as Lookup;
      assert.equal(l.operator, 'Dana Operator');
      assert.equal(l.purpose, 'show');
      assert.ok(l.citizenKey.equals(key), 'keyed by the citizen key');
      assert.ok(!l.citizenKey.toString('latin1').includes(IIN), 'the IIN is not stored');
      assert.ok(l.at.getTime() >= t0 - 1000 && l.at.getTime() <= t1, `recorded at ${l.at.toISOString()}`);
      // Nothing about lookups goes into the public log, and nothing else changes.
      assert.equal(after.logSize, beforeState.logSize);
      assert.deepEqual(after.history, beforeState.history);
      assert.deepEqual(after.lenders, beforeState.lenders);
      // Another citizen's lookups are their own.
      await box.json(['restriction', 'show', '--iin', OTHER_IIN, '--operator', 'Dana Operator']);
      assert.equal((await lookupsOf(IIN)).length, after.lookups.length);
      assert.deepEqual(
        (await lookupsOf(OTHER_IIN)).map((x) => [x.operator, x.purpose]),
        [['Dana Operator', 'show']],
      );
    });

    test('prints the record as before', async () => {
      const text = await box.run(['restriction', 'show', '--iin', IIN, '--operator', OPERATOR]);
      assertOk(text);
      assert.match(
        text.stdout,
        /^Ban in force \(version \d+, active\)\n {2}lender types: bank, mfo\n {2}channels: {5}remote, in_person\n/,
      );
      assert.match(text.stdout, /\nHistory \(\d+\):\n.* v1 {2}placed +by operator Aigerim Sadykova\n/);
      assert.match(text.stdout, /\nChecks \(0\):\n$/);
      const json = await box.json<RecordJson>(['restriction', 'show', '--iin', IIN, '--operator', OPERATOR]);
      assert.deepEqual(Object.keys(json).sort(), ['checks', 'history', 'restriction']);
      assert.equal(json.restriction?.status, 'active');
      assert.equal(json.history[0]?.actor.name, OPERATOR);
      const none = await box.run(['restriction', 'show', '--iin', OTHER_IIN, '--operator', OPERATOR]);
      assertOk(none);
      assert.equal(none.stdout, 'No ban is in force.\n\nHistory (0):\n\nChecks (0):\n');
    });

    test('an act that prints the whole record (--json) is recorded as a lookup too', async () => {
      const beforeCount = (await lookupsOf(IIN)).length;
      await box.json(['restriction', 'place', '--iin', IIN, '--months', '5', '--operator', 'Erlan Operator']);
      assertOk(await box.run(['restriction', 'place', '--iin', IIN, '--months', '6', '--operator', 'Erlan Operator']));
      const lookups = await lookupsOf(IIN);
      assert.deepEqual(
        lookups.slice(beforeCount).map((x) => [x.operator, x.purpose]),
        [['Erlan Operator', 'place']],
        'the --json act is recorded; the act that printed only its message is not',
      );
    });
  });
});
