import pg from 'pg';

/** int8 as a JavaScript number: log positions and counts stay far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * A pool of connections to one PostgreSQL database. Every connection commits synchronously (the WAL is flushed
 * before COMMIT returns), whatever the server's default, since an acknowledged check must survive a crash.
 */
export function openPool(url: string, max = 10): pg.Pool {
  // Options given in the URL (a search_path, say) are kept and ours added; the driver would let the URL's win.
  const parsed = new URL(url);
  const given = parsed.searchParams.get('options');
  parsed.searchParams.delete('options');
  const options = [given, '-c synchronous_commit=on'].filter((o) => o).join(' ');
  const pool = new pg.Pool({ connectionString: parsed.toString(), max, types, options });
  // An idle connection that the server drops must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

export type Queryable = pg.Pool | pg.PoolClient;

/**
 * Runs `body` in one transaction on one connection; rolls back if it throws. `first`, a statement without
 * parameters, is sent with BEGIN in one round trip, and its rows are given to `body`.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  body: (client: pg.PoolClient, firstRows: Record<string, unknown>[]) => Promise<T>,
  first?: string,
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    let firstRows: Record<string, unknown>[] = [];
    if (first === undefined) await client.query('BEGIN');
    else {
      const results = (await client.query(`BEGIN; ${first}`)) as unknown as pg.QueryResult[];
      firstRows = results[1]?.rows ?? [];
    }
    const result = await body(client, firstRows);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    // A connection that cannot even roll back is dropped rather than returned to the pool.
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw e;
  } finally {
    client.release(broken);
  }
}

/** The SQLSTATE of a failed query. */
export const sqlState = (e: unknown): string | undefined => (e as { code?: string }).code;
export const UNIQUE_VIOLATION = '23505';

/**
 * One statement built from several data-modifying parts (WITH a AS (INSERT …), b AS (…) SELECT …), so that a
 * batch's writes reach the server in one round trip. Parameters are numbered as they are added.
 */
export class Statement {
  readonly params: unknown[] = [];
  private readonly parts: string[] = [];

  /** A parameter placeholder for `value`. */
  p(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  /** Adds a data-modifying part under `name`. */
  with(name: string, sql: string): this {
    this.parts.push(`${name} AS (${sql})`);
    return this;
  }

  get empty(): boolean {
    return this.parts.length === 0;
  }

  /** The whole statement, ending in `select` (which may read the parts' RETURNING rows). */
  text(select = 'SELECT 1'): string {
    return this.parts.length === 0 ? select : `WITH ${this.parts.join(',\n')}\n${select}`;
  }
}
