interface Pending<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (e: unknown) => void;
}

/**
 * Groups the writes of every request that arrived in one event-loop tick into one
 * transaction. Each caller's promise settles only after that transaction is durable (or has
 * failed), so nothing is acknowledged before it is on disk, and one flush to disk carries the
 * whole batch. A failed commit is retried in halves, down to single items, so one item that
 * cannot be written fails its own caller alone and every other write in its batch still lands.
 * (A failed commit wrote nothing, so retrying cannot record anything twice.)
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
    void this.run(batch).then(() => this.finish());
    if (this.queue.length > 0) this.schedule();
  }

  /** Commits a batch, settling every caller; on failure, each half is tried on its own. */
  private async run(batch: Pending<T, R>[]): Promise<void> {
    let results: R[];
    try {
      results = await this.commit(batch.map((p) => p.item));
    } catch (e) {
      if (batch.length === 1) {
        batch[0]?.reject(e ?? new Error('commit failed'));
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await this.run(batch.slice(0, half));
      await this.run(batch.slice(half));
      return;
    }
    batch.forEach((p, i) => {
      p.resolve(results[i] as R);
    });
  }

  private finish(): void {
    this.inFlight--;
    if (this.queue.length > 0) this.schedule();
    else this.settleIdle();
  }

  private settleIdle(): void {
    if (this.queue.length > 0 || this.inFlight > 0 || this.scheduled) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}
