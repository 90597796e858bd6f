import { createHmac } from 'node:crypto';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import { containsIin } from '../identity/iin-in-text.js';
import {
  IDEMPOTENCY_WINDOW_MS,
  type IdempotencyClaim,
  type IdempotencyRecord,
  type IdempotencyRepository,
} from './idempotency.js';

// Printable ASCII without spaces, as the IETF draft on the Idempotency-Key header suggests for its value.
const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Idempotent retries: the same key and the same request from the same caller within 24 hours gets
 * the first answer, and nothing new is recorded; the same key with another request is refused.
 * Concurrent requests with one key are taken one after another within this process; across
 * processes the key's primary key in the store lets only one of them write.
 */
export class IdempotencyService {
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(
    private readonly repo: IdempotencyRepository,
    private readonly clock: Clock,
    private readonly pepper: Buffer,
  ) {}

  /**
   * The Idempotency-Key header's value, null when absent; a malformed one is refused. The key is stored as
   * given for 24 hours, so, like a reference, it must not hold an IIN in any spelling (a borrower's IIN is
   * a tempting key).
   */
  keyOf(header: string | string[] | undefined): string | null {
    if (header === undefined) return null;
    if (typeof header !== 'string' || !KEY.test(header)) throw new AppError('invalid_idempotency_key');
    if (containsIin(header))
      throw new AppError(
        'invalid_idempotency_key',
        'The Idempotency-Key must not contain an IIN, in any spelling; use a key of your own, new for each request.',
      );
    return header;
  }

  claim(caller: string, key: string, request: unknown): IdempotencyClaim {
    const requestHash = createHmac('sha256', this.pepper).update('tyiym/idempotency\0').update(JSON.stringify(request)).digest();
    return { caller, key, requestHash, at: this.clock.now() };
  }

  /** The earlier record of this claim's key within the window; idempotency_conflict when it was another request. */
  async prior(claim: IdempotencyClaim): Promise<IdempotencyRecord | null> {
    const found = await this.repo.find(claim.caller, claim.key, new Date(claim.at.getTime() - IDEMPOTENCY_WINDOW_MS));
    if (found !== null && !found.requestHash.equals(claim.requestHash)) throw new AppError('idempotency_conflict');
    return found;
  }

  saveResponse(claim: IdempotencyClaim, response: unknown): Promise<void> {
    return this.repo.saveResponse(claim.caller, claim.key, JSON.stringify(response));
  }

  /** Runs `body` after any other request with the same caller and key in this process has finished. */
  async serially<T>(claim: IdempotencyClaim, body: () => Promise<T>): Promise<T> {
    const id = `${claim.caller}\0${claim.key}`;
    const before = this.running.get(id) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(body);
    this.running.set(id, mine);
    try {
      return await mine;
    } finally {
      if (this.running.get(id) === mine) this.running.delete(id);
    }
  }

  /** Forgets the keys whose window has ended by `now`; a scheduled job, run by one node at a time. */
  purgeExpired(now: Date = this.clock.now()): Promise<number> {
    return this.repo.purge(new Date(now.getTime() - IDEMPOTENCY_WINDOW_MS));
  }
}
