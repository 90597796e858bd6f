/** Thrown instead of trying a source again before its back-off has passed; `cause` is its last failure. */
export class BackingOff extends Error {
  override name = 'BackingOff';
  constructor(
    readonly retryAfterMs: number,
    options: { cause?: unknown },
  ) {
    super(`not tried again for another ${Math.ceil(retryAfterMs / 1000)} s after a failure`, options);
  }
}

export interface BackoffOptions {
  /** The wait after the first failure; it doubles with each failure in a row. */
  initialMs?: number;
  maxMs?: number;
  now?: () => number;
}

/**
 * Exponential back-off for a remote source (1 s, 2 s, 4 s … up to a minute): while it is down,
 * callers fail at once instead of each waiting for the same timeout and adding to the load.
 */
export class Backoff {
  private failures = 0;
  private until = 0;
  private lastFailure: unknown = null;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly now: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 1_000;
    this.maxMs = options.maxMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** How long the source must still be left alone, in milliseconds; 0 when it may be tried. */
  waitMs(): number {
    return Math.max(0, this.until - this.now());
  }

  /** Throws BackingOff while the source must be left alone. */
  check(): void {
    const wait = this.waitMs();
    if (wait > 0) throw new BackingOff(wait, { cause: this.lastFailure });
  }

  failed(e: unknown): void {
    this.failures++;
    this.lastFailure = e;
    this.until = this.now() + Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.failures - 1, 30));
  }

  succeeded(): void {
    this.failures = 0;
    this.until = 0;
    this.lastFailure = null;
  }
}

/**
 * A value loaded on first use and then kept (an identity provider's discovery document): callers
 * at the same moment share one attempt, and after a failure no new attempt starts until the
 * back-off has passed.
 */
export function keptWithBackoff<T>(load: () => Promise<T>, backoff = new Backoff()): () => Promise<T> {
  let kept: Promise<T> | null = null;
  return () => {
    if (kept !== null) return kept;
    try {
      backoff.check();
    } catch (e) {
      return Promise.reject(e);
    }
    const attempt = load().then(
      (value) => {
        backoff.succeeded();
        return value;
      },
      (e: unknown) => {
        backoff.failed(e);
        if (kept === attempt) kept = null;
        throw e;
      },
    );
    kept = attempt;
    return attempt;
  };
}
