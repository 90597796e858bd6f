interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Groups the writes of every request that arrived in one event-loop tick into one
 * transaction. Each caller's promise settles only after that transaction has committed
 * (or failed), so nothing is acknowledged before it is durable, and one flush to disk
 * carries the whole batch. A failed commit rejects every write in it.
 */
export class GroupCommit<T> {
  private queue: Pending<T>[] = [];
  private scheduled = false;
  private running: Promise<void> | null = null;

  constructor(
    private readonly commit: (items: T[]) => Promise<void>,
    private readonly maxBatch = 4096,
  ) {}

  enqueue(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once everything enqueued so far has been committed or has failed. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.running !== null || this.scheduled) {
      if (this.running) await this.running;
      else await new Promise<void>((r) => setImmediate(r));
    }
  }

  private schedule(): void {
    if (this.scheduled || this.running !== null) return;
    this.scheduled = true;
    // setImmediate runs after the I/O callbacks of this tick, so every request read in it joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.running = this.flush().finally(() => {
        this.running = null;
        if (this.queue.length > 0) this.schedule();
      });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    try {
      await this.commit(batch.map((p) => p.item));
    } catch (e) {
      for (const p of batch) p.reject(e);
      return;
    }
    for (const p of batch) p.resolve();
  }
}
