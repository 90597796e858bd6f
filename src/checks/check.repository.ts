import type { IdempotencyClaim } from '../idempotency/idempotency.js';
import type { CitizenKey } from '../identity/citizen-key.js';
import type { Receipt } from '../log/sequencer.js';
import type { Channel, LenderType } from '../registry/policy.js';
import type { CheckRecord, CheckWithLender } from './check.js';

/** A check with the entry that records it in the transparency log, already encoded. */
export interface LoggedCheck {
  record: CheckRecord;
  entry: Buffer;
  /** The caller's Idempotency-Key, recorded with the check and its receipt. */
  idempotency?: IdempotencyClaim;
}

/** A validated check not yet decided: the store decides it in the transaction that logs it. */
export interface PendingCheck {
  id: string;
  lender: { id: string; type: LenderType };
  citizenKey: CitizenKey;
  channel: Channel;
  reference: string;
  /** The caller's Idempotency-Key, recorded with the check and its receipt. */
  idempotency?: IdempotencyClaim;
}

/** A check as decided and logged, with its receipt. */
export interface DecidedCheck {
  record: CheckRecord;
  receipt: Receipt;
}

export interface CheckRepository {
  /**
   * Decides every check in one write transaction that holds the log's lock: from the bans as they stand
   * then (every change logged before included), at one instant no earlier than the latest logged one,
   * then writes and logs them as insertBatch does. When it returns, all of it is durable.
   */
  decideBatch(batch: readonly PendingCheck[], now: Date): Promise<DecidedCheck[]>;
  /**
   * Writes checks already decided (bulk loading, older entry formats) and integrates their entries in one
   * transaction, signing one checkpoint for the batch; when it returns, all of it is durable, and each
   * check has its receipt. Live checks go through decideBatch.
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
