/** How long a caller's Idempotency-Key keeps its first answer. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** A key taken by a write, recorded in the same transaction as the write itself. */
export interface IdempotencyClaim {
  /** Who sent it: `lender:<id>` or `citizen:<citizen key, base64url>`; keys of different callers never meet. */
  caller: string;
  key: string;
  /** HMAC-SHA-256(pepper, request): a request may hold an IIN, so it is never hashed bare. */
  requestHash: Buffer;
  at: Date;
}

export interface IdempotencyRecord extends IdempotencyClaim {
  /** For a check: the check it recorded and the receipt it was answered with. */
  checkId: string | null;
  receipt: string | null;
  /** For other writes: the answer, as JSON, once it has been sent. */
  response: string | null;
}

export interface IdempotencyRepository {
  /** The caller's record for this key, if it was claimed at or after `notBefore`. */
  find(caller: string, key: string, notBefore: Date): Promise<IdempotencyRecord | null>;
  saveResponse(caller: string, key: string, response: string): Promise<void>;
  /** Forgets keys claimed before `before`; returns how many. */
  purge(before: Date): Promise<number>;
}
