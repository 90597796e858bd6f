import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENGINE, planTestDatabase, type TestDatabase } from './engine.js';

/** Runs the built CLI (bin/tyiym.js → dist/) as a child process in a temporary directory. */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_PATH = path.join(ROOT, 'bin', 'tyiym.js');
const DIST_MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');

/** Fails with a clear message when the CLI has not been built. */
export function assertBuilt(): void {
  if (!fs.existsSync(DIST_MAIN)) {
    throw new Error(`${DIST_MAIN} is missing: these tests run the built CLI; run \`npm run build\` first (npm test does).`);
  }
}

/** Environment variables the registry reads; children start without any inherited value of these. */
export const CONFIG_VARS = [
  'NODE_ENV',
  'TYIYM_ENV',
  'TYIYM_PEPPER',
  'DATABASE_URL',
  'HOST',
  'PORT',
  'RATE_LIMIT_PER_MINUTE',
  'LOG_LEVEL',
  'LENDER_CACHE_MS',
  'LIFT_DELAY',
  'LOAN_MAX_TERM_MONTHS',
  'LOAN_ALLOW_INDEFINITE',
  'EXEMPTION_MAX_HOURS',
  'PUBLIC_URL',
  'TRUST_PROXY',
  'DEV_IDP',
  'OIDC_ISSUER',
  'OIDC_CLIENT_ID',
  'OIDC_CLIENT_SECRET',
  'OIDC_IIN_CLAIM',
  'OIDC_API_AUDIENCE',
  'OIDC_API_CLIENTS',
  'OIDC_API_MAX_TOKEN_MINUTES',
  'SESSION_IDLE_MINUTES',
  'TYIYM_SESSION_SECRET',
  'LOG_ORIGIN',
  'TYIYM_LOG_KEY',
  'TYIYM_SECRETS_FILE',
  'REDIS_URL',
  'DATABASE_POOL_SIZE',
  'SESSION_ABSOLUTE_HOURS',
  // A child that is itself a node:test file would report to this run instead of running.
  'NODE_TEST_CONTEXT',
];

export type Env = Record<string, string | undefined>;

function childEnv(env: Env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CONFIG_VARS) delete out[name];
  // A child of the test runner must not think it is a test file itself.
  delete out.NODE_TEST_CONTEXT;
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** When the process exited (Date.now()). */
  exitedAt: number;
}

export interface RunOptions {
  cwd: string;
  env?: Env;
  timeoutMs?: number;
}

/** Each thread's scheduler state, kernel wait channel and CPU time, from /proc (Linux). */
function processState(pid: number): string {
  try {
    const tasks = fs.readdirSync(`/proc/${pid}/task`);
    return tasks
      .map((tid) => {
        const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const wchan = fs.readFileSync(`/proc/${pid}/task/${tid}/wchan`, 'utf8');
        return `${tid}:${fields[0]} wchan=${wchan || '-'} utime=${fields[11]} stime=${fields[12]}`;
      })
      .join('; ');
  } catch (e) {
    return `unreadable (${(e as Error).message})`;
  }
}

/** Runs `node bin/tyiym.js ...args` to completion. */
export function runCli(args: readonly string[], options: RunOptions): Promise<CliResult> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      cwd: options.cwd,
      env: childEnv(options.env ?? {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      // Where the process was, before it is killed: running, or asleep in the kernel (and on what).
      const state = child.pid === undefined ? 'no pid' : processState(child.pid);
      child.kill('SIGKILL');
      reject(
        new Error(
          `tyiym ${args.join(' ')} did not finish within ${timeoutMs} ms\nstate: ${state}\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      live.delete(child);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, signal, stdout, stderr, exitedAt: Date.now() });
    });
  });
}

/** A port that was free a moment ago (the kernel's choice for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves once the process has written output matching `pattern` to stdout. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL if it does not exit in time; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface ServeOptions extends RunOptions {
  /** 'serve' (default) or 'demo'. */
  command?: 'serve' | 'demo';
}

/**
 * Starts `tyiym serve --port P` (or `demo`) on a free port and waits until /healthz answers.
 * Works at any LOG_LEVEL, including silent. Retries on another port if the chosen one was taken.
 */
export async function startServer(options: ServeOptions): Promise<ServerProcess> {
  assertBuilt();
  let lastError: Error | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await startOn(port, options);
    } catch (e) {
      lastError = e as Error;
      if (!/EADDRINUSE/.test(lastError.message)) throw lastError;
    }
  }
  throw lastError ?? new Error('server did not start');
}

async function startOn(port: number, options: ServeOptions): Promise<ServerProcess> {
  const child = spawn(process.execPath, [CLI_PATH, options.command ?? 'serve', '--port', String(port)], {
    cwd: options.cwd,
    env: childEnv(options.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  const stdoutWaiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    for (const w of stdoutWaiters) w();
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      exitCode = code;
      live.delete(child);
      for (const w of stdoutWaiters) w();
      resolve(code);
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const describe = () => `\nexit code: ${exitCode}\nstdout:\n${stdout}\nstderr:\n${stderr}`;

  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    if (exitCode !== undefined) throw new Error(`the server exited before it was ready${describe()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server was not ready within the time allowed${describe()}`);
    }
    try {
      const res = await fetch(`${url}/healthz`);
      await res.arrayBuffer();
      // Make sure it is our process that answered, not another one that took the port.
      if (res.status === 200 && exitCode === undefined) break;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }

  let stopping: Promise<number | null> | null = null;
  return {
    child,
    port,
    url,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForStdout(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = stdout.match(pattern);
          if (m !== null) {
            done();
            resolve(m);
          } else if (exitCode !== undefined) {
            done();
            reject(new Error(`the server exited without printing ${pattern}${describe()}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`the server did not print ${pattern} in time${describe()}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          stdoutWaiters.delete(check);
        };
        stdoutWaiters.add(check);
        check();
      });
    },
    stop() {
      stopping ??= (async () => {
        if (exitCode !== undefined) return exitCode;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      })();
      return stopping;
    },
  };
}

/**
 * A temporary working directory with a registry in it (a SQLite file there, or on PostgreSQL a schema of its own
 * and the secrets file in the directory), and ways to run the CLI and the server there.
 */
export class Sandbox {
  readonly dir: string;
  /** The SQLite file (on PostgreSQL, a path where no file is). */
  readonly dbPath: string;
  readonly env: Env;
  private readonly servers: ServerProcess[] = [];
  private readonly database: TestDatabase | null;
  private readonly created: Promise<void>;

  constructor(options: { env?: Env; dbName?: string } = {}) {
    assertBuilt();
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tyiym-cli-'));
    this.dbPath = path.join(this.dir, options.dbName ?? 'registry.db');
    if (ENGINE === 'postgres') {
      const database = planTestDatabase(this.dir);
      this.database = database;
      this.created = database.create();
      // Awaited by ready(); a failure must not go unhandled before then.
      this.created.catch(() => undefined);
      this.env = {
        DATABASE_URL: database.url,
        TYIYM_SECRETS_FILE: path.join(this.dir, 'tyiym.secrets.json'),
        LOG_LEVEL: 'silent',
        ...options.env,
      };
    } else {
      this.database = null;
      this.created = Promise.resolve();
      this.env = { DATABASE_URL: `sqlite:${this.dbPath}`, LOG_LEVEL: 'silent', ...options.env };
    }
  }

  /** Resolves once the database `env` names exists; run(), json() and serve() wait for it themselves. */
  ready(): Promise<void> {
    return this.created;
  }

  get secretsPath(): string {
    if (this.env.TYIYM_SECRETS_FILE !== undefined) return path.resolve(this.dir, this.env.TYIYM_SECRETS_FILE);
    return path.join(path.dirname(this.dbPath), 'tyiym.secrets.json');
  }

  async run(args: readonly string[], env: Env = {}): Promise<CliResult> {
    await this.created;
    return runCli(args, { cwd: this.dir, env: { ...this.env, ...env } });
  }

  /** Runs a command that must succeed and print JSON; fails with its output otherwise. */
  async json<T = unknown>(args: readonly string[], env: Env = {}): Promise<T> {
    const r = await this.run([...args, '--json'], env);
    if (r.code !== 0) {
      throw new Error(`tyiym ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    }
    return JSON.parse(r.stdout) as T;
  }

  /** Registers a lender through the CLI and returns its id and API key. */
  addLender(name: string, bin: string, type: 'bank' | 'mfo'): Promise<LenderAdded> {
    return this.json<LenderAdded>(['lender', 'add', '--name', name, '--bin', bin, '--type', type]);
  }

  async serve(options: { env?: Env; command?: 'serve' | 'demo' } = {}): Promise<ServerProcess> {
    await this.created;
    const server = await startServer({ cwd: this.dir, env: { ...this.env, ...options.env }, command: options.command });
    this.servers.push(server);
    return server;
  }

  /** Stops every server started here, drops its database and removes the directory. */
  async cleanup(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
    if (this.database !== null) await this.created.then(() => this.database?.drop()).catch(() => undefined);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface HttpAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

/** POST /v1/checks with a lender's key. `body` may be a string to send malformed JSON as is. */
export async function postCheck(
  url: string,
  apiKey: string | null,
  body: unknown,
  headers: Record<string, string> = {},
  query = '',
): Promise<HttpAnswer> {
  const res = await fetch(`${url}/v1/checks${query}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(apiKey === null ? {} : { authorization: `Bearer ${apiKey}` }),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed };
}

/** The shapes printed by `--json` commands. */
export interface LenderAdded {
  id: string;
  apiKey: string;
}

export interface LenderJson {
  id: string;
  name: string;
  bin: string;
  type: string;
  status: string;
  keyPrefix: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface RestrictionJson {
  id: string;
  kind: string;
  status: string;
  version: number;
  lenderTypes: string[];
  channels: string[];
  startsAt: string;
  endsAt: string | null;
  lastDay: string | null;
  daysLeft: number | null;
  liftRequestedAt: string | null;
  liftEffectiveAt: string | null;
  exemptions: { lender: { id: string; name: string; bin: string; type: string }; startsAt: string; endsAt: string }[];
}

export interface HistoryJson {
  restrictionId: string;
  version: number;
  action: string;
  lenderTypes: string[];
  channels: string[];
  endsAt: string | null;
  liftEffectiveAt: string | null;
  exemption: { lenderId: string; endsAt: string } | null;
  actor: { kind: string; name?: string };
  at: string;
}

export interface CitizenCheckJson {
  checkId: string;
  lender: { id: string; name: string; bin: string; type: string };
  channel: string;
  reference: string;
  restricted: boolean;
  checkedAt: string;
}

export interface RecordJson {
  restriction: RestrictionJson | null;
  history: HistoryJson[];
  checks: CitizenCheckJson[];
  message?: string;
}

/** Runs `fn` over `items` with at most `limit` in flight at once. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
