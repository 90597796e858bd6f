import type { IdempotencyClaim } from '../idempotency/idempotency.js';
import type { CitizenKey } from '../identity/citizen-key.js';
import type { Receipt } from '../log/sequencer.js';
import type { CheckRecord, CheckWithLender } from './check.js';

/** A check with the entry that records it in the transparency log, already encoded. */
export interface LoggedCheck {
  record: CheckRecord;
  entry: Buffer;
  /** The caller's Idempotency-Key, recorded with the check and its receipt. */
  idempotency?: IdempotencyClaim;
}

export interface CheckRepository {
  /**
   * Writes every check and integrates its log entry in one transaction, signing one checkpoint
   * for the batch; when it returns, all of it is durable, and each check has its receipt.
   */
  insertBatch(batch: readonly LoggedCheck[]): Promise<Receipt[]>;
  findById(id: string): Promise<CheckRecord | null>;
  /** How many checks are recorded, in all. */
  count(): Promise<number>;
  listByCitizen(citizenKey: CitizenKey): Promise<CheckWithLender[]>;
  /** One page of a citizen's checks, newest first, and how many there are in all. */
  pageByCitizen(
    citizenKey: CitizenKey,
    page: { offset: number; limit: number },
  ): Promise<{ checks: CheckWithLender[]; total: number }>;
}
