import type Database from 'better-sqlite3';
import type { CitizenKey } from '../../identity/citizen-key.js';
import type { Lookup, LookupRepository } from '../../registry/lookup.js';
import type { Durable, Row } from './rows.js';

export class SqliteLookups implements LookupRepository {
  private readonly insertStmt: Database.Statement;
  private readonly byCitizenStmt: Database.Statement;

  constructor(
    db: Database.Database,
    private readonly durable: Durable,
  ) {
    this.insertStmt = db.prepare('INSERT INTO operator_lookups (operator, citizen_key, purpose, at) VALUES (?, ?, ?, ?)');
    this.byCitizenStmt = db.prepare(
      'SELECT operator, citizen_key, purpose, at FROM operator_lookups WHERE citizen_key = ? ORDER BY seq',
    );
  }

  async record(l: Lookup): Promise<void> {
    await this.durable(() => this.insertStmt.run(l.operator, l.citizenKey, l.purpose, l.at.getTime()));
  }

  async listByCitizen(citizenKey: CitizenKey): Promise<Lookup[]> {
    return (this.byCitizenStmt.all(citizenKey) as Row[]).map((r) => ({
      operator: r.operator as string,
      citizenKey: r.citizen_key as Buffer,
      purpose: r.purpose as string,
      at: new Date(r.at as number),
    }));
  }
}
