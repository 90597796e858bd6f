/**
 * Throughput and latency of POST /v1/checks against a registry of BENCH_BANS bans, compared
 * with a bare Fastify server driven identically. Run with `npm run bench`.
 *
 *   BENCH_BANS            bans to seed (default 1000000)
 *   BENCH_SECONDS         length of each measured run (default 10)
 *   BENCH_WARMUP_SECONDS  unmeasured load before each run, for JIT and caches (default 2; 0 skips it)
 *   BENCH_TOOL            wrk or autocannon (default: wrk when on PATH, else autocannon)
 *   BENCH_PROFILE_DIR     when set, the checks server runs with --cpu-prof and writes its profile there
 *
 *   BENCH_PG_ADMIN_URL    with --store postgres: where to create (and afterwards drop) the benchmark's own
 *                         database (default postgres://postgres@127.0.0.1:5432/postgres)
 *
 * `npm run bench -- --store postgres` runs the registry on PostgreSQL instead of the embedded SQLite file.
 * The last line of output is `RESULT store=<engine> checks_per_s=<n> bare_per_s=<n> ratio=<x> p99_ms=<y>`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/store/open.js';
import { envInt, ROOT, usage } from './env.js';
import type { LoadOptions, LoadResult } from './load-result.js';
import { prng, seedRegistry } from './registry.js';

const CONNECTIONS = 64;
const POOL_SIZE = 10_000;
const MAX_ERROR_RATE = 0.001;

const BANS = envInt('BENCH_BANS', 1_000_000, 1);
const SECONDS = envInt('BENCH_SECONDS', 10, 1);
const WARMUP_SECONDS = envInt('BENCH_WARMUP_SECONDS', 2, 0);
const STORE = storeArgument();
const PG_ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR ? path.resolve(process.env.BENCH_PROFILE_DIR) : null;

function storeArgument(): 'sqlite' | 'postgres' {
  const args = process.argv.slice(2);
  const i = args.indexOf('--store');
  if (i === -1) return 'sqlite';
  const value = args[i + 1];
  if (value !== 'sqlite' && value !== 'postgres') usage('--store must be sqlite or postgres');
  return value;
}

/** The benchmark's own PostgreSQL database, made fresh for the run and dropped after it. */
async function withPgDatabase<T>(body: (url: string) => Promise<T>): Promise<T> {
  const name = `tyiym_bench_${process.pid}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`DROP DATABASE IF EXISTS ${name}`);
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  try {
    return await body(url.toString());
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

// ---- child processes and cleanup ----------------------------------------------------------

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tyiym-bench-'));
const children = new Set<ChildProcess>();

/** Idempotent and synchronous, so it can run from 'exit' and signal handlers as well as at the end. */
function cleanup(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping\n`);
    cleanup();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

function start(command: string, args: string[], env: NodeJS.ProcessEnv, stdout: 'pipe' | 'stderr'): ChildProcess {
  // Children write their logs to our stderr, so stdout carries only the summary and the RESULT line.
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', stdout === 'pipe' ? 'pipe' : 2, 2] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', reject); // e.g. the command could not be started
  });
}

/** Asks a server to shut down gracefully (the checks server drains its pending writes), then insists. */
async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited(child);
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} before it was ready`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} was not ready within 60 s`);
}

// ---- load generation ----------------------------------------------------------------------

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, command), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const TOOL = (process.env.BENCH_TOOL ?? (onPath('wrk') ? 'wrk' : 'autocannon')) as LoadResult['tool'];
if (TOOL !== 'wrk' && TOOL !== 'autocannon') usage('BENCH_TOOL must be wrk or autocannon');

interface WrkSummary {
  requests: number;
  duration_us: number;
  status: number;
  connect: number;
  read: number;
  write: number;
  timeout: number;
  p50_us: number;
  p99_us: number;
}

/** Drives url from a separate process with the chosen tool; both report through the same LoadResult. */
async function load(url: string, seconds: number, requestsFile: string): Promise<LoadResult> {
  let child: ChildProcess;
  if (TOOL === 'wrk') {
    // Half the CPUs generate load; the rest are left to the server.
    const threads = Math.max(1, Math.floor(os.availableParallelism() / 2));
    const args = ['-t', `${threads}`, '-c', `${CONNECTIONS}`, '-d', `${seconds}s`, '--timeout', '10s'];
    child = start('wrk', [...args, '-s', 'bench/checks.lua', url], { ...process.env, BENCH_REQUESTS: requestsFile }, 'pipe');
  } else {
    const options: LoadOptions = { url, connections: CONNECTIONS, seconds, requestsFile };
    child = start(process.execPath, ['--import', 'tsx', 'bench/load.ts', JSON.stringify(options)], process.env, 'pipe');
  }
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  const code = await exited(child);
  if (code !== 0) throw new Error(`${TOOL} exited with code ${code}`);
  const last = out.trim().split('\n').at(-1) ?? '';
  if (TOOL === 'autocannon') return JSON.parse(last) as LoadResult;
  const w = JSON.parse(last) as WrkSummary;
  // wrk counts responses with status >= 400 as errors; everything else it completed is a success.
  return {
    tool: 'wrk',
    seconds: w.duration_us / 1e6,
    ok: w.requests - w.status,
    non2xx: w.status,
    socketErrors: w.connect + w.read + w.write + w.timeout,
    p50: w.p50_us / 1000,
    p99: w.p99_us / 1000,
    statusCodes: {},
  };
}

/** The measured run, after an unmeasured warm-up so JIT compilation and cold caches are not part of it. */
async function measure(url: string, requestsFile: string): Promise<{ run: LoadResult; warmupOk: number }> {
  const warmupOk = WARMUP_SECONDS > 0 ? (await load(url, WARMUP_SECONDS, requestsFile)).ok : 0;
  return { run: await load(url, SECONDS, requestsFile), warmupOk };
}

/**
 * The request pool: half banned citizens, half citizens with no ban, each channel, alternating the
 * bank's and the MFO's key. References are unique within a run and never contain the IIN.
 */
function writeRequests(file: string, seed: { banned: string[]; unbanned: string[]; keys: { bank: string; mfo: string } }): void {
  const random = prng(0x10a2);
  const run = Date.now().toString(36);
  const lines: string[] = [];
  for (let i = 0; i < POOL_SIZE; i++) {
    const citizens = i % 2 === 0 ? seed.banned : seed.unbanned;
    const iin = citizens[Math.floor(random() * citizens.length)] as string;
    const channel = random() < 0.7 ? 'remote' : 'in_person';
    const key = Math.floor(i / 2) % 2 === 0 ? seed.keys.bank : seed.keys.mfo;
    lines.push(`${key}\t${JSON.stringify({ iin, channel, reference: `bench-${run}-${i}` })}`);
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

/** One check through the real API, to prove the seeded registry, pepper and keys fit together. */
async function expectAnswer(url: string, key: string, iin: string, restricted: boolean): Promise<void> {
  const res = await fetch(`${url}/v1/checks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ iin, channel: 'remote', reference: 'bench-preflight' }),
  });
  const body = (await res.json()) as { restricted?: boolean };
  if (res.status !== 200 || body.restricted !== restricted) {
    throw new Error(`preflight check expected restricted=${restricted}, got ${res.status} ${JSON.stringify(body)}`);
  }
}

// ---- reporting ----------------------------------------------------------------------------

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number | null): string => (n === null ? 'n/a' : `${n.toFixed(2)} ms`);
const perSecond = (r: LoadResult): number => r.ok / r.seconds;

function describe(name: string, r: LoadResult): string {
  const codes = Object.entries(r.statusCodes)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, n]) => `${code}×${n}`)
    .join(' ');
  return (
    `  ${name.padEnd(7)} ${int(perSecond(r)).padStart(8)} req/s  p50 ${ms(r.p50)}  p99 ${ms(r.p99)}  ` +
    `2xx ${int(r.ok)}  non-2xx ${int(r.non2xx)}${codes ? ` (${codes})` : ''}  socket errors ${int(r.socketErrors)}`
  );
}

function errorRate(r: LoadResult): number {
  const failed = r.non2xx + r.socketErrors;
  return r.ok + failed === 0 ? 1 : failed / (r.ok + failed);
}

// ---- the run ------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (STORE === 'postgres') await withPgDatabase(run);
  else await run(path.join(tmp, 'registry.db'));
}

async function run(databaseUrl: string): Promise<void> {
  const requestsFile = path.join(tmp, 'requests.tsv');
  const sampleSize = Math.min(BANS, POOL_SIZE / 2);

  const seed = await seedRegistry(databaseUrl, BANS, sampleSize);
  writeRequests(requestsFile, seed);

  // The registry under test, exactly as deployed: the CLI's serve command on the seeded file.
  const checksPort = await freePort();
  const checksUrl = `http://127.0.0.1:${checksPort}`;
  const serverArgs = PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : [];
  const server = start(
    process.execPath,
    [...serverArgs, 'bin/tyiym.js', 'serve', '--port', `${checksPort}`],
    {
      ...process.env,
      DATABASE_URL: databaseUrl,
      TYIYM_SECRETS_FILE: path.join(tmp, 'tyiym.secrets.json'),
      TYIYM_PEPPER: seed.pepper.toString('hex'),
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
    },
    'stderr',
  );
  await waitReady(checksUrl, server);
  await expectAnswer(checksUrl, seed.keys.bank, seed.fullyBanned, true);
  await expectAnswer(checksUrl, seed.keys.bank, seed.unbanned[0] as string, false);
  process.stderr.write(`checks server ready on ${checksUrl}; driving it with ${TOOL}\n`);
  const { run: checks, warmupOk } = await measure(checksUrl, requestsFile);
  await stop(server);

  // Every acknowledged check must be on disk: the two preflight checks, the warm-up's and the run's.
  const store = await openStore(loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' }).database, null);
  const recorded = await store.checks.count();
  await store.close();
  const acknowledged = 2 + warmupOk + checks.ok;

  // The baseline, on its own, so the two servers never compete for CPU.
  const barePort = await freePort();
  const bareUrl = `http://127.0.0.1:${barePort}`;
  const bareServer = start(process.execPath, ['--import', 'tsx', 'bench/bare-server.ts', `${barePort}`], process.env, 'stderr');
  await waitReady(bareUrl, bareServer);
  process.stderr.write(`bare server ready on ${bareUrl}\n`);
  const { run: bare } = await measure(bareUrl, requestsFile);
  await stop(bareServer);

  const checksPerSecond = perSecond(checks);
  const barePerSecond = perSecond(bare);
  const lines = [
    '',
    `Tyiym checks benchmark: store ${STORE}, ${TOOL}, ${CONNECTIONS} connections, ${SECONDS} s per run, ${os.availableParallelism()} CPUs`,
    `  seed    ${int(BANS)} bans in ${seed.seconds.toFixed(1)} s (${int(BANS / seed.seconds)} bans/s)`,
    describe('checks', checks),
    `          ${int(recorded)} checks recorded for ${int(acknowledged)} acknowledged`,
    describe('bare', bare),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  const failures: string[] = [];
  for (const [name, r] of [
    ['checks', checks],
    ['bare', bare],
  ] as const) {
    const rate = errorRate(r);
    if (rate > MAX_ERROR_RATE) failures.push(`${name}: ${(rate * 100).toFixed(2)}% of requests failed (limit 0.1%)`);
  }
  if (recorded < acknowledged) failures.push(`only ${recorded} of ${acknowledged} acknowledged checks were recorded`);
  if (failures.length > 0) throw new Error(failures.join('; '));

  const ratio = checksPerSecond / barePerSecond;
  process.stdout.write(
    `RESULT store=${STORE} checks_per_s=${Math.round(checksPerSecond)} bare_per_s=${Math.round(barePerSecond)} ratio=${ratio.toFixed(3)} p99_ms=${(checks.p99 ?? Number.NaN).toFixed(2)}\n`,
  );
}

main().then(
  () => cleanup(),
  (e: unknown) => {
    process.stderr.write(`benchmark FAILED: ${(e as Error).message}\n`);
    cleanup();
    process.exitCode = 1;
  },
);
