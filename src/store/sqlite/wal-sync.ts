import fs from 'node:fs';

/**
 * Durability equal to synchronous=FULL without stalling the event loop. SQLite runs with
 * synchronous=NORMAL, which writes each commit's frames to the WAL but does not fsync them;
 * every write path then fsyncs the WAL file itself, on libuv's thread pool, and only then
 * resolves. fsync flushes every frame written to the file before it, so when the promise
 * resolves the commit is as durable as FULL would have made it, while the event loop goes on
 * reading and deciding the next batch of checks. NORMAL still syncs the WAL before each
 * checkpoint and the database after it, so checkpoints are as safe as with FULL.
 */
export class WalSync {
  private fd: number | null = null;
  private ino = -1;

  constructor(private readonly walPath: string) {}

  async sync(): Promise<void> {
    // The WAL keeps its inode while a connection is open; check anyway, so a replaced file is never missed.
    const ino = fs.statSync(this.walPath).ino;
    if (this.fd === null || ino !== this.ino) {
      if (this.fd !== null) fs.closeSync(this.fd);
      this.fd = fs.openSync(this.walPath, 'r');
      this.ino = ino;
    }
    const fd = this.fd;
    await new Promise<void>((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
