#!/usr/bin/env node
/**
 * The test suite, once per engine: every test file on SQLite, then the files that touch storage again on
 * PostgreSQL, in a database of the run's own that is dropped afterwards (also on failure or Ctrl+C).
 *
 * Which files touch storage: those that reach test/helpers/engine.ts (the helper that gives each registry its
 * database) or a module that opens a store (src/store/open.ts, src/store/sqlite/, src/store/postgres/) through their
 * relative imports within test/. Every helper that opens a store goes through
 * engine.ts, so a new test file is sorted by what it imports, not by a list to keep up to date.
 *
 *   node scripts/test.mjs [file ...]     (no files: every test/**\/*.test.ts)
 *   node scripts/test.mjs --list         which files run on which engines, without running them
 *
 * TYIYM_TEST_PG_ADMIN_URL names the PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres);
 * without an answer there, the PostgreSQL run is skipped, said so in one line, and the exit code is SQLite's.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TEST_DIR = path.join(ROOT, 'test');
const ENGINE_HELPER = path.join(TEST_DIR, 'helpers', 'engine.ts');
// The modules that open a store; GroupCommit, beside them, is engine-free.
const STORE_OPENERS = [
  path.join(ROOT, 'src', 'store', 'open.ts'),
  path.join(ROOT, 'src', 'store', 'sqlite'),
  path.join(ROOT, 'src', 'store', 'postgres'),
];
const ADMIN_URL = process.env.TYIYM_TEST_PG_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

function testFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(p));
    else if (entry.name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

/** The files a source file imports by relative path, as they are on disk (`./x.js` is ./x.ts). */
function relativeImports(file) {
  const text = fs.readFileSync(file, 'utf8');
  const found = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const spec = path.resolve(path.dirname(file), m[1]);
    const candidates = [spec, spec.replace(/\.js$/, '.ts'), `${spec}.ts`, path.join(spec, 'index.ts')];
    const hit = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
    if (hit !== undefined) found.push(hit);
  }
  return found;
}

/** Whether `file` reaches the engine helper or the store through test code. */
function touchesStore(file, seen = new Set()) {
  if (seen.has(file)) return false;
  seen.add(file);
  for (const dep of relativeImports(file)) {
    if (dep === ENGINE_HELPER || STORE_OPENERS.some((o) => dep === o || dep.startsWith(`${o}${path.sep}`))) return true;
    // src/ is not followed: a test reaches storage through the helpers that open one.
    if (dep.startsWith(`${TEST_DIR}${path.sep}`) && touchesStore(dep, seen)) return true;
  }
  return false;
}

let child = null;
let interrupted = null;

/** Runs the files under node:test with `env` added; resolves with the exit code. */
function runTests(files, env) {
  return new Promise((resolve) => {
    const childEnv = { ...process.env, ...env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
    child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
      cwd: ROOT,
      env: childEnv,
      stdio: 'inherit',
    });
    child.on('close', (code, signal) => {
      child = null;
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    // The tests are stopped (Ctrl+C reaches them too) and the run's database is still dropped below.
    interrupted = signal;
    child?.kill(signal);
  });
}

/** Whether PostgreSQL answers at the admin URL: null if it does, else why not. */
async function postgresMissing() {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (e) {
    return `${e.code ?? ''} ${e.message || String(e)}`.trim();
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function admin(sql) {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function redacted(url) {
  const u = new URL(url);
  if (u.password !== '') u.password = '***';
  return u.toString();
}

const log = (line) => process.stdout.write(`${line}\n`);

const args = process.argv.slice(2);
const given = args.filter((a) => a !== '--list').map((f) => path.resolve(f));
const all = given.length > 0 ? given : testFiles(TEST_DIR);
const onPostgres = all.filter((f) => touchesStore(f));
if (args.includes('--list')) {
  for (const f of all) log(`${onPostgres.includes(f) ? 'sqlite postgres' : 'sqlite         '}  ${path.relative(ROOT, f)}`);
  process.exit(0);
}
const started = Date.now();

log(`# SQLite: ${all.length} test files`);
const sqlite = await runTests(all, { TYIYM_TEST_ENGINE: undefined, TYIYM_TEST_PG_URL: undefined });
const sqliteSeconds = ((Date.now() - started) / 1000).toFixed(0);

let postgres = 0;
let postgresLine;
if (interrupted !== null) {
  postgresLine = `PostgreSQL suite skipped: interrupted by ${interrupted}`;
} else if (onPostgres.length === 0) {
  postgresLine = 'PostgreSQL suite skipped: none of these files touches storage';
} else {
  const missing = await postgresMissing();
  if (missing !== null) {
    postgresLine = `PostgreSQL suite skipped: no answer at ${redacted(ADMIN_URL)} (${missing}); set TYIYM_TEST_PG_ADMIN_URL to run it`;
  } else {
    const name = `tyiym_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    const pgStarted = Date.now();
    log(`# PostgreSQL: ${onPostgres.length} of ${all.length} test files touch storage, in database ${name}`);
    const created = await admin(`CREATE DATABASE ${name}`).then(
      () => null,
      (e) => e.message,
    );
    if (created !== null) {
      postgres = 1;
      postgresLine = `# PostgreSQL: FAILED: cannot create database ${name} at ${redacted(ADMIN_URL)}: ${created}`;
    } else {
      let dropped = false;
      try {
        if (interrupted === null)
          postgres = await runTests(onPostgres, { TYIYM_TEST_ENGINE: 'postgres', TYIYM_TEST_PG_URL: url.toString() });
      } finally {
        dropped = await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(
          () => true,
          (e) => {
            log(`# could not drop database ${name}: ${e.message}`);
            postgres ||= 1;
            return false;
          },
        );
      }
      const seconds = ((Date.now() - pgStarted) / 1000).toFixed(0);
      if (interrupted !== null) postgres ||= 1;
      const outcome = interrupted !== null ? `interrupted by ${interrupted}` : postgres === 0 ? 'passed' : 'FAILED';
      postgresLine = `# PostgreSQL: ${outcome} (${onPostgres.length} files, ${seconds} s; database ${name} ${dropped ? 'dropped' : 'NOT dropped'})`;
    }
  }
}

log(`# SQLite: ${sqlite === 0 ? 'passed' : 'FAILED'} (${all.length} files, ${sqliteSeconds} s)`);
log(postgresLine);
process.exitCode = sqlite !== 0 ? sqlite : postgres;
