import type pg from 'pg';
import type { LogRepository } from '../../log/log.repository.js';
import type { NodeId, TreeState } from '../../log/merkle.js';
import { type LogAppend, type LogSigner, planAppend } from '../../log/sequencer.js';
import { inTransaction, type Queryable, type Statement } from './pg-db.js';

/** The tree's state as read under the tree-state lock, with the latest logged instant. */
export interface LockedState extends TreeState {
  lastAt: Date;
}

function edgeOf(edge: Buffer): Buffer[] {
  const rightEdge: Buffer[] = [];
  for (let i = 0; i < edge.length; i += 32) rightEdge.push(edge.subarray(i, i + 32));
  return rightEdge;
}

const LOCK_STATE = 'SELECT size, right_edge, last_at FROM log_state WHERE id = 1 FOR UPDATE';

function toLocked(r: Record<string, unknown>): LockedState {
  return { size: r.size as number, rightEdge: edgeOf(r.right_edge as Buffer), lastAt: r.last_at as Date };
}

/** The transparency log's tables: written inside the registry's transactions, read for proofs and tiles. */
export class PgLog implements LogRepository {
  /** During snapshot(): the connection whose repeatable-read transaction every read goes through. */
  private reader: pg.PoolClient | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly signer: LogSigner | null,
  ) {}

  private get db(): Queryable {
    return this.reader ?? this.pool;
  }

  /**
   * Runs `body` in a transaction that first takes the tree-state lock and reads the state (sent with BEGIN, in one
   * round trip). Every write to the log, from any node, takes this row lock first, so changes and checks are
   * decided and logged one transaction after another.
   */
  locked<T>(body: (client: pg.PoolClient, state: LockedState) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, (client, rows) => body(client, toLocked(rows[0] as Record<string, unknown>)), LOCK_STATE);
  }

  /** Takes the tree-state lock inside a transaction already open (bulk loading, many batches in one). */
  async lock(client: pg.PoolClient): Promise<LockedState> {
    return toLocked((await client.query(LOCK_STATE)).rows[0]);
  }

  /** The batch's place in the tree, computed under the lock; throws when the log has no signing key. */
  plan(state: TreeState, entries: readonly Buffer[]): LogAppend {
    if (this.signer === null) throw new Error('The transparency log has no signing key; nothing can be recorded.');
    return planAppend(state, entries, this.signer);
  }

  /** Adds the batch's log writes to a statement that the caller sends in its transaction. */
  write(statement: Statement, append: LogAppend, at: Date): void {
    const s = statement;
    const { firstIndex, entries, nodes, state, checkpoint } = append;
    if (entries.length === 0) return;
    s.with(
      'log_e',
      `INSERT INTO log_entries (idx, data) SELECT * FROM unnest(${s.p(entries.map((_, i) => firstIndex + i))}::bigint[], ${s.p(entries)}::bytea[])`,
    );
    if (nodes.length > 0)
      s.with(
        'log_n',
        `INSERT INTO log_nodes (level, idx, hash) SELECT * FROM unnest(${s.p(nodes.map((n) => n.level))}::smallint[],
           ${s.p(nodes.map((n) => n.index))}::bigint[], ${s.p(nodes.map((n) => n.hash))}::bytea[])`,
      );
    s.with(
      'log_c',
      `INSERT INTO log_checkpoints (size, note, signed_at) VALUES (${s.p(state.size)}, ${s.p(checkpoint)}, ${s.p(at)})`,
    );
    s.with(
      'log_s',
      `UPDATE log_state SET size = ${s.p(state.size)}, right_edge = ${s.p(Buffer.concat(state.rightEdge as Buffer[]))},
         checkpoint = ${s.p(checkpoint)}, last_at = GREATEST(last_at, ${s.p(at)}) WHERE id = 1`,
    );
  }

  async head(): Promise<{ size: number; checkpoint: string | null }> {
    const r = (await this.db.query('SELECT size, checkpoint FROM log_state WHERE id = 1')).rows[0];
    return { size: r.size, checkpoint: r.checkpoint ?? null };
  }

  async hashes(ids: readonly NodeId[]): Promise<Buffer[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.db.query(
      `SELECT n.hash FROM unnest($1::smallint[], $2::bigint[]) WITH ORDINALITY AS want (level, idx, ord)
         LEFT JOIN log_nodes n ON n.level = want.level AND n.idx = want.idx ORDER BY want.ord`,
      [ids.map((i) => i.level), ids.map((i) => i.index)],
    );
    return rows.map((r, k) => {
      const id = ids[k] as NodeId;
      if (r.hash === null) throw new Error(`log node ${id.level}/${id.index} is not stored`);
      return r.hash as Buffer;
    });
  }

  async entries(start: number, end: number): Promise<Buffer[]> {
    const { rows } = await this.db.query('SELECT data FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx', [start, end]);
    return rows.map((r) => r.data as Buffer);
  }

  async checkpoints(): Promise<{ size: number; note: string }[]> {
    const { rows } = await this.db.query('SELECT size, note FROM log_checkpoints ORDER BY size');
    return rows.map((r) => ({ size: r.size, note: r.note }));
  }

  async state(): Promise<{ size: number; rightEdge: Buffer[]; checkpoint: string | null }> {
    const r = (await this.db.query('SELECT size, right_edge, checkpoint FROM log_state WHERE id = 1')).rows[0];
    return { size: r.size, rightEdge: edgeOf(r.right_edge), checkpoint: r.checkpoint ?? null };
  }

  async nodeRange(level: number, start: number, end: number): Promise<{ index: number; hash: Buffer }[]> {
    const { rows } = await this.db.query(
      'SELECT idx, hash FROM log_nodes WHERE level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx',
      [level, start, end],
    );
    return rows.map((r) => ({ index: r.idx, hash: r.hash }));
  }

  async counts(): Promise<{ entries: number; nodes: number }> {
    const r = (
      await this.db.query('SELECT (SELECT count(*) FROM log_entries) AS entries, (SELECT count(*) FROM log_nodes) AS nodes')
    ).rows[0];
    return { entries: r.entries, nodes: r.nodes };
  }

  async snapshot<T>(body: () => Promise<T>): Promise<T> {
    if (this.reader !== null) throw new Error('A log snapshot cannot be taken inside another one.');
    const client = await this.pool.connect();
    // Repeatable read: every read of the audit sees the database as of its first one, whatever is appended meanwhile.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    this.reader = client;
    try {
      return await body();
    } finally {
      this.reader = null;
      await client.query('COMMIT').catch(() => undefined);
      client.release();
    }
  }
}
