import Database from 'better-sqlite3';

/**
 * Changes a SQLite registry's stored log behind the store's back, so a test can prove that
 * verification catches it. The only place tests write to a database file directly; an engine
 * other than SQLite gets a twin of this beside it.
 */
export class SqliteTamper {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file);
  }

  close(): void {
    this.db.close();
  }

  entry(idx: number): Buffer {
    return this.db.prepare('SELECT data FROM log_entries WHERE idx = ?').pluck().get(idx) as Buffer;
  }

  setEntry(idx: number, data: Buffer): void {
    this.db.prepare('UPDATE log_entries SET data = ? WHERE idx = ?').run(data, idx);
  }

  lastEntry(): { idx: number; data: Buffer } {
    return this.db.prepare('SELECT idx, data FROM log_entries ORDER BY idx DESC LIMIT 1').get() as { idx: number; data: Buffer };
  }

  deleteEntry(idx: number): void {
    this.db.prepare('DELETE FROM log_entries WHERE idx = ?').run(idx);
  }

  insertEntry(idx: number, data: Buffer): void {
    this.db.prepare('INSERT INTO log_entries (idx, data) VALUES (?, ?)').run(idx, data);
  }

  /** The second checkpoint signed, by size. */
  secondCheckpoint(): { size: number; note: string } {
    return this.db.prepare('SELECT size, note FROM log_checkpoints ORDER BY size LIMIT 1 OFFSET 1').get() as {
      size: number;
      note: string;
    };
  }

  setCheckpointNote(size: number, note: string): void {
    this.db.prepare('UPDATE log_checkpoints SET note = ? WHERE size = ?').run(note, size);
  }

  /** A stored node of the Merkle tree at level 2. */
  levelTwoNode(): { level: number; idx: number; hash: Buffer } {
    return this.db.prepare('SELECT level, idx, hash FROM log_nodes WHERE level = 2').get() as {
      level: number;
      idx: number;
      hash: Buffer;
    };
  }

  setNodeHash(level: number, idx: number, hash: Buffer): void {
    this.db.prepare('UPDATE log_nodes SET hash = ? WHERE level = ? AND idx = ?').run(hash, level, idx);
  }

  rightEdge(): Buffer {
    return (this.db.prepare('SELECT right_edge FROM log_state').get() as { right_edge: Buffer }).right_edge;
  }

  setRightEdge(edge: Buffer): void {
    this.db.prepare('UPDATE log_state SET right_edge = ?').run(edge);
  }
}
