import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { demoBin, demoIin } from '../../src/demo/seed.js';
import type { EvidenceFile } from '../../src/log/evidence.js';
import { generateLogKey, loadLogKey } from '../../src/log/note.js';
import { decodeEntry, parseProof, referenceHash } from '../../src/verify/index.js';
import { type CliResult, type LenderAdded, postCheck, type RecordJson, Sandbox, type ServerProcess } from '../helpers/cli.js';
import { type LogTamper, openLogTamper } from '../helpers/raw-store.js';

// End to end: bans from the CLI, checks over HTTP, then the log audited, receipts verified offline,
// evidence written and verified, and a tampered database caught.

const ORIGIN = 'tyiym.kz/log';
const OPERATOR = 'Log Operator';
const BANK_BIN = demoBin('99014000001');
const MFO_BIN = demoBin('99024000002');
const IIN = {
  lifted: demoIin(1958, 3, 14, 'female'),
  free: demoIin(1990, 7, 2, 'male'),
  exempt: demoIin(1985, 11, 23, 'female'),
};

function assertOk(r: CliResult): void {
  assert.equal(r.code, 0, `expected exit 0\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

function assertFails(r: CliResult, pattern: RegExp): void {
  assert.notEqual(r.code, 0, `expected a non-zero exit\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.match(r.stderr, pattern);
}

interface Answer {
  checkId: string;
  restricted: boolean;
  checkedAt: string;
  channel: string;
  reference: string;
  logIndex: number;
  entry: string;
  receipt: string;
}

interface VerifiedEvidenceJson {
  verified: true;
  entries: { logIndex: number; entry: { type: string } }[];
  checks: { logIndex: number; restricted: boolean; replayed: boolean }[];
  statement: EvidenceFile['statement'];
}

const plusMs = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

describe('tyiym log verify, receipt verify and evidence', () => {
  const box = new Sandbox();
  let server: ServerProcess;
  let bank: LenderAdded;
  let mfo: LenderAdded;
  let key = '';
  const answers: Record<string, Answer> = {};
  let placedAt = '';
  let liftedAt = '';
  let exemptedAt = '';

  const file = (name: string, content: unknown) => {
    const p = path.join(box.dir, name);
    fs.writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return p;
  };

  const check = async (apiKey: string, iin: string, channel: string, reference: string): Promise<Answer> => {
    const r = await postCheck(server.url, apiKey, { iin, channel, reference });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body as unknown as Answer;
  };

  before(async () => {
    bank = await box.addLender('Log Bank JSC', BANK_BIN, 'bank');
    mfo = await box.addLender('Log Micro LLP', MFO_BIN, 'mfo');
    const placed = await box.json<RecordJson>(['restriction', 'place', '--iin', IIN.lifted, '--operator', OPERATOR]);
    placedAt = placed.history[0]?.at as string;
    server = await box.serve();
    answers.banned = await check(bank.apiKey, IIN.lifted, 'remote', 'loan-before-lift');
    answers.free = await check(mfo.apiKey, IIN.free, 'in_person', 'loan-free');
    const lifted = await box.json<RecordJson>(['restriction', 'lift', '--iin', IIN.lifted, '--operator', OPERATOR]);
    liftedAt = lifted.history.at(-1)?.at as string;
    answers.afterLift = await check(bank.apiKey, IIN.lifted, 'remote', 'loan-after-lift');

    await box.json(['restriction', 'place', '--iin', IIN.exempt, '--operator', OPERATOR]);
    const exempted = await box.json<RecordJson>([
      'restriction',
      'exempt',
      '--iin',
      IIN.exempt,
      '--lender-bin',
      MFO_BIN,
      '--hours',
      '2',
      '--operator',
      OPERATOR,
    ]);
    exemptedAt = exempted.history.at(-1)?.at as string;
    answers.exemptMfo = await check(mfo.apiKey, IIN.exempt, 'remote', 'loan-exempt-mfo');
    answers.exemptBank = await check(bank.apiKey, IIN.exempt, 'remote', 'loan-exempt-bank');

    const secrets = JSON.parse(fs.readFileSync(box.secretsPath, 'utf8')) as { logKeySeed: string };
    key = loadLogKey(ORIGIN, secrets.logKeySeed).verifierKey;
  });
  after(() => box.cleanup());

  test('the checks were answered as the bans say', () => {
    assert.equal(answers.banned?.restricted, true);
    assert.equal(answers.free?.restricted, false);
    assert.equal(answers.afterLift?.restricted, false);
    assert.equal(answers.exemptMfo?.restricted, false, 'the MFO is exempted');
    assert.equal(answers.exemptBank?.restricted, true, 'the exemption is for the MFO only');
  });

  test('log verify recomputes the tree and passes, with progress on stderr and a summary', async () => {
    const r = await box.run(['log', 'verify']);
    assertOk(r);
    // place, check, check, lift, check, place, exempt, check, check
    assert.match(r.stdout, /Log verified: 9 entries, \d+ checkpoints, 16 node hashes, in [\d.]+ s \(\d+ entries\/s\)/);
    assert.ok(r.stdout.includes(key), 'the summary names the key');
    assert.match(r.stderr, /log verify: 9\/9 entries \(100%\), \d+ entries\/s/);

    const json = JSON.parse((await box.run(['log', 'verify', '--json', '--no-progress', '--key', key])).stdout) as {
      verified: boolean;
      entries: number;
      checkpoints: number;
    };
    assert.equal(json.verified, true);
    assert.equal(json.entries, 9);
    assert.ok(json.checkpoints >= 5, 'every change and every check batch signed a checkpoint');
  });

  test('log verify refuses a key that did not sign the checkpoints', async () => {
    const other = generateLogKey(ORIGIN).verifierKey;
    assertFails(
      await box.run(['log', 'verify', '--key', other]),
      /the log does not verify: checkpoint of size \d+: .*no signature/i,
    );
  });

  test('receipt verify accepts a saved check answer offline and prints its entry', async () => {
    const saved = file('answer.json', answers.banned);
    // No registry: an empty directory and a database path that does not exist.
    const r = await box.run(['receipt', 'verify', saved, '--key', key], { DATABASE_URL: 'sqlite:/nonexistent/nowhere.db' });
    assertOk(r);
    assert.match(r.stdout, new RegExp(`Log entry ${answers.banned?.logIndex} \\(check\\):`));
    assert.match(r.stdout, new RegExp(`checkId\\s+${answers.banned?.checkId}`));
    assert.match(r.stdout, /restricted\s+true/);
    assert.match(r.stdout, /entryVersion\s+2/);
    // The entry holds the reference only as a commitment, shown as hex; the answer's reference opens it.
    const commitment = referenceHash(answers.banned?.checkId as string, 'loan-before-lift').toString('hex');
    assert.match(r.stdout, new RegExp(`referenceHash\\s+${commitment}`));
    assert.doesNotMatch(r.stdout, /loan-before-lift/);
    assert.match(r.stdout, /^verified$/m);
    assert.equal(fs.existsSync('/nonexistent/nowhere.db'), false);

    const keyFile = file('log.vkey', `${key}\n`);
    const json = JSON.parse((await box.run(['receipt', 'verify', saved, '--key', keyFile, '--json'])).stdout) as {
      verified: boolean;
      logIndex: number;
      entry: { checkId: string };
    };
    assert.equal(json.verified, true);
    assert.equal(json.logIndex, answers.banned?.logIndex);
    assert.equal(json.entry.checkId, answers.banned?.checkId);
  });

  test('receipt verify fails for a changed entry, a changed receipt, a changed answer or the wrong key', async () => {
    const a = answers.banned as Answer;
    const bytes = Buffer.from(a.entry, 'base64');
    const at = bytes.indexOf(a.checkId);
    assert.ok(at > 0, 'the entry holds the check id');
    const changed = Buffer.from(bytes);
    changed[at] = (changed[at] as number) === 0x30 ? 0x31 : 0x30;
    assertFails(
      await box.run(['receipt', 'verify', file('e.json', { ...a, entry: changed.toString('base64') }), '--key', key]),
      /not verified: The inclusion proof does not lead to the root/,
    );

    const proof = parseProof(a.receipt);
    const wrongIndex = a.receipt.replace(`index ${proof.index}\n`, `index ${proof.index + 1}\n`);
    assertFails(
      await box.run(['receipt', 'verify', file('r1.json', { ...a, receipt: wrongIndex }), '--key', key]),
      /not verified/,
    );
    const note = a.receipt.slice(a.receipt.indexOf('\n\n') + 2);
    const noteLines = note.split('\n');
    const rootLine = noteLines[2] as string;
    const otherRoot = Buffer.alloc(32, 1).toString('base64');
    assertFails(
      await box.run([
        'receipt',
        'verify',
        file('r2.json', { ...a, receipt: a.receipt.replace(rootLine, otherRoot) }),
        '--key',
        key,
      ]),
      /not verified: The signature by tyiym\.kz\/log does not verify/,
    );

    assertFails(
      await box.run(['receipt', 'verify', file('r3.json', { ...a, restricted: false }), '--key', key]),
      /not verified: The answer says restricted false, but the logged entry says true/,
    );
    assertFails(
      await box.run(['receipt', 'verify', file('r3b.json', { ...a, reference: 'loan-before-lifT' }), '--key', key]),
      /not verified: The answer says reference "loan-before-lifT", but the logged entry records another/,
    );
    assertFails(
      await box.run(['receipt', 'verify', file('r4.json', a), '--key', generateLogKey(ORIGIN).verifierKey]),
      /not verified: The note carries no signature by tyiym\.kz\/log/,
    );
    assertFails(await box.run(['receipt', 'verify', file('r5.json', a), '--key', 'not-a-key']), /--key: Invalid verifier key/);
  });

  const evidence = async (at: string, extra: string[] = []): Promise<{ path: string; file: EvidenceFile; text: string }> => {
    const out = path.join(box.dir, `evidence-${Math.random().toString(36).slice(2)}.json`);
    const r = await box.run(['evidence', '--iin', IIN.lifted, '--at', at, '--out', out, ...extra]);
    assertOk(r);
    assert.match(r.stdout, new RegExp(`Wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const text = fs.readFileSync(out, 'utf8');
    return { path: out, file: JSON.parse(text) as EvidenceFile, text };
  };

  const verifyEvidenceFile = async (p: string): Promise<VerifiedEvidenceJson> => {
    const r = await box.run(['receipt', 'verify', p, '--key', key, '--json'], { DATABASE_URL: 'sqlite:/nonexistent/nowhere.db' });
    assertOk(r);
    return JSON.parse(r.stdout) as VerifiedEvidenceJson;
  };

  const restricted = (f: EvidenceFile, lenderType: string, channel: string) =>
    f.statement.answers.find((a) => a.lenderType === lenderType && a.channel === channel)?.restricted;

  test('evidence at the check: banned, with the ban and the check, and it verifies offline', async () => {
    const { path: p, file: f, text } = await evidence(answers.banned?.checkedAt as string);
    assert.equal(f.format, 'tyiym-evidence/v1');
    assert.deepEqual(
      f.entries.map((e) => e.logIndex),
      [0, answers.banned?.logIndex],
    );
    assert.equal(f.statement.ban?.status, 'active');
    for (const type of ['bank', 'mfo']) for (const ch of ['remote', 'in_person']) assert.equal(restricted(f, type, ch), true);
    assert.match(f.statement.summary, /restricted on every channel/);
    assert.match(f.privacy, /holds no IIN/);
    assert.equal(text.includes(IIN.lifted), false, 'the IIN is not in the file');
    assert.equal(text.includes(OPERATOR), false, 'the operator’s name is not in the file');
    assert.equal(text.includes('loan-before-lift'), false, 'the lender’s reference is not in the file');
    assert.equal(f.log.verifierKey, key);

    const v = await verifyEvidenceFile(p);
    assert.equal(v.verified, true);
    assert.deepEqual(v.statement, f.statement);
    assert.deepEqual(v.checks, [{ logIndex: answers.banned?.logIndex, restricted: true, replayed: true }]);

    const plain = await box.run(['receipt', 'verify', p, '--key', key]);
    assertOk(plain);
    assert.match(plain.stdout, /Statement, recomputed from the entries/);
    assert.match(plain.stdout, /^verified$/m);
  });

  test('evidence after the lift: allowed, for a named lender too', async () => {
    const { path: p, file: f, text } = await evidence(plusMs(liftedAt, 1), ['--lender-bin', BANK_BIN]);
    assert.equal(f.lender?.bin, BANK_BIN);
    assert.equal(f.lender?.type, 'bank');
    assert.equal(f.statement.ban?.status, 'lifted');
    assert.deepEqual(
      f.statement.answers.map((a) => [a.lenderType, a.channel, a.restricted]),
      [
        ['bank', 'remote', false],
        ['bank', 'in_person', false],
      ],
    );
    assert.equal(f.entries.length, 3, 'placed, the check, the lift');
    assert.equal(text.includes(IIN.lifted), false);
    await verifyEvidenceFile(p);

    // Later still: the check after the lift is in it too, and was answered as the events say.
    const later = await evidence(plusMs(answers.afterLift?.checkedAt as string, 1000));
    assert.equal(later.file.entries.length, 4);
    const v = await verifyEvidenceFile(later.path);
    assert.ok(v.checks.every((c) => c.restricted === c.replayed));
  });

  test('evidence before the ban: no entries and no ban', async () => {
    const { path: p, file: f } = await evidence(plusMs(placedAt, -60_000).replace('Z', '+00:00'));
    assert.deepEqual(f.entries, []);
    assert.equal(f.statement.ban, null);
    assert.ok(f.statement.answers.every((a) => !a.restricted));
    await verifyEvidenceFile(p);
  });

  test('evidence with an exemption: the exempted lender is let through, another is not', async () => {
    const run = async (bin: string) => {
      const out = path.join(box.dir, `exempt-${bin}.json`);
      assertOk(
        await box.run(['evidence', '--iin', IIN.exempt, '--at', plusMs(exemptedAt, 1000), '--lender-bin', bin, '--out', out]),
      );
      await verifyEvidenceFile(out);
      return JSON.parse(fs.readFileSync(out, 'utf8')) as EvidenceFile;
    };
    const forMfo = await run(MFO_BIN);
    assert.equal(forMfo.statement.ban?.exemptions.length, 1);
    assert.ok(forMfo.statement.answers.every((a) => !a.restricted));
    const forBank = await run(BANK_BIN);
    assert.ok(forBank.statement.answers.every((a) => a.restricted));
  });

  test('evidence refuses a time without an offset, and a tampered evidence file does not verify', async () => {
    assertFails(await box.run(['evidence', '--iin', IIN.lifted, '--at', '2026-03-10']), /RFC 3339 instant with an offset/);
    assertFails(await box.run(['evidence', '--iin', IIN.lifted, '--at', '2026-03-10T10:00:00']), /RFC 3339/);

    const { file: f } = await evidence(answers.banned?.checkedAt as string);
    const flipped = structuredClone(f);
    for (const a of flipped.statement.answers) a.restricted = false;
    assertFails(
      await box.run(['receipt', 'verify', file('ev1.json', flipped), '--key', key]),
      /not verified: The statement in the file is not what the entries give when replayed/,
    );

    const dropped = structuredClone(f);
    dropped.entries = dropped.entries.slice(1);
    assertFails(await box.run(['receipt', 'verify', file('ev2.json', dropped), '--key', key]), /not verified/);

    const edited = structuredClone(f);
    const entry = edited.entries[1] as EvidenceFile['entries'][number];
    entry.decoded = { ...entry.decoded, restricted: false };
    assertFails(
      await box.run(['receipt', 'verify', file('ev3.json', edited), '--key', key]),
      /not verified: .*"decoded" form is not what its bytes decode to/,
    );

    const otherKey = generateLogKey(ORIGIN).verifierKey;
    assertFails(
      await box.run(['receipt', 'verify', file('ev4.json', f), '--key', otherKey]),
      /not verified: The file names the verifier key/,
    );
  });

  describe('a tampered database', () => {
    let db: LogTamper;
    before(async () => {
      await server.stop();
      db = await openLogTamper({ file: box.dbPath, url: box.env.DATABASE_URL as string });
    });
    after(() => db.close());

    test('one changed byte of an entry is found, and named', async () => {
      const idx = answers.free?.logIndex as number;
      const original = await db.entry(idx);
      assert.equal(decodeEntry(original).type, 'check');
      const changed = Buffer.from(original);
      const at = changed.indexOf(answers.free?.checkId as string);
      assert.ok(at > 0);
      changed[at] = (changed[at] as number) === 0x30 ? 0x31 : 0x30;
      await db.setEntry(idx, changed);
      assertFails(
        await box.run(['log', 'verify']),
        new RegExp(`the log does not verify: entry ${idx}: its leaf hash differs from the stored hash`),
      );

      await db.setEntry(idx, original);
      assertOk(await box.run(['log', 'verify']));
    });

    test('a changed checkpoint note is found', async () => {
      const row = await db.secondCheckpoint();
      const forged = row.note.replace(
        /\n\n— (\S+) (\S)/,
        (_m, name: string, c: string) => `\n\n— ${name} ${c === 'A' ? 'B' : 'A'}`,
      );
      assert.notEqual(forged, row.note);
      await db.setCheckpointNote(row.size, forged);
      assertFails(await box.run(['log', 'verify']), new RegExp(`the log does not verify: checkpoint of size ${row.size}: `));
      await db.setCheckpointNote(row.size, row.note);
    });

    test('a changed node hash, a missing entry and a changed state row are found', async () => {
      const node = await db.levelTwoNode();
      await db.setNodeHash(node.level, node.idx, Buffer.alloc(32));
      assertFails(await box.run(['log', 'verify']), new RegExp(`node 2/${node.idx}: the stored hash differs`));
      await db.setNodeHash(node.level, node.idx, node.hash);

      const last = await db.lastEntry();
      await db.deleteEntry(last.idx);
      assertFails(await box.run(['log', 'verify']), /log_entries holds \d+ of the entries/);
      await db.insertEntry(last.idx, last.data);

      const rightEdge = await db.rightEdge();
      const edge = Buffer.from(rightEdge);
      edge[0] = (edge[0] as number) ^ 1;
      await db.setRightEdge(edge);
      assertFails(await box.run(['log', 'verify']), /log_state: its right edge is not the one recomputed/);
      await db.setRightEdge(rightEdge);

      assertOk(await box.run(['log', 'verify']));
    });
  });
});
