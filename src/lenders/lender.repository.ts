import type { Lender } from './lender.js';

/** Where lenders and their API keys are kept. Asynchronous, so that a networked store fits the same shape. */
export interface LenderRepository {
  /** Throws AppError('lender_exists') when the BIN is taken. */
  insert(lender: Lender, keyHash: Buffer): Promise<void>;
  list(): Promise<Lender[]>;
  findById(id: string): Promise<Lender | null>;
  findByBin(bin: string): Promise<Lender | null>;
  /** The lender whose current key, or previous key still within its overlap at `at`, has this hash. */
  findByKeyHash(keyHash: Buffer, at: Date): Promise<Lender | null>;
  revoke(id: string, at: Date): Promise<boolean>;
  /** Gives an active lender a new key; the current one stays valid until `keepOldUntil` (null: not at all). */
  replaceKey(id: string, keyHash: Buffer, keyPrefix: string, keepOldUntil: Date | null): Promise<boolean>;
}
