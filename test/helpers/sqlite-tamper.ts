import Database from 'better-sqlite3';
import type { LogTamper } from './raw-store.js';

/**
 * Changes a SQLite registry's stored log behind the store's back, so a test can prove that verification catches
 * it. With its PostgreSQL twin (pg-tamper.ts), the only test code that writes to a database directly.
 */
export class SqliteTamper implements LogTamper {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file);
  }

  async close(): Promise<void> {
    this.db.close();
  }

  async entry(idx: number): Promise<Buffer> {
    return this.db.prepare('SELECT data FROM log_entries WHERE idx = ?').pluck().get(idx) as Buffer;
  }

  async setEntry(idx: number, data: Buffer): Promise<void> {
    this.db.prepare('UPDATE log_entries SET data = ? WHERE idx = ?').run(data, idx);
  }

  async lastEntry(): Promise<{ idx: number; data: Buffer }> {
    return this.db.prepare('SELECT idx, data FROM log_entries ORDER BY idx DESC LIMIT 1').get() as { idx: number; data: Buffer };
  }

  async deleteEntry(idx: number): Promise<void> {
    this.db.prepare('DELETE FROM log_entries WHERE idx = ?').run(idx);
  }

  async insertEntry(idx: number, data: Buffer): Promise<void> {
    this.db.prepare('INSERT INTO log_entries (idx, data) VALUES (?, ?)').run(idx, data);
  }

  async secondCheckpoint(): Promise<{ size: number; note: string }> {
    return this.db.prepare('SELECT size, note FROM log_checkpoints ORDER BY size LIMIT 1 OFFSET 1').get() as {
      size: number;
      note: string;
    };
  }

  async setCheckpointNote(size: number, note: string): Promise<void> {
    this.db.prepare('UPDATE log_checkpoints SET note = ? WHERE size = ?').run(note, size);
  }

  async levelTwoNode(): Promise<{ level: number; idx: number; hash: Buffer }> {
    return this.db.prepare('SELECT level, idx, hash FROM log_nodes WHERE level = 2').get() as {
      level: number;
      idx: number;
      hash: Buffer;
    };
  }

  async setNodeHash(level: number, idx: number, hash: Buffer): Promise<void> {
    this.db.prepare('UPDATE log_nodes SET hash = ? WHERE level = ? AND idx = ?').run(hash, level, idx);
  }

  async rightEdge(): Promise<Buffer> {
    return (this.db.prepare('SELECT right_edge FROM log_state').get() as { right_edge: Buffer }).right_edge;
  }

  async setRightEdge(edge: Buffer): Promise<void> {
    this.db.prepare('UPDATE log_state SET right_edge = ?').run(edge);
  }
}
