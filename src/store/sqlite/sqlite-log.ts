import type Database from 'better-sqlite3';
import type { LogRepository } from '../../log/log.repository.js';
import type { NodeId, StoredNode, TreeState } from '../../log/merkle.js';
import { integrate, type LogSigner, type LogTx, type Receipt } from '../../log/sequencer.js';
import type { Row } from './rows.js';

/** The transparency log's tables: written inside the registry's transactions, read for proofs and tiles. */
export class SqliteLog implements LogRepository, LogTx {
  private readonly stateStmt: Database.Statement;
  private readonly writeStateStmt: Database.Statement;
  private readonly entryStmt: Database.Statement;
  private readonly nodeStmt: Database.Statement;
  private readonly checkpointStmt: Database.Statement;
  private readonly hashStmt: Database.Statement;
  private readonly lastAtStmt: Database.Statement;
  private readonly writeLastAtStmt: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly signer: LogSigner | null,
  ) {
    this.stateStmt = db.prepare('SELECT size, right_edge, checkpoint FROM log_state WHERE id = 1');
    this.writeStateStmt = db.prepare('UPDATE log_state SET size = ?, right_edge = ?, checkpoint = ? WHERE id = 1');
    this.entryStmt = db.prepare('INSERT INTO log_entries (idx, data) VALUES (?, ?)');
    this.nodeStmt = db.prepare('INSERT INTO log_nodes (level, idx, hash) VALUES (?, ?, ?)');
    this.checkpointStmt = db.prepare('INSERT INTO log_checkpoints (size, note, signed_at) VALUES (?, ?, ?)');
    this.hashStmt = db.prepare('SELECT hash FROM log_nodes WHERE level = ? AND idx = ?').pluck();
    this.lastAtStmt = db.prepare('SELECT last_at FROM log_state WHERE id = 1').pluck();
    this.writeLastAtStmt = db.prepare('UPDATE log_state SET last_at = max(last_at, ?) WHERE id = 1');
  }

  /** Inside a write transaction only. */
  integrate(entries: Parameters<typeof integrate>[1], at: Date): Receipt[] {
    if (this.signer === null) throw new Error('The transparency log has no signing key; nothing can be recorded.');
    const receipts = integrate(this, entries, this.signer, at);
    if (receipts.length > 0) this.writeLastAtStmt.run(at.getTime());
    return receipts;
  }

  /**
   * The instant for entries logged now: the clock's, or the latest logged instant when the clock is behind it
   * (another process's clock, or a clock set back), so the log's instants never go backwards. Inside a write
   * transaction only, so no other writer can log in between.
   */
  instantFrom(now: Date): Date {
    const last = this.lastInstant();
    return now.getTime() >= last.getTime() ? now : last;
  }

  /** The instant of the latest logged entry (the epoch for an empty log). */
  lastInstant(): Date {
    return new Date(this.lastAtStmt.get() as number);
  }

  readState(): TreeState {
    const r = this.stateStmt.get() as Row;
    const edge = r.right_edge as Buffer;
    const rightEdge: Buffer[] = [];
    for (let i = 0; i < edge.length; i += 32) rightEdge.push(edge.subarray(i, i + 32));
    return { size: r.size as number, rightEdge };
  }

  writeState(state: TreeState, checkpoint: string): void {
    this.writeStateStmt.run(state.size, Buffer.concat(state.rightEdge as Buffer[]), checkpoint);
  }

  putEntries(firstIndex: number, entries: readonly Buffer[]): void {
    entries.forEach((e, i) => {
      this.entryStmt.run(firstIndex + i, e);
    });
  }

  putNodes(nodes: readonly StoredNode[]): void {
    for (const n of nodes) this.nodeStmt.run(n.level, n.index, n.hash);
  }

  saveCheckpoint(size: number, note: string, at: Date): void {
    this.checkpointStmt.run(size, note, at.getTime());
  }

  async head(): Promise<{ size: number; checkpoint: string | null }> {
    const r = this.stateStmt.get() as Row;
    return { size: r.size as number, checkpoint: (r.checkpoint as string | null) ?? null };
  }

  async hashes(ids: readonly NodeId[]): Promise<Buffer[]> {
    return ids.map((id) => {
      const h = this.hashStmt.get(id.level, id.index) as Buffer | undefined;
      if (h === undefined) throw new Error(`log node ${id.level}/${id.index} is not stored`);
      return h;
    });
  }

  async entries(start: number, end: number): Promise<Buffer[]> {
    return this.db
      .prepare('SELECT data FROM log_entries WHERE idx >= ? AND idx < ? ORDER BY idx')
      .pluck()
      .all(start, end) as Buffer[];
  }

  async checkpoints(): Promise<{ size: number; note: string }[]> {
    return this.db.prepare('SELECT size, note FROM log_checkpoints ORDER BY size').all() as { size: number; note: string }[];
  }

  async state(): Promise<{ size: number; rightEdge: Buffer[]; checkpoint: string | null }> {
    const r = this.stateStmt.get() as Row;
    const edge = r.right_edge as Buffer;
    const rightEdge: Buffer[] = [];
    for (let i = 0; i < edge.length; i += 32) rightEdge.push(edge.subarray(i, i + 32));
    return { size: r.size as number, rightEdge, checkpoint: (r.checkpoint as string | null) ?? null };
  }

  async nodeRange(level: number, start: number, end: number): Promise<{ index: number; hash: Buffer }[]> {
    return this.db
      .prepare('SELECT idx AS "index", hash FROM log_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx')
      .all(level, start, end) as { index: number; hash: Buffer }[];
  }

  async counts(): Promise<{ entries: number; nodes: number }> {
    const r = this.db
      .prepare('SELECT (SELECT count(*) FROM log_entries) AS entries, (SELECT count(*) FROM log_nodes) AS nodes')
      .get() as { entries: number; nodes: number };
    return { entries: r.entries, nodes: r.nodes };
  }

  async snapshot<T>(body: () => Promise<T>): Promise<T> {
    if (this.db.inTransaction) throw new Error('A log snapshot cannot be taken inside another transaction.');
    // In WAL mode a read transaction sees the database as of its first read, until it ends.
    this.db.exec('BEGIN DEFERRED');
    try {
      this.stateStmt.get();
      return await body();
    } finally {
      if (this.db.inTransaction) this.db.exec('COMMIT');
    }
  }
}
