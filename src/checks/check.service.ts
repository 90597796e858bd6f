import { AppError } from '../errors.js';
import type { IdempotencyClaim, IdempotencyRecord } from '../idempotency/idempotency.js';
import type { IdempotencyService } from '../idempotency/idempotency.service.js';
import { citizenKeyOf } from '../identity/citizen-key.js';
import { validateIin } from '../identity/iin.js';
import { newId } from '../ids.js';
import type { Lender } from '../lenders/lender.js';
import type { LogService } from '../log/log.service.js';
import type { Receipt } from '../log/sequencer.js';
import type { Channel } from '../registry/policy.js';
import type { CheckRecord } from './check.js';
import type { CheckRepository, DecidedCheck, PendingCheck } from './check.repository.js';
import { validateReference } from './reference.js';

export interface CheckAnswer {
  checkId: string;
  restricted: boolean;
  checkedAt: string;
  channel: Channel;
  reference: string;
  /** Where the check stands in the transparency log. */
  logIndex: number;
  /** The log entry's canonical bytes (base64), which the receipt proves. */
  entry: string;
  /** A C2SP tlog-proof: the index, the inclusion proof and a signed checkpoint; verifiable offline. */
  receipt: string;
}

/**
 * Decides and records checks durably, many to a transaction; each promise settles once its check is
 * on disk, with the answer it was logged with.
 */
export interface CheckWriter {
  enqueue(item: PendingCheck): Promise<DecidedCheck>;
}

export interface CheckRequest {
  iin: string;
  channel: Channel;
  reference: string;
}

export function answerOf(c: CheckRecord, r: Receipt): CheckAnswer {
  return {
    checkId: c.id,
    restricted: c.restricted,
    checkedAt: c.checkedAt.toISOString(),
    channel: c.channel,
    reference: c.reference,
    logIndex: r.logIndex,
    entry: r.entry.toString('base64'),
    receipt: r.receipt,
  };
}

/** The hot path: validate a lender's check, have the store decide and log it durably, then answer. */
export class CheckService {
  constructor(
    private readonly checks: Pick<CheckRepository, 'findById'>,
    private readonly writer: CheckWriter,
    private readonly log: LogService,
    private readonly pepper: Buffer,
    private readonly idempotency: IdempotencyService,
  ) {}

  /**
   * Checks a citizen for a lender. With an Idempotency-Key, a retry of the same request within 24 hours
   * gets the first answer (the same check, the same receipt) and records nothing.
   */
  async check(lender: Lender, request: CheckRequest, idempotencyKey: string | null = null): Promise<CheckAnswer> {
    // Everything is validated here, for this request alone, before it joins a batch shared with other lenders.
    const v = validateIin(request.iin);
    if (!v.ok) throw new AppError('invalid_iin', v.message);
    validateReference(request.reference);
    if (idempotencyKey === null) return this.decideAndRecord(lender, request, undefined);
    const claim = this.idempotency.claim(`lender:${lender.id}`, idempotencyKey, [
      request.iin,
      request.channel,
      request.reference,
    ]);
    return this.idempotency.serially(claim, async () => {
      const prior = await this.idempotency.prior(claim);
      if (prior !== null) return this.replay(prior);
      try {
        return await this.decideAndRecord(lender, request, claim);
      } catch (e) {
        // Another node may have recorded the same key meanwhile; its answer is the answer.
        const raced = await this.idempotency.prior(claim);
        if (raced !== null) return this.replay(raced);
        throw e;
      }
    });
  }

  private async decideAndRecord(
    lender: Lender,
    request: CheckRequest,
    claim: IdempotencyClaim | undefined,
  ): Promise<CheckAnswer> {
    const pending: PendingCheck = {
      id: newId(),
      lender: { id: lender.id, type: lender.type },
      citizenKey: citizenKeyOf(this.pepper, request.iin),
      channel: request.channel,
      reference: request.reference,
    };
    if (claim !== undefined) pending.idempotency = claim;
    // No trial encoding here: every field of a version-2 entry is either made by the registry or checked
    // above (the reference enters only as its hash), and a batch that fails anyway is retried in halves.
    let decided: DecidedCheck;
    try {
      decided = await this.writer.enqueue(pending);
    } catch (e) {
      throw new AppError('unavailable', undefined, { cause: e });
    }
    return answerOf(decided.record, decided.receipt);
  }

  /** The first answer to a key, rebuilt from the check and the receipt it was answered with. */
  private async replay(prior: IdempotencyRecord): Promise<CheckAnswer> {
    const c = prior.checkId === null ? null : await this.checks.findById(prior.checkId);
    if (c === null || prior.receipt === null || c.logIndex === null || c.logIndex === undefined)
      throw new AppError('idempotency_conflict', 'This Idempotency-Key was used for another kind of request.');
    return answerOf(c, { logIndex: c.logIndex, entry: await this.log.entry(c.logIndex), receipt: prior.receipt });
  }

  /** A lender's own earlier check; anyone else's looks like no check at all. */
  async find(lender: Lender, checkId: string): Promise<CheckAnswer> {
    const c = await this.checks.findById(checkId);
    if (c === null || c.lenderId !== lender.id || c.logIndex === null || c.logIndex === undefined) {
      throw new AppError('not_found', 'No such check.');
    }
    return answerOf(c, await this.log.receipt(c.logIndex));
  }
}
