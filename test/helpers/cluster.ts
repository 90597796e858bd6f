import { type Env, type ServerProcess, startServer } from './cli.js';

/**
 * Several `tyiym serve` processes on one store, each of which can be killed and started again on the
 * same store (on a new port). Every process started here is stopped by `stopAll`, killed if it will not
 * stop, so an `after` hook leaves nothing running even when the test failed half-way.
 */

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface NodeStart {
  /** The node's number in the cluster, from 0. */
  node: number;
  server: ServerProcess;
}

export class Cluster {
  private readonly current: (ServerProcess | null)[];
  private readonly started: ServerProcess[] = [];

  constructor(
    readonly size: number,
    private readonly cwd: string,
    private readonly env: Env,
    /** How long a start may take, /readyz included. */
    private readonly startTimeoutMs = 60_000,
  ) {
    this.current = Array.from({ length: size }, () => null);
  }

  /** The node's address now, or null while it is down. */
  url(node: number): string | null {
    return this.current[node]?.url ?? null;
  }

  server(node: number): ServerProcess | null {
    return this.current[node] ?? null;
  }

  /** Starts the node and waits until it answers /readyz (its store answers), not merely /healthz. */
  async start(node: number): Promise<ServerProcess> {
    if (this.current[node] !== null) throw new Error(`node ${node} is already running`);
    const server = await startServer({ cwd: this.cwd, env: this.env, timeoutMs: this.startTimeoutMs });
    this.started.push(server);
    const deadline = Date.now() + this.startTimeoutMs;
    for (;;) {
      try {
        const res = await fetch(`${server.url}/readyz`);
        await res.arrayBuffer();
        if (res.status === 200) break;
      } catch {
        // not ready yet
      }
      if (Date.now() > deadline) {
        server.child.kill('SIGKILL');
        throw new Error(`node ${node} answered /healthz but not /readyz\nstdout: ${server.stdout()}\nstderr: ${server.stderr()}`);
      }
      await sleep(50);
    }
    this.current[node] = server;
    return server;
  }

  startAll(): Promise<ServerProcess[]> {
    return Promise.all(Array.from({ length: this.size }, (_, i) => this.start(i)));
  }

  /** SIGKILL: no shutdown, no flushing; resolves once the process is gone, with the signal that ended it. */
  async kill(node: number): Promise<NodeJS.Signals | null> {
    const server = this.current[node];
    if (server === null || server === undefined) throw new Error(`node ${node} is not running`);
    this.current[node] = null;
    const { child } = server;
    if (child.exitCode !== null || child.signalCode !== null) return child.signalCode;
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGKILL');
    return exited;
  }

  /** Stops every node gracefully (SIGTERM), killing any that does not exit within ten seconds. */
  async stopAll(): Promise<(number | null)[]> {
    this.current.fill(null);
    return Promise.all(this.started.map((s) => s.stop()));
  }

  /** What each process ever started here wrote, for a failure's message. */
  output(): string {
    return this.started.map((s, i) => `--- process ${i} (${s.url})\nstdout:\n${s.stdout()}\nstderr:\n${s.stderr()}`).join('\n');
  }
}

export interface JsonAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
  text: string;
}

/** One HTTP request with a JSON body (or none); rejects only when no answer came (refused, reset, timed out). */
export async function requestJson<T = Record<string, unknown>>(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: unknown; timeoutMs?: number } = {},
): Promise<JsonAnswer<T>> {
  const res = await fetch(url, {
    method: options.method ?? 'GET',
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 20_000),
  });
  const text = await res.text();
  let body: T;
  try {
    body = JSON.parse(text) as T;
  } catch {
    body = { raw: text } as T;
  }
  return { status: res.status, body, text };
}
