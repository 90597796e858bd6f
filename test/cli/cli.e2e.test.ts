import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DateTime } from 'luxon';
import { demoBin, demoIin } from '../../src/demo/seed.js';
import {
  type CliResult,
  type LenderAdded,
  type LenderJson,
  postCheck,
  type RecordJson,
  Sandbox,
  type ServerProcess,
} from '../helpers/cli.js';
import { ENGINE, onlyOn } from '../helpers/engine.js';
import { storedParts } from '../helpers/raw-store.js';

// End to end: the built CLI and server as child processes, each suite in its own temporary directory.

const ZONE = 'Asia/Almaty';
const OPERATOR = 'Aigerim Sadykova';
const BANK_BIN = demoBin('99014000001');
const MFO_BIN = demoBin('99024000002');
const OTHER_BIN = demoBin('99034000003');

const IIN = {
  a: demoIin(1958, 3, 14, 'female'),
  b: demoIin(1990, 7, 2, 'male'),
  c: demoIin(1985, 11, 23, 'female'),
  d: demoIin(2001, 1, 30, 'male'),
  e: demoIin(1979, 5, 9, 'male'),
  f: demoIin(1968, 9, 17, 'female'),
};

/** A copy of `iin` with the digit at `index` (0-based) replaced. */
function withDigit(iin: string, index: number, digit: string): string {
  return `${iin.slice(0, index)}${digit}${iin.slice(index + 1)}`;
}

const badCheckDigit = withDigit(IIN.a, 11, String((Number(IIN.a[11]) + 1) % 10));

function assertFails(r: CliResult, pattern: RegExp): void {
  assert.notEqual(r.code, 0, `expected a non-zero exit\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.match(r.stderr, pattern);
}

function assertOk(r: CliResult): void {
  assert.equal(r.code, 0, `expected exit 0\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

/** Today in Almaty plus `months`, as YYYY-MM-DD: the last day of a term of that many months placed today. */
function lastDayAfter(months: number, at = DateTime.now()): string {
  return at.setZone(ZONE).startOf('day').plus({ months }).toISODate() as string;
}

/** The instant a term whose last day is `lastDay` ends: the start of the next day in Almaty. */
function endOf(lastDay: string): string {
  return DateTime.fromISO(lastDay, { zone: ZONE }).plus({ days: 1 }).toUTC().toISO() as string;
}

/** Everything the registry stores, as one buffer: its file, WAL and shm, or every table's rows. */
async function storedBytes(box: Sandbox): Promise<Buffer> {
  const parts = await storedParts({ file: box.dbPath, url: box.env.DATABASE_URL as string });
  return Buffer.concat(parts.map((p) => p.bytes));
}

describe('tyiym lender', () => {
  const box = new Sandbox();
  after(() => box.cleanup());

  let added: LenderAdded;

  test('add --json prints exactly {"id", "apiKey"}', async () => {
    const r = await box.run(['lender', 'add', '--name', 'Kaspi Test JSC', '--bin', BANK_BIN, '--type', 'bank', '--json']);
    assertOk(r);
    added = JSON.parse(r.stdout) as LenderAdded;
    assert.deepEqual(Object.keys(added).sort(), ['apiKey', 'id']);
    assert.match(added.id, /^[0-9a-f-]{36}$/);
    assert.match(added.apiKey, /^tyk_[A-Za-z0-9_-]{40,}$/);
    assert.equal(r.stderr, '');
  });

  test('the key is stored only as its hash', async () => {
    const bytes = await storedBytes(box);
    assert.equal(bytes.includes(Buffer.from(added.apiKey, 'utf8')), false, 'the API key is in the database');
    assert.equal(bytes.includes(Buffer.from(added.apiKey, 'utf16le')), false, 'the API key is in the database');
    const hash = createHash('sha256').update(added.apiKey, 'utf8').digest();
    assert.equal(bytes.includes(hash), true, 'the hash of the key should be stored');
  });

  test('without --json, add prints the key once with the lender', async () => {
    const r = await box.run(['lender', 'add', '--name', 'Micro Test LLP', '--bin', MFO_BIN, '--type', 'mfo']);
    assertOk(r);
    assert.match(r.stdout, /Registered Micro Test LLP \(mfo, BIN \d{12}\)/);
    assert.match(r.stdout, /API key: tyk_\S+/);
  });

  test('list and list --json show the lenders', async () => {
    const all = await box.json<LenderJson[]>(['lender', 'list']);
    assert.equal(all.length, 2);
    const bank = all.find((l) => l.id === added.id);
    assert.ok(bank, 'the bank is listed');
    assert.equal(bank.name, 'Kaspi Test JSC');
    assert.equal(bank.bin, BANK_BIN);
    assert.equal(bank.type, 'bank');
    assert.equal(bank.status, 'active');
    assert.equal(bank.revokedAt, null);
    assert.ok(added.apiKey.startsWith(bank.keyPrefix) && bank.keyPrefix.length >= 6, 'the key prefix identifies the key');
    assert.ok(!Number.isNaN(Date.parse(bank.createdAt)));
    const mfo = all.find((l) => l.bin === MFO_BIN);
    assert.equal(mfo?.type, 'mfo');

    const text = await box.run(['lender', 'list']);
    assertOk(text);
    assert.match(text.stdout, new RegExp(`${added.id}\\s+bank\\s+${BANK_BIN}\\s+active.*Kaspi Test JSC`));
    assert.match(text.stdout, new RegExp(`mfo\\s+${MFO_BIN}.*Micro Test LLP`));
    assert.equal(text.stdout.includes(added.apiKey), false, 'the list never shows a whole key');
  });

  test('a BIN with a wrong check digit is refused', async () => {
    const bad = withDigit(OTHER_BIN, 11, String((Number(OTHER_BIN[11]) + 1) % 10));
    const r = await box.run(['lender', 'add', '--name', 'X', '--bin', bad, '--type', 'bank', '--json']);
    assertFails(r, /BIN.*check digit/i);
    assert.equal(r.stdout, '');
  });

  test('a BIN that is not 12 digits is refused', async () => {
    const r = await box.run(['lender', 'add', '--name', 'X', '--bin', '12345', '--type', 'bank']);
    assertFails(r, /BIN must be exactly 12 digits/);
  });

  test('an unknown lender type is refused', async () => {
    const r = await box.run(['lender', 'add', '--name', 'X', '--bin', OTHER_BIN, '--type', 'pawnshop']);
    assertFails(r, /type must be one of bank, mfo/);
  });

  test('a BIN that is already registered is refused', async () => {
    const r = await box.run(['lender', 'add', '--name', 'Another', '--bin', BANK_BIN, '--type', 'mfo', '--json']);
    assertFails(r, /already registered/);
    assert.equal(r.stdout, '');
    const all = await box.json<LenderJson[]>(['lender', 'list']);
    assert.equal(all.length, 2, 'nothing was added by the failed commands');
  });
});

describe('tyiym restriction', () => {
  const box = new Sandbox();
  after(() => box.cleanup());
  const mfoBin = MFO_BIN;

  before(async () => {
    await box.json(['lender', 'add', '--name', 'Bank', '--bin', BANK_BIN, '--type', 'bank']);
    await box.json(['lender', 'add', '--name', 'Micro', '--bin', MFO_BIN, '--type', 'mfo']);
  });

  const show = (iin: string) => box.json<RecordJson>(['restriction', 'show', '--iin', iin, '--operator', OPERATOR]);

  test('place without a term uses the policy maximum of 6 months', async () => {
    const expected = lastDayAfter(6);
    const placed = await box.json<RecordJson>(['restriction', 'place', '--iin', IIN.a, '--operator', OPERATOR]);
    const expectedAfter = lastDayAfter(6);
    assert.match(placed.message ?? '', /Ban placed/);
    const rec = await show(IIN.a);
    const r = rec.restriction;
    assert.ok(r, 'a ban is in force');
    assert.ok(r.lastDay === expected || r.lastDay === expectedAfter, `last day ${r.lastDay}, expected ${expected}`);
    assert.equal(r.endsAt, endOf(r.lastDay as string));
    assert.equal(r.status, 'active');
    assert.equal(r.version, 1);
    assert.deepEqual(r.lenderTypes, ['bank', 'mfo']);
    assert.deepEqual(r.channels, ['remote', 'in_person']);
    assert.equal(rec.history.length, 1);
    assert.equal(rec.history[0]?.action, 'placed');
    assert.deepEqual(rec.history[0]?.actor, { kind: 'operator', name: OPERATOR });
    assert.deepEqual(rec.checks, []);
  });

  test('--months, --until and --indefinite set the term', async () => {
    const threeMonths = lastDayAfter(3);
    let rec = await box.json<RecordJson>(['restriction', 'place', '--iin', IIN.b, '--months', '3', '--operator', OPERATOR]);
    assert.ok([threeMonths, lastDayAfter(3)].includes(rec.restriction?.lastDay ?? ''), `last day ${rec.restriction?.lastDay}`);

    const until = DateTime.now().setZone(ZONE).plus({ days: 20 }).toISODate() as string;
    rec = await box.json<RecordJson>(['restriction', 'place', '--iin', IIN.b, '--until', until, '--operator', OPERATOR]);
    assert.equal(rec.restriction?.lastDay, until);
    assert.equal(rec.restriction?.endsAt, endOf(until));
    assert.equal(rec.restriction?.version, 2, 'changing the ban in force makes a new version');

    rec = await box.json<RecordJson>(['restriction', 'place', '--iin', IIN.b, '--indefinite', '--operator', OPERATOR]);
    assert.equal(rec.restriction?.endsAt, null);
    assert.equal(rec.restriction?.lastDay, null);
    assert.equal(rec.restriction?.version, 3);
  });

  test('--lender-types and --channels narrow the scope', async () => {
    const rec = await box.json<RecordJson>([
      'restriction',
      'place',
      '--iin',
      IIN.c,
      '--lender-types',
      'mfo',
      '--channels',
      'remote',
      '--operator',
      OPERATOR,
    ]);
    assert.deepEqual(rec.restriction?.lenderTypes, ['mfo']);
    assert.deepEqual(rec.restriction?.channels, ['remote']);
    const r = await box.run(['restriction', 'place', '--iin', IIN.c, '--lender-types', 'pawnshop', '--operator', OPERATOR]);
    assertFails(r, /Unknown lender type "pawnshop"/);
  });

  test('two term options at once are refused', async () => {
    for (const extra of [
      ['--months', '2', '--indefinite'],
      ['--months', '2', '--until', lastDayAfter(1)],
      ['--until', lastDayAfter(1), '--indefinite'],
    ]) {
      const r = await box.run(['restriction', 'place', '--iin', IIN.d, ...extra, '--operator', OPERATOR]);
      assertFails(r, /at most one of --months, --until and --indefinite/);
    }
    assert.equal((await show(IIN.d)).history.length, 0, 'nothing was recorded');
  });

  test('--months 7 is beyond the policy and refused', async () => {
    const r = await box.run(['restriction', 'place', '--iin', IIN.d, '--months', '7', '--operator', OPERATOR, '--json']);
    assertFails(r, /from 1 to 6 months/);
    assert.equal(r.stdout, '');
    const rec = await show(IIN.d);
    assert.equal(rec.restriction, null);
    assert.equal(rec.history.length, 0);
  });

  test('an --until date beyond the policy is refused', async () => {
    const r = await box.run(['restriction', 'place', '--iin', IIN.d, '--until', lastDayAfter(7), '--operator', OPERATOR]);
    assertFails(r, /The last day must be from/);
  });

  test('an invalid IIN is refused with a message naming the rule it breaks', async () => {
    const cases: [string, RegExp][] = [
      [IIN.a.slice(0, 11), /IIN must be exactly 12 digits/],
      [`${IIN.a.slice(0, 11)}x`, /IIN must be exactly 12 digits/],
      [withDigit(IIN.a, 6, '7'), /digit 7 \(century and sex\)/],
      [withDigit(IIN.a, 6, '0'), /digit 7 \(century and sex\)/],
      [withDigit(IIN.a, 2, '1'), /not a real birth date/], // month 13
      [badCheckDigit, /check digit \(digit 12\) does not match/],
    ];
    for (const [iin, message] of cases) {
      const r = await box.run(['restriction', 'place', '--iin', iin, '--operator', OPERATOR]);
      assertFails(r, message);
      assert.match(r.stderr, /\[invalid_iin\]/);
    }
    const show = await box.run(['restriction', 'show', '--iin', badCheckDigit, '--operator', OPERATOR, '--json']);
    assertFails(show, /check digit/);
  });

  test('an empty operator name is refused', async () => {
    const r = await box.run(['restriction', 'place', '--iin', IIN.d, '--operator', '  ']);
    assertFails(r, /operator’s name is required/);
  });

  test('lift with no delay ends the ban at once and is recorded', async () => {
    const rec = await box.json<RecordJson>(['restriction', 'lift', '--iin', IIN.a, '--operator', 'Daniyar Omarov']);
    assert.match(rec.message ?? '', /lifted/);
    assert.equal(rec.restriction, null);
    const last = rec.history.at(-1);
    assert.equal(last?.action, 'lift_requested');
    assert.deepEqual(last?.actor, { kind: 'operator', name: 'Daniyar Omarov' });
    assert.equal(last?.version, 2);

    const again = await box.run(['restriction', 'lift', '--iin', IIN.a, '--operator', OPERATOR]);
    assertFails(again, /no ban in force/);
  });

  test('with LIFT_DELAY=2d a lift is pending and can be cancelled', async () => {
    const env = { LIFT_DELAY: '2d' };
    await box.json(['restriction', 'place', '--iin', IIN.e, '--operator', OPERATOR], env);
    let rec = await box.json<RecordJson>(['restriction', 'lift', '--iin', IIN.e, '--operator', 'Lift Operator'], env);
    assert.match(rec.message ?? '', /takes effect at/);
    assert.equal(rec.restriction?.status, 'lift_pending');
    const effective = DateTime.fromISO(rec.restriction?.liftEffectiveAt ?? '', { zone: ZONE });
    assert.ok(effective.isValid, 'liftEffectiveAt is set');
    assert.equal(effective.toFormat('HH:mm:ss'), '00:00:00', 'a calendar-day delay takes effect at midnight in Almaty');
    const days = effective.diff(DateTime.now().setZone(ZONE).startOf('day'), 'days').days;
    assert.ok(days === 2 || days === 1, `lift takes effect ${days} days from today`);

    const second = await box.run(['restriction', 'lift', '--iin', IIN.e, '--operator', OPERATOR], env);
    assertFails(second, /already pending/);

    rec = await box.json<RecordJson>(['restriction', 'cancel-lift', '--iin', IIN.e, '--operator', 'Cancel Operator'], env);
    assert.match(rec.message ?? '', /lift is cancelled/);
    assert.equal(rec.restriction?.status, 'active');
    assert.equal(rec.restriction?.liftEffectiveAt, null);

    const none = await box.run(['restriction', 'cancel-lift', '--iin', IIN.e, '--operator', OPERATOR], env);
    assertFails(none, /no pending lift/);

    rec = await show(IIN.e);
    assert.deepEqual(
      rec.history.map((h) => [h.version, h.action, h.actor.name]),
      [
        [1, 'placed', OPERATOR],
        [2, 'lift_requested', 'Lift Operator'],
        [3, 'lift_cancelled', 'Cancel Operator'],
      ],
    );
  });

  test('exempt opens a window for one lender', async () => {
    const rec = await box.json<RecordJson>([
      'restriction',
      'exempt',
      '--iin',
      IIN.e,
      '--lender-bin',
      mfoBin,
      '--hours',
      '24',
      '--operator',
      'Exempt Operator',
    ]);
    assert.match(rec.message ?? '', /Exemption open until/);
    const ex = rec.restriction?.exemptions ?? [];
    assert.equal(ex.length, 1);
    assert.equal(ex[0]?.lender.bin, mfoBin);
    assert.equal(ex[0]?.lender.type, 'mfo');
    const hours = (Date.parse(ex[0]?.endsAt ?? '') - Date.parse(ex[0]?.startsAt ?? '')) / 3_600_000;
    assert.equal(hours, 24);
    const last = rec.history.at(-1);
    assert.equal(last?.action, 'exemption_opened');
    assert.equal(last?.version, 4);
    assert.equal(last?.actor.name, 'Exempt Operator');
    assert.equal(last?.exemption?.lenderId, ex[0]?.lender.id);

    assertFails(
      await box.run(['restriction', 'exempt', '--iin', IIN.e, '--lender-bin', mfoBin, '--hours', '73', '--operator', OPERATOR]),
      /1 to 72 hours/,
    );
    assertFails(
      await box.run(['restriction', 'exempt', '--iin', IIN.e, '--lender-bin', OTHER_BIN, '--hours', '2', '--operator', OPERATOR]),
      /No lender is registered with the BIN/,
    );
    assertFails(
      await box.run(['restriction', 'exempt', '--iin', IIN.f, '--lender-bin', mfoBin, '--hours', '2', '--operator', OPERATOR]),
      /no ban in force/,
    );
  });

  test('show without --json describes the ban, its history and checks', async () => {
    const r = await box.run(['restriction', 'show', '--iin', IIN.e, '--operator', OPERATOR]);
    assertOk(r);
    assert.match(r.stdout, /Ban in force \(version 4, active\)/);
    assert.match(r.stdout, /History \(4\):/);
    assert.match(r.stdout, /by operator Exempt Operator/);
    assert.match(r.stdout, /Checks \(0\):/);
    const none = await box.run(['restriction', 'show', '--iin', IIN.f, '--operator', OPERATOR]);
    assertOk(none);
    assert.match(none.stdout, /No ban is in force\./);
  });
});

describe('configuration', () => {
  // These name SQLite files of their own, whatever the engine: their secrets file is the default one, beside them.
  const SECRETS_BESIDE = { TYIYM_SECRETS_FILE: undefined };
  const box = new Sandbox({ dbName: path.join('nested', 'dir', 'reg.db') });
  after(() => box.cleanup());

  test('DATABASE_URL=sqlite:PATH works and the secrets file is created beside it, mode 0600', {
    skip: onlyOn('sqlite', 'SQLite file only: the secrets file beside the database file'),
  }, async () => {
    assert.equal(fs.existsSync(box.secretsPath), false);
    assertOk(await box.run(['lender', 'list']));
    assert.ok(fs.existsSync(box.dbPath), 'the database is at the path given');
    assert.equal(path.dirname(box.secretsPath), path.dirname(box.dbPath));
    const stat = fs.statSync(box.secretsPath);
    assert.equal((stat.mode & 0o777).toString(8), '600');
    const first = fs.readFileSync(box.secretsPath, 'utf8');
    assert.match((JSON.parse(first) as { pepper: string }).pepper, /^[0-9a-f]{64}$/);

    await box.json(['lender', 'add', '--name', 'Bank', '--bin', BANK_BIN, '--type', 'bank']);
    assert.equal(fs.readFileSync(box.secretsPath, 'utf8'), first, 'the pepper is made once and kept');
    const lenders = await box.json<LenderJson[]>(['lender', 'list']);
    assert.equal(lenders.length, 1);
  });

  test('a plain relative path in DATABASE_URL is resolved against the working directory', async () => {
    const r = await box.run(['lender', 'list', '--json'], { DATABASE_URL: 'rel/other.db', ...SECRETS_BESIDE });
    assertOk(r);
    assert.deepEqual(JSON.parse(r.stdout), []);
    assert.ok(fs.existsSync(path.join(box.dir, 'rel', 'other.db')));
    assert.ok(fs.existsSync(path.join(box.dir, 'rel', 'tyiym.secrets.json')));
  });

  test('a secrets file readable by others is refused', async () => {
    const dir = path.join(box.dir, 'loose');
    const db = path.join(dir, 'x.db');
    assertOk(await box.run(['lender', 'list'], { DATABASE_URL: `sqlite:${db}`, ...SECRETS_BESIDE }));
    fs.chmodSync(path.join(dir, 'tyiym.secrets.json'), 0o644);
    const r = await box.run(['lender', 'list'], { DATABASE_URL: `sqlite:${db}`, ...SECRETS_BESIDE });
    assertFails(r, /readable by others.*chmod 600/);
  });

  test('in production without TYIYM_PEPPER the CLI refuses to start', async () => {
    const dir = path.join(box.dir, 'prod');
    const env = { NODE_ENV: 'production', DATABASE_URL: `sqlite:${path.join(dir, 'p.db')}`, ...SECRETS_BESIDE };
    const r = await box.run(['lender', 'list'], env);
    assertFails(r, /TYIYM_PEPPER must be set/);
    assert.equal(r.stdout, '');
    assert.equal(fs.existsSync(dir), false, 'nothing is created');

    const withPepper = await box.run(['lender', 'list', '--json'], { ...env, TYIYM_PEPPER: randomBytes(32).toString('hex') });
    assertOk(withPepper);
    assert.equal(fs.existsSync(path.join(dir, 'tyiym.secrets.json')), false, 'a configured pepper is never written to disk');

    const short = await box.run(['lender', 'list'], { ...env, TYIYM_PEPPER: 'ab'.repeat(8) });
    assertFails(short, /at least 32 random bytes/);
  });

  test('in production without TYIYM_PEPPER the server refuses to start', async () => {
    const dir = path.join(box.dir, 'prod-serve');
    const r = await box.run(['serve', '--port', '0'], {
      NODE_ENV: 'production',
      DATABASE_URL: `sqlite:${path.join(dir, 'p.db')}`,
      LOG_LEVEL: 'info',
      ...SECRETS_BESIDE,
    });
    assertFails(r, /TYIYM_PEPPER must be set/);
    assert.doesNotMatch(r.stdout, /listening/i);
  });

  test('a database opened with another pepper is refused', async () => {
    assertOk(await box.run(['lender', 'list']));
    const r = await box.run(['lender', 'list'], { TYIYM_PEPPER: 'cd'.repeat(32) });
    assertFails(r, /different pepper/);
  });

  test('a PostgreSQL DATABASE_URL that cannot be reached fails with a clear message, and no password in it', async () => {
    const url = 'postgres://tyiym:hunter2@127.0.0.1:1/tyiym';
    const withPepper = await box.run(['lender', 'list'], { DATABASE_URL: url, TYIYM_PEPPER: 'ab'.repeat(32) });
    assertFails(withPepper, /^error: cannot open the PostgreSQL database postgres:\/\/tyiym:\*\*\*@127\.0\.0\.1:1\/tyiym: /m);
    assert.doesNotMatch(withPepper.stderr, /hunter2/);
    const serve = await box.run(['serve', '--port', '0'], { DATABASE_URL: url, TYIYM_PEPPER: 'ab'.repeat(32) });
    assertFails(serve, /cannot open the PostgreSQL database/);
    assert.doesNotMatch(serve.stderr + serve.stdout, /hunter2/);
  });

  test('an unknown DATABASE_URL scheme fails with a clear message', async () => {
    const r = await box.run(['lender', 'list'], { DATABASE_URL: 'mysql://localhost/tyiym' });
    assertFails(r, /DATABASE_URL scheme is not supported/);
  });
});

describe('tyiym serve', () => {
  const box = new Sandbox();
  let server: ServerProcess;
  let bank: LenderAdded;
  let mfo: LenderAdded;

  before(async () => {
    bank = await box.addLender('Serve Bank', BANK_BIN, 'bank');
    server = await box.serve();
    // Registered while the server runs: the server must see it too.
    mfo = await box.addLender('Serve Micro', MFO_BIN, 'mfo');
  });
  after(() => box.cleanup());

  test('a check over HTTP is answered and then appears in `restriction show --json`', async () => {
    await box.json(['restriction', 'place', '--iin', IIN.a, '--channels', 'remote', '--operator', OPERATOR]);

    const restricted = await postCheck(server.url, bank.apiKey, { iin: IIN.a, channel: 'remote', reference: 'app-1' });
    assert.equal(restricted.status, 200, JSON.stringify(restricted.body));
    assert.equal(restricted.body.restricted, true);
    const allowed = await postCheck(server.url, mfo.apiKey, { iin: IIN.a, channel: 'in_person', reference: 'app-2' });
    assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
    assert.equal(allowed.body.restricted, false, 'in person is outside the ban');
    const unbanned = await postCheck(server.url, bank.apiKey, { iin: IIN.b, channel: 'remote', reference: 'app-3' });
    assert.equal(unbanned.body.restricted, false);

    const rec = await box.json<RecordJson>(['restriction', 'show', '--iin', IIN.a, '--operator', OPERATOR]);
    assert.equal(rec.checks.length, 2, 'only this citizen’s checks are listed');
    const [first, second] = rec.checks;
    assert.deepEqual(first, {
      checkId: restricted.body.checkId,
      lender: { id: bank.id, name: 'Serve Bank', bin: BANK_BIN, type: 'bank' },
      channel: 'remote',
      reference: 'app-1',
      restricted: true,
      checkedAt: restricted.body.checkedAt,
    });
    assert.deepEqual(second, {
      checkId: allowed.body.checkId,
      lender: { id: mfo.id, name: 'Serve Micro', bin: MFO_BIN, type: 'mfo' },
      channel: 'in_person',
      reference: 'app-2',
      restricted: false,
      checkedAt: allowed.body.checkedAt,
    });
    const other = await box.json<RecordJson>(['restriction', 'show', '--iin', IIN.b, '--operator', OPERATOR]);
    assert.deepEqual(
      other.checks.map((c) => c.checkId),
      [unbanned.body.checkId],
    );
  });

  test('an unknown key is refused', async () => {
    const r = await postCheck(server.url, `tyk_${'A'.repeat(43)}`, { iin: IIN.a, channel: 'remote', reference: 'x' });
    assert.equal(r.status, 401);
  });

  test('a revoked key is refused within one second, and the other lender is unaffected', async () => {
    const victim = await box.addLender('Revoked Bank', OTHER_BIN, 'bank');
    const body = { iin: IIN.b, channel: 'remote', reference: 'rev' };
    // Warm the server's key cache, so the revocation has to get past it.
    assert.equal((await postCheck(server.url, victim.apiKey, body)).status, 200);

    const r = await box.run(['lender', 'revoke', victim.id]);
    assertOk(r);
    assert.match(r.stdout, /Revoked Revoked Bank/);
    const refusedAfter = await firstRefusal(server.url, victim.apiKey, body, r.exitedAt);
    assert.ok(refusedAfter <= 1000, `the revoked key still worked ${refusedAfter} ms after the revocation`);
    for (let i = 0; i < 3; i++) assert.equal((await postCheck(server.url, victim.apiKey, body)).status, 401);
    assert.equal((await postCheck(server.url, bank.apiKey, body)).status, 200);

    const listed = await box.json<LenderJson[]>(['lender', 'list']);
    const l = listed.find((x) => x.id === victim.id);
    assert.equal(l?.status, 'revoked');
    assert.ok(l?.revokedAt);
    assertFails(await box.run(['lender', 'revoke', victim.id]), /already revoked/);
    assertFails(await box.run(['lender', 'rotate-key', victim.id]), /revoked lender cannot get a new key/);
    assertFails(await box.run(['lender', 'revoke', '00000000-0000-7000-8000-000000000000']), /No lender has the id/);
  });

  test('after rotate-key the old key is refused within one second and the new key works', async () => {
    const body = { iin: IIN.c, channel: 'in_person', reference: 'rot' };
    assert.equal((await postCheck(server.url, mfo.apiKey, body)).status, 200);

    const r = await box.run(['lender', 'rotate-key', mfo.id, '--json']);
    assertOk(r);
    const rotated = JSON.parse(r.stdout) as LenderAdded;
    assert.equal(rotated.id, mfo.id);
    assert.notEqual(rotated.apiKey, mfo.apiKey);

    const fresh = await postCheck(server.url, rotated.apiKey, body);
    assert.equal(fresh.status, 200, 'the new key works at once');
    const refusedAfter = await firstRefusal(server.url, mfo.apiKey, body, r.exitedAt);
    assert.ok(refusedAfter <= 1000, `the old key still worked ${refusedAfter} ms after the rotation`);
    assert.equal((await postCheck(server.url, rotated.apiKey, body)).status, 200);

    const listed = await box.json<LenderJson[]>(['lender', 'list']);
    const l = listed.find((x) => x.id === mfo.id);
    assert.equal(l?.status, 'active');
    assert.ok(rotated.apiKey.startsWith(l?.keyPrefix ?? '-'), 'the listed prefix is the new key’s');
    mfo = rotated;
  });
});

/** Keeps calling with `apiKey` until it is refused; returns how long after `since` the first 401 came. */
async function firstRefusal(url: string, apiKey: string, body: unknown, since: number): Promise<number> {
  for (;;) {
    const r = await postCheck(url, apiKey, body);
    const elapsed = Date.now() - since;
    if (r.status === 401) return elapsed;
    assert.equal(r.status, 200, JSON.stringify(r.body));
    if (elapsed > 3000) return elapsed;
    await new Promise((res) => setTimeout(res, 25));
  }
}

describe('tyiym demo (npm start)', () => {
  // On SQLite no DATABASE_URL: the default, ./data/tyiym.db under the working directory.
  const box = new Sandbox(ENGINE === 'sqlite' ? { env: { DATABASE_URL: undefined } } : {});
  after(() => box.cleanup());

  let bankKey = '';

  test('on an empty directory it seeds demo data and prints two keys and curl examples', async () => {
    const server = await box.serve({ command: 'demo' });
    await server.waitForStdout(/Tyiym is serving on /);
    const out = server.stdout();
    assert.match(out, /Demo data seeded/);
    if (ENGINE === 'sqlite') {
      assert.ok(fs.existsSync(path.join(box.dir, 'data', 'tyiym.db')), 'the default database is ./data/tyiym.db');
      assert.equal((fs.statSync(path.join(box.dir, 'data', 'tyiym.secrets.json')).mode & 0o777).toString(8), '600');
    } else {
      assert.equal((fs.statSync(box.secretsPath).mode & 0o777).toString(8), '600');
    }

    const keys = [...out.matchAll(/ key (tyk_\S+)/g)].map((m) => m[1]);
    assert.equal(keys.length, 2, 'two API keys are printed');
    assert.notEqual(keys[0], keys[1]);

    const curls = [...out.matchAll(/curl -s (\S+)\/v1\/checks -H 'Authorization: Bearer (tyk_\S+)' \\\n\s+.*-d '(\{.*\})'/g)];
    assert.equal(curls.length, 2, `two curl examples are printed:\n${out}`);
    const [bankCurl, mfoCurl] = curls;
    assert.equal(bankCurl?.[1], server.url, 'the examples use the address served');
    bankKey = bankCurl?.[2] ?? '';
    assert.equal(bankKey, keys[0]);

    // The banned citizen of the first example, checked with the printed bank key.
    const example = JSON.parse(bankCurl?.[3] ?? '{}') as { iin: string };
    assert.match(out, new RegExp(`${example.iin}\\s+banned: yes`));
    const banned = await postCheck(server.url, bankKey, example);
    assert.equal(banned.status, 200, JSON.stringify(banned.body));
    assert.equal(banned.body.restricted, true);

    const second = await postCheck(server.url, mfoCurl?.[2] ?? '', JSON.parse(mfoCurl?.[3] ?? '{}'));
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.body.restricted, false, 'the second example is a citizen without a ban');

    assert.equal(await server.stop(), 0);
  });

  test('started again on the same directory it does not seed again', async () => {
    const server = await box.serve({ command: 'demo' });
    await server.waitForStdout(/Tyiym is serving on /);
    const out = server.stdout();
    assert.match(out, /Existing data found/);
    assert.doesNotMatch(out, /Demo data seeded/);
    assert.doesNotMatch(out, /tyk_/);
    const lenders = await box.json<LenderJson[]>(['lender', 'list']);
    assert.equal(lenders.length, 2, 'the lenders were not seeded twice');
    const stillWorks = await postCheck(server.url, bankKey, { iin: IIN.f, channel: 'remote', reference: 'again' });
    assert.equal(stillWorks.status, 200, 'the key printed on the first start still works');
    assert.equal(await server.stop(), 0);
  });
});
