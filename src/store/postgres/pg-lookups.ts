import type pg from 'pg';
import type { CitizenKey } from '../../identity/citizen-key.js';
import type { Lookup, LookupRepository } from '../../registry/lookup.js';

export class PgLookups implements LookupRepository {
  constructor(private readonly pool: pg.Pool) {}

  async record(l: Lookup): Promise<void> {
    await this.pool.query('INSERT INTO operator_lookups (operator, citizen_key, purpose, at) VALUES ($1, $2, $3, $4)', [
      l.operator,
      l.citizenKey,
      l.purpose,
      l.at,
    ]);
  }

  async listByCitizen(citizenKey: CitizenKey): Promise<Lookup[]> {
    const { rows } = await this.pool.query(
      'SELECT operator, citizen_key, purpose, at FROM operator_lookups WHERE citizen_key = $1 ORDER BY seq',
      [citizenKey],
    );
    return rows.map((r) => ({ operator: r.operator, citizenKey: r.citizen_key, purpose: r.purpose, at: r.at }));
  }
}
