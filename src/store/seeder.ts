import type { LoggedCheck } from '../checks/check.repository.js';
import type { CitizenKey } from '../identity/citizen-key.js';
import type { Sex } from '../identity/iin.js';
import type { Actor, Scope } from '../registry/restriction.js';

/** A loan ban as the benchmarks seed it: version 1, with its one `placed` event, kept out of the log. */
export interface SeedBan {
  id: string;
  eventId: string;
  citizenKey: CitizenKey;
  birthYear: number;
  sex: Sex;
  scope: Scope;
  startsAt: Date;
  endsAt: Date | null;
  actor: Actor;
}

/** Bulk loading for the benchmarks: millions of rows written straight into the tables, far faster than the services would. */
export interface Seeder {
  /** Every ban, chunk by chunk; the chunks are awaited one by one, so the caller can show progress. */
  bans(chunks: AsyncIterable<readonly SeedBan[]>): Promise<void>;
  /** Group-commit batches of checks with their log entries, each written as the server writes one. */
  checkBatches(batches: Iterable<readonly LoggedCheck[]>): Promise<void>;
  /** Leaves the store compact and its statistics fresh for whatever opens it next. */
  compact(): Promise<void>;
}
