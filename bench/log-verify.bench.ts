/**
 * How long `tyiym log verify` takes to audit a log of BENCH_LOG_ENTRIES check entries. It builds a
 * throwaway registry whose log holds them, written through the store's own log integration in large
 * transactions, then runs the built CLI on it. Run with `npm run bench:log-verify`.
 *
 *   BENCH_LOG_ENTRIES   entries in the log (default 1000000)
 *   BENCH_LOG_TX        entries per write transaction while building (default 10000)
 *   BENCH_LOG_BATCH     entries per signed checkpoint, like one group-commit batch of the server (default 64)
 *   BENCH_LOG_KEEP      when set to 1, the registry is kept (its directory is printed) instead of removed
 *
 * The last line of output is `RESULT log_verify_entries=<n> seconds=<s> entries_per_s=<n>`, where the
 * seconds are the wall-clock time of the whole `tyiym log verify` process.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CheckRecord } from '../src/checks/check.js';
import type { LoggedCheck } from '../src/checks/check.repository.js';
import { demoBin } from '../src/demo/seed.js';
import { citizenKeyOf } from '../src/identity/citizen-key.js';
import { makeIin } from '../src/identity/iin.js';
import { newId } from '../src/ids.js';
import { logCheck } from '../src/log/entries.js';
import { loadLogKey } from '../src/log/note.js';
import type { Channel, LenderType } from '../src/registry/policy.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { envInt, ROOT, usage } from './env.js';
import { prng } from './registry.js';

const CLI = path.join(ROOT, 'bin', 'tyiym.js');
const ORIGIN = 'tyiym.kz/log';
const CITIZENS = 100_000;

const ENTRIES = envInt('BENCH_LOG_ENTRIES', 1_000_000, 1);
const TX = envInt('BENCH_LOG_TX', 10_000, 1);
const BATCH = envInt('BENCH_LOG_BATCH', 64, 1);

if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) usage('dist/ is missing; run `npm run build` first');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tyiym-bench-log-'));
const KEEP = process.env.BENCH_LOG_KEEP === '1';
const cleanup = () => {
  if (KEEP) process.stderr.write(`kept the registry in ${tmp}\n`);
  else fs.rmSync(tmp, { recursive: true, force: true });
};
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping\n`);
    cleanup();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

const dbPath = path.join(tmp, 'registry.db');
const env = { ...process.env, DATABASE_URL: `sqlite:${dbPath}`, LOG_LEVEL: 'silent', LOG_ORIGIN: ORIGIN };

/** Runs the built CLI to completion and returns its standard output. */
function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: tmp, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tyiym ${args.join(' ')} exited ${r.status}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

// The CLI creates the registry and its secrets file, as an operator would; lenders are registered the same way.
const bank = JSON.parse(
  cli(['lender', 'add', '--name', 'Bench Bank JSC', '--bin', demoBin('99014000001'), '--type', 'bank', '--json']),
) as {
  id: string;
};
const mfo = JSON.parse(
  cli(['lender', 'add', '--name', 'Bench Microfinance LLP', '--bin', demoBin('99024000002'), '--type', 'mfo', '--json']),
) as { id: string };
const secrets = JSON.parse(fs.readFileSync(path.join(tmp, 'tyiym.secrets.json'), 'utf8')) as {
  pepper: string;
  logKeySeed: string;
};
const pepper = Buffer.from(secrets.pepper, 'hex');
const key = loadLogKey(ORIGIN, secrets.logKeySeed);

/** Synthetic citizens only: valid IINs that belong to no one, keyed as the registry keys them. */
function citizenKeys(n: number): Buffer[] {
  const keys: Buffer[] = [];
  for (let i = 0; keys.length < n; i++) {
    const birth = new Date(Date.UTC(1950, 0, 1) + (i % 20_000) * 86_400_000);
    const iin = makeIin(
      { year: birth.getUTCFullYear(), month: birth.getUTCMonth() + 1, day: birth.getUTCDate() },
      Math.floor(i / 20_000) % 2 === 0 ? 'female' : 'male',
      1 + Math.floor(i / 40_000),
    );
    if (iin !== null) keys.push(citizenKeyOf(pepper, iin));
  }
  return keys;
}

async function build(): Promise<number> {
  const started = performance.now();
  const store = openSqliteStore(dbPath, { origin: ORIGIN, key });
  const seeder = store.seeder();
  const citizens = citizenKeys(CITIZENS);
  const random = prng(0x10c);
  const lenders: { id: string; type: LenderType }[] = [
    { id: bank.id, type: 'bank' },
    { id: mfo.id, type: 'mfo' },
  ];
  const first = Date.now() - 30 * 86_400_000;
  // Each batch is what one group commit of the server writes: its checks and its log entries, one checkpoint.
  const batch = (from: number, to: number): LoggedCheck[] => {
    const logged = [];
    for (let n = from; n < to; n++) {
      const lender = lenders[random() < 0.7 ? 0 : 1] as { id: string; type: LenderType };
      const record: CheckRecord = {
        id: newId(),
        lenderId: lender.id,
        citizenKey: citizens[Math.floor(random() * CITIZENS)] as Buffer,
        channel: (random() < 0.8 ? 'remote' : 'in_person') as Channel,
        reference: `APP-${2026_000_000 + n}`,
        // No ban is logged here, so the replay in log verify expects every answer to be 'not restricted'.
        restricted: false,
        checkedAt: new Date(first + Math.floor((n * 30 * 86_400_000) / ENTRIES)),
        restrictionId: null,
        restrictionVersion: null,
      };
      logged.push(logCheck(record, lender.type));
    }
    return logged;
  };
  function* batches(from: number, to: number): Generator<LoggedCheck[]> {
    for (let b = from; b < to; b += BATCH) yield batch(b, Math.min(b + BATCH, to));
  }
  let lastReport = 0;
  for (let from = 0; from < ENTRIES; from += TX) {
    const to = Math.min(from + TX, ENTRIES);
    await seeder.checkBatches(batches(from, to));
    const now = performance.now();
    if (now - lastReport > 2000 || to === ENTRIES) {
      lastReport = now;
      const rate = Math.round(to / ((now - started) / 1000));
      process.stderr.write(`building: ${to}/${ENTRIES} entries (${Math.floor((to / ENTRIES) * 100)}%), ${rate} entries/s\n`);
    }
  }
  // Fold the WAL into the main file, so the audit reads a compact database.
  await seeder.compact();
  await store.close();
  return (performance.now() - started) / 1000;
}

function verify(): Promise<{ seconds: number; report: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // Progress goes to our stderr; stdout carries the JSON summary.
    const child = spawn(process.execPath, [CLI, 'log', 'verify', '--json'], { cwd: tmp, env, stdio: ['ignore', 'pipe', 2] });
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      out += s;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) reject(new Error(`tyiym log verify exited ${code}\n${out}`));
      else resolve({ seconds, report: JSON.parse(out) as Record<string, unknown> });
    });
  });
}

const buildSeconds = await build();
const size = fs.statSync(dbPath).size;
process.stdout.write(
  `Built a log of ${ENTRIES} check entries (a checkpoint signed every ${BATCH} entries) ` +
    `in ${buildSeconds.toFixed(1)} s; database ${(size / 1e6).toFixed(0)} MB.\n`,
);
const { seconds, report } = await verify();
process.stdout.write(
  `tyiym log verify: ${report.entries} entries, ${report.checkpoints} checkpoints, ${report.nodes} node hashes; ` +
    `${Number(report.seconds).toFixed(2)} s inside the command, ${seconds.toFixed(2)} s for the whole process.\n`,
);
process.stdout.write(
  `RESULT log_verify_entries=${ENTRIES} seconds=${seconds.toFixed(2)} entries_per_s=${Math.round(ENTRIES / seconds)}\n`,
);
