import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { demoBin, demoIin } from '../../src/demo/seed.js';
import { citizenKeyOf } from '../../src/identity/citizen-key.js';
import { parseEntryBundle, TILE_WIDTH, tileWidth } from '../../src/log/tiles.js';
import { decodeEntry } from '../../src/verify/index.js';
import {
  type CliResult,
  type HttpAnswer,
  type LenderAdded,
  pool,
  postCheck,
  type RecordJson,
  Sandbox,
  type ServerProcess,
} from '../helpers/cli.js';
import { ENGINE, onlyOn } from '../helpers/engine.js';
import { type StoredPart, storedParts } from '../helpers/raw-store.js';

/**
 * The IIN is personal data: the registry keeps only HMAC(pepper, IIN). These tests look at the
 * raw bytes of the database, its write-ahead log and shared-memory index (on PostgreSQL, every row
 * of every table of the registry's schema), and at the server's logs, for any trace of the IINs used.
 */

const CITIZENS = [
  demoIin(1958, 3, 14, 'female'),
  demoIin(1990, 7, 2, 'male'),
  demoIin(1985, 11, 23, 'female'),
  demoIin(1979, 5, 9, 'male'),
  demoIin(2001, 1, 30, 'female'),
  demoIin(1968, 9, 17, 'male'),
];
const [ALICE, BOB, CAROL, DAN, ERIN, FRANK] = CITIZENS as [string, string, string, string, string, string];

function withDigit(iin: string, index: number, digit: string): string {
  return `${iin.slice(0, index)}${digit}${iin.slice(index + 1)}`;
}

/** Well-formed but invalid IINs sent to the server; they must not reach disk or the logs either. */
const INVALID = {
  checkDigit: withDigit(ERIN, 11, String((Number(ERIN[11]) + 1) % 10)),
  date: withDigit(FRANK, 2, '1'), // month 1x: 13 or more
  century: withDigit(DAN, 6, '9'),
};

const EVERY_IIN = [...CITIZENS, ...Object.values(INVALID)];

/** The ways an IIN could be written into a file: ASCII/UTF-8, UTF-16LE, and a SQLite integer (big-endian). */
function encodings(iin: string): { name: string; bytes: Buffer }[] {
  const asInt = Buffer.alloc(8);
  asInt.writeBigUInt64BE(BigInt(iin));
  return [
    { name: 'ASCII', bytes: Buffer.from(iin, 'latin1') },
    { name: 'UTF-16LE', bytes: Buffer.from(iin, 'utf16le') },
    { name: 'big-endian integer', bytes: asInt.subarray(2) }, // 12 decimal digits fit in 6 bytes
  ];
}

function assertNoIin(where: string, bytes: Buffer): void {
  for (const iin of EVERY_IIN) {
    for (const e of encodings(iin)) {
      assert.equal(bytes.indexOf(e.bytes), -1, `${where} contains the IIN ${iin} as ${e.name}`);
    }
  }
}

interface DbFiles {
  db: Buffer;
  wal: Buffer | null;
  shm: Buffer | null;
}

function readDbFiles(dbPath: string): DbFiles {
  const read = (p: string) => (fs.existsSync(p) ? fs.readFileSync(p) : null);
  const db = read(dbPath);
  assert.ok(db, `${dbPath} exists`);
  return { db, wal: read(`${dbPath}-wal`), shm: read(`${dbPath}-shm`) };
}

/** On PostgreSQL: every row of every table of the registry's schema, each table searched on its own. */
async function readTables(box: Sandbox): Promise<StoredPart[]> {
  const tables = await storedParts({ file: box.dbPath, url: box.env.DATABASE_URL as string });
  assert.ok(tables.length > 0, 'the schema has tables');
  return tables;
}

describe('no IIN reaches the database files or the logs', () => {
  const box = new Sandbox({ env: { LOG_LEVEL: 'debug' } });
  let server: ServerProcess;
  let bank: LenderAdded;
  let mfo: LenderAdded;
  let pepper: Buffer;
  const cli: CliResult[] = [];
  const answers: HttpAnswer[] = [];

  const run = async (args: string[]) => {
    const r = await box.run(args);
    cli.push(r);
    return r;
  };

  before(async () => {
    bank = await box.addLender('Privacy Bank', demoBin('99014000001'), 'bank');
    mfo = await box.addLender('Privacy Micro', demoBin('99024000002'), 'mfo');
    pepper = Buffer.from((JSON.parse(fs.readFileSync(box.secretsPath, 'utf8')) as { pepper: string }).pepper, 'hex');
    assert.equal(pepper.length, 32);

    // Bans placed before the server starts…
    await run(['restriction', 'place', '--iin', ALICE, '--operator', 'Operator One']);
    await run(['restriction', 'place', '--iin', BOB, '--lender-types', 'mfo', '--indefinite', '--operator', 'Operator One']);
    server = await box.serve();
    // …and while it runs, so that they sit in the write-ahead log next to the server's checks.
    await run(['restriction', 'place', '--iin', CAROL, '--channels', 'remote', '--months', '2', '--operator', 'Operator Two']);
    await run([
      'restriction',
      'exempt',
      '--iin',
      ALICE,
      '--lender-bin',
      demoBin('99014000001'),
      '--hours',
      '1',
      '--operator',
      'Operator Two',
    ]);
    await run(['restriction', 'lift', '--iin', BOB, '--operator', 'Operator Three']);
    await run(['restriction', 'place', '--iin', DAN, '--operator', 'Operator Three']);
    // Invalid IINs through the CLI are refused before anything is stored.
    for (const bad of Object.values(INVALID)) {
      await run(['restriction', 'place', '--iin', bad, '--operator', 'Operator Four']);
    }

    // Many valid checks, several in flight at once.
    const jobs = Array.from({ length: 240 }, (_, i) => ({
      iin: CITIZENS[i % CITIZENS.length] as string,
      key: i % 3 === 0 ? mfo.apiKey : bank.apiKey,
      channel: i % 2 === 0 ? 'remote' : 'in_person',
      reference: `loan-application-${i}`,
    }));
    answers.push(
      ...(await pool(jobs, 8, (j) => postCheck(server.url, j.key, { iin: j.iin, channel: j.channel, reference: j.reference }))),
    );

    // Requests that fail, each carrying an IIN somewhere.
    const k = bank.apiKey;
    const refused: [number, Promise<HttpAnswer>][] = [
      [400, postCheck(server.url, k, { iin: INVALID.checkDigit, channel: 'remote', reference: 'bad-check-digit' })],
      [400, postCheck(server.url, k, { iin: INVALID.date, channel: 'remote', reference: 'bad-date' })],
      [400, postCheck(server.url, k, { iin: INVALID.century, channel: 'remote', reference: 'bad-century' })],
      [400, postCheck(server.url, k, { iin: ALICE.slice(0, 11), channel: 'remote', reference: 'short' })],
      [400, postCheck(server.url, k, { iin: `${ALICE} `, channel: 'remote', reference: 'padded' })],
      [400, postCheck(server.url, k, { iin: ALICE, channel: 'remote', reference: `ref-${ALICE}` })],
      [400, postCheck(server.url, k, { iin: ALICE, channel: 'telephone', reference: 'bad-channel' })],
      [400, postCheck(server.url, k, { iin: ALICE, channel: 'remote', reference: 'extra', note: ALICE })],
      [400, postCheck(server.url, k, { iin: Number(ALICE), channel: 'remote', reference: 'number' })],
      [400, postCheck(server.url, k, `{"iin":"${ALICE}","channel":"remote","reference":"truncated"`)],
      [400, postCheck(server.url, k, `{"iin":"${ALICE}" "channel":"remote"}`)],
      [400, postCheck(server.url, k, { iin: ALICE.repeat(6), channel: 'remote', reference: 'long' })],
      [401, postCheck(server.url, null, { iin: ALICE, channel: 'remote', reference: 'no-key' })],
      [401, postCheck(server.url, `tyk_${'x'.repeat(43)}`, { iin: BOB, channel: 'remote', reference: 'wrong-key' })],
      [
        415,
        postCheck(server.url, k, JSON.stringify({ iin: ALICE, channel: 'remote', reference: 'text' }), {
          'content-type': 'text/plain',
        }),
      ],
      [413, postCheck(server.url, k, { iin: ALICE, channel: 'remote', reference: 'big', pad: ALICE.repeat(2000) })],
      // A lender's mistake: the IIN in the URL, as a path segment or in the query string.
      [
        404,
        fetch(`${server.url}/v1/checks/${ALICE}`, { headers: { authorization: `Bearer ${k}` } }).then((r) => ({
          status: r.status,
          body: {},
        })),
      ],
      [200, postCheck(`${server.url}`, k, { iin: BOB, channel: 'remote', reference: 'query' }, {}, `?iin=${BOB}`)],
    ];
    for (const [status, pending] of refused) {
      const r = await pending;
      assert.equal(r.status, status, `expected ${status}: ${JSON.stringify(r.body)}`);
    }

    // Reading records through the CLI while the server runs.
    for (const iin of CITIZENS) await run(['restriction', 'show', '--iin', iin, '--operator', 'Operator One', '--json']);
  });
  after(() => box.cleanup());

  test('the setup did what it meant to', () => {
    assert.equal(answers.length, 240);
    for (const a of answers) assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.ok(
      answers.some((a) => a.body.restricted === true),
      'some checks hit a ban',
    );
    const failed = cli.filter((r) => r.code !== 0);
    assert.equal(failed.length, Object.keys(INVALID).length, 'only the invalid IINs were refused by the CLI');
    for (const r of failed) assert.match(r.stderr, /\[invalid_iin\]/);
  });

  test('while the server runs, neither the database, its WAL nor its shm holds an IIN', {
    skip: onlyOn('sqlite', 'SQLite file only: its WAL and shm; the tables are searched below'),
  }, () => {
    const files = readDbFiles(box.dbPath);
    assert.ok(files.wal && files.wal.length > 0, 'the server has written to the WAL and not checkpointed it away');
    assertNoIin('the database file', files.db);
    assertNoIin('the WAL', files.wal);
    if (files.shm) assertNoIin('the shm file', files.shm);

    // Not vacuous: the citizen key is there, and the recent checks are in the uncheckpointed WAL.
    const key = citizenKeyOf(pepper, ALICE);
    assert.ok(files.wal.includes(key), 'the citizen key of a checked IIN is in the WAL');
    assert.ok(files.wal.includes(Buffer.from('loan-application-0')), 'check references are in the WAL');
  });

  test('while the server runs, no row of any table holds an IIN', {
    skip: onlyOn('postgres', 'PostgreSQL only: the SQLite files are searched above'),
  }, async () => {
    const tables = await readTables(box);
    for (const t of tables) assertNoIin(t.name, t.bytes);
    // Not vacuous: the citizen key and the recent checks' references are in the rows searched.
    const checks = tables.find((t) => t.name === 'table checks')?.bytes ?? Buffer.alloc(0);
    assert.ok(checks.includes(citizenKeyOf(pepper, ALICE)), 'the citizen key of a checked IIN is in the checks table');
    assert.ok(checks.includes(Buffer.from('loan-application-0')), 'check references are in the checks table');
  });

  test('the records are whole: every check answered is listed for its citizen', async () => {
    const rec = await box.json<RecordJson>(['restriction', 'show', '--iin', ALICE, '--operator', 'Operator One']);
    const ids = new Set(rec.checks.map((c) => c.checkId));
    const mine = answers.filter((_, i) => i % CITIZENS.length === 0);
    assert.equal(rec.checks.length, mine.length);
    for (const a of mine) assert.ok(ids.has(a.body.checkId as string));
  });

  test('the public log names no one: no IIN, reference or operator name in any entry bundle or tile', async () => {
    const auditor = await box.json<{ id: string; apiKey: string }>(['auditor', 'add', '--name', 'Privacy Auditor']);
    const checkpoint = await (await fetch(`${server.url}/log/checkpoint`)).text();
    const size = Number(checkpoint.split('\n')[1]);
    assert.ok(size > 240, `every check and change is logged (${size})`);
    const bodies: Buffer[] = [];
    const entries: Buffer[] = [];
    const fetchTile = async (path: string, key: string | null) => {
      const res = await fetch(
        `${server.url}/log/tile/${path}`,
        key === null ? {} : { headers: { authorization: `Bearer ${key}` } },
      );
      assert.equal(res.status, 200, path);
      const body = Buffer.from(await res.arrayBuffer());
      bodies.push(body);
      return body;
    };
    for (let level = 0; tileWidth(level, 0, size) > 0; level++)
      for (let index = 0; tileWidth(level, index, size) > 0; index++) {
        const width = tileWidth(level, index, size);
        const n = `${String(index).padStart(3, '0')}${width < TILE_WIDTH ? `.p/${width}` : ''}`;
        await fetchTile(`${level}/${n}`, null);
        if (level === 0) entries.push(...parseEntryBundle(await fetchTile(`entries/${n}`, auditor.apiKey)));
      }
    assert.equal(entries.length, size);
    assert.ok(entries.every((e) => decodeEntry(e).entryVersion === 2));
    const all = Buffer.concat(bodies);
    assertNoIin('the log’s tiles and entry bundles', all);
    const texts = [
      ...answers.map((a) => a.body.reference as string),
      'Operator One',
      'Operator Two',
      'Operator Three',
      'Operator',
    ];
    for (const text of texts)
      for (const form of [Buffer.from(text, 'utf8'), Buffer.from(text, 'utf16le')])
        assert.equal(all.indexOf(form), -1, `the log holds ${JSON.stringify(text)}`);
    // Not vacuous: the entries do name the citizens, by their keys.
    assert.ok(all.includes(citizenKeyOf(pepper, ALICE)));
  });

  test('the server logged requests at debug level, and no IIN appears in its output', () => {
    const out = server.stdout();
    const err = server.stderr();
    assert.match(out, /"msg":"incoming request"/, 'requests are logged');
    assert.ok(out.split('\n').length > 240, 'every request is logged');
    assertNoIin('the server’s stdout', Buffer.from(out));
    assertNoIin('the server’s stderr', Buffer.from(err));
  });

  test('after the server stops, the files still hold no IIN but do hold the citizen keys', async () => {
    assert.equal(await server.stop(), 0);
    let all: Buffer;
    if (ENGINE === 'sqlite') {
      const files = readDbFiles(box.dbPath);
      assertNoIin('the database file', files.db);
      if (files.wal) assertNoIin('the WAL', files.wal);
      if (files.shm) assertNoIin('the shm file', files.shm);
      all = Buffer.concat([files.db, files.wal ?? Buffer.alloc(0)]);
    } else {
      const tables = await readTables(box);
      for (const t of tables) assertNoIin(t.name, t.bytes);
      all = Buffer.concat(tables.map((t) => t.bytes));
    }
    for (const iin of [ALICE, BOB, CAROL, DAN]) {
      assert.ok(all.includes(citizenKeyOf(pepper, iin)), `the citizen key of ${iin} is stored`);
    }
    assertNoIin('the server’s output', Buffer.from(server.stdout() + server.stderr()));
  });
});
