import pg from 'pg';
import type { LogTamper } from './raw-store.js';

/** A client on the schema a registry's DATABASE_URL names (its `options` carry the search_path). */
export async function connectTo(url: string): Promise<pg.Client> {
  const parsed = new URL(url);
  const options = parsed.searchParams.get('options') ?? undefined;
  parsed.searchParams.delete('options');
  const client = new pg.Client({ connectionString: parsed.toString(), options });
  await client.connect();
  return client;
}

/**
 * Changes a PostgreSQL registry's stored log behind the store's back, as SqliteTamper does to a SQLite file: the
 * same raw edits, in SQL. With it, the only test code that writes to a database directly.
 */
export class PgTamper implements LogTamper {
  private constructor(private readonly db: pg.Client) {}

  static async open(url: string): Promise<PgTamper> {
    return new PgTamper(await connectTo(url));
  }

  private async one<T>(sql: string, params: unknown[] = []): Promise<T> {
    const row = (await this.db.query(sql, params)).rows[0] as T | undefined;
    if (row === undefined) throw new Error(`no row for: ${sql}`);
    return row;
  }

  async close(): Promise<void> {
    await this.db.end();
  }

  async entry(idx: number): Promise<Buffer> {
    return (await this.one<{ data: Buffer }>('SELECT data FROM log_entries WHERE idx = $1', [idx])).data;
  }

  async setEntry(idx: number, data: Buffer): Promise<void> {
    await this.db.query('UPDATE log_entries SET data = $1 WHERE idx = $2', [data, idx]);
  }

  async lastEntry(): Promise<{ idx: number; data: Buffer }> {
    const r = await this.one<{ idx: string; data: Buffer }>('SELECT idx, data FROM log_entries ORDER BY idx DESC LIMIT 1');
    return { idx: Number(r.idx), data: r.data };
  }

  async deleteEntry(idx: number): Promise<void> {
    await this.db.query('DELETE FROM log_entries WHERE idx = $1', [idx]);
  }

  async insertEntry(idx: number, data: Buffer): Promise<void> {
    await this.db.query('INSERT INTO log_entries (idx, data) VALUES ($1, $2)', [idx, data]);
  }

  async secondCheckpoint(): Promise<{ size: number; note: string }> {
    const r = await this.one<{ size: string; note: string }>(
      'SELECT size, note FROM log_checkpoints ORDER BY size LIMIT 1 OFFSET 1',
    );
    return { size: Number(r.size), note: r.note };
  }

  async setCheckpointNote(size: number, note: string): Promise<void> {
    await this.db.query('UPDATE log_checkpoints SET note = $1 WHERE size = $2', [note, size]);
  }

  async levelTwoNode(): Promise<{ level: number; idx: number; hash: Buffer }> {
    const r = await this.one<{ level: number; idx: string; hash: Buffer }>(
      'SELECT level, idx, hash FROM log_nodes WHERE level = 2 ORDER BY idx LIMIT 1',
    );
    return { level: r.level, idx: Number(r.idx), hash: r.hash };
  }

  async setNodeHash(level: number, idx: number, hash: Buffer): Promise<void> {
    await this.db.query('UPDATE log_nodes SET hash = $1 WHERE level = $2 AND idx = $3', [hash, level, idx]);
  }

  async rightEdge(): Promise<Buffer> {
    return (await this.one<{ right_edge: Buffer }>('SELECT right_edge FROM log_state')).right_edge;
  }

  async setRightEdge(edge: Buffer): Promise<void> {
    await this.db.query('UPDATE log_state SET right_edge = $1', [edge]);
  }
}

/**
 * Every row of every table in the registry's schema, as the bytes a search for personal data must cover: bytea
 * values as stored, every other value as its text (UTF-8), so a number is found by its digits.
 */
export async function dumpTables(url: string): Promise<{ name: string; bytes: Buffer }[]> {
  const db = await connectTo(url);
  try {
    const tables = (
      await db.query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables
          WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
      )
    ).rows.map((r) => r.name);
    if (tables.length === 0) throw new Error('the schema DATABASE_URL names holds no table');
    const out: { name: string; bytes: Buffer }[] = [];
    for (const name of tables) {
      // Every value as text or bytea, whatever its type: a timestamp, a number and a JSON value alike.
      const { rows } = await db.query({ text: `SELECT * FROM "${name}"`, rowMode: 'array' });
      const parts: Buffer[] = [];
      for (const row of rows as unknown[][])
        for (const v of row) {
          if (v === null) continue;
          parts.push(
            Buffer.isBuffer(v)
              ? v
              : Buffer.from(v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v), 'utf8'),
            Buffer.from([0]),
          );
        }
      out.push({ name: `table ${name}`, bytes: Buffer.concat(parts) });
    }
    return out;
  } finally {
    await db.end();
  }
}
