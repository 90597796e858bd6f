/**
 * A lender's requests counted in fixed windows, in the store, so that every node shares one count. A bucket
 * names the route and the lender; a window is identified by the instant it starts.
 */
export interface RateLimitRepository {
  /** Counts one request in the bucket's window that starts at `windowStart`; returns the window's count, this one included. */
  increment(bucket: string, windowStart: Date): Promise<number>;
  /** Forgets the windows that started before `before`; returns how many. */
  purge(before: Date): Promise<number>;
}
