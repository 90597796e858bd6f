interface Pending<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (e: unknown) => void;
}

/**
 * Groups the writes of every request that arrived in one event-loop tick into one
 * transaction. Each caller's promise settles only after that transaction is durable (or has
 * failed), so nothing is acknowledged before it is on disk, and one flush to disk carries the
 * whole batch. A failed commit rejects every write in it.
 *
 * Up to `maxInFlight` batches may be committing at once: while one waits for its flush to
 * disk, the next tick's batch is already written, so the event loop never idles on the disk.
 */
export class GroupCommit<T, R = void> {
  private queue: Pending<T, R>[] = [];
  private scheduled = false;
  private inFlight = 0;
  private idle: (() => void)[] = [];

  constructor(
    /** Commits a batch and returns one result per item, in order. */
    private readonly commit: (items: T[]) => Promise<R[]>,
    private readonly options: { maxBatch?: number; maxInFlight?: number } = {},
  ) {}

  enqueue(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once everything enqueued so far has been committed or has failed. */
  drain(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= (this.options.maxInFlight ?? 1)) return;
    this.scheduled = true;
    // setImmediate runs after the I/O callbacks of this tick, so every request read in it joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const batch = this.queue.splice(0, this.options.maxBatch ?? 4096);
    if (batch.length === 0) {
      this.settleIdle();
      return;
    }
    this.inFlight++;
    let committed: Promise<R[]>;
    try {
      committed = this.commit(batch.map((p) => p.item));
    } catch (e) {
      committed = Promise.reject(e);
    }
    committed.then(
      (results) => this.finish(batch, null, results),
      (e: unknown) => this.finish(batch, e ?? new Error('commit failed'), []),
    );
    if (this.queue.length > 0) this.schedule();
  }

  private finish(batch: Pending<T, R>[], error: unknown, results: R[]): void {
    this.inFlight--;
    batch.forEach((p, i) => {
      if (error === null) p.resolve(results[i] as R);
      else p.reject(error);
    });
    if (this.queue.length > 0) this.schedule();
    else this.settleIdle();
  }

  private settleIdle(): void {
    if (this.queue.length > 0 || this.inFlight > 0 || this.scheduled) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}
