import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import { citizenKeyOf } from '../identity/citizen-key.js';
import { validateIin } from '../identity/iin.js';
import { newId } from '../ids.js';
import type { Lender } from '../lenders/lender.js';
import { checkEntry } from '../log/entries.js';
import type { LogService } from '../log/log.service.js';
import type { Receipt } from '../log/sequencer.js';
import { type Channel, KIND_CHECKED_BY } from '../registry/policy.js';
import { decideCheck } from '../registry/restriction.rules.js';
import type { GroupCommit } from '../store/group-commit.js';
import type { LoggedCheck, Store } from '../store/store.js';
import type { CheckRecord } from './check.js';

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

/** The hot path: decide a lender's check at the registry's clock, record it durably, then answer. */
export class CheckService {
  constructor(
    private readonly store: Store,
    private readonly writer: GroupCommit<LoggedCheck, Receipt>,
    private readonly log: LogService,
    private readonly clock: Clock,
    private readonly pepper: Buffer,
  ) {}

  async check(lender: Lender, request: { iin: string; channel: Channel; reference: string }): Promise<CheckAnswer> {
    const v = validateIin(request.iin);
    if (!v.ok) throw new AppError('invalid_iin', v.message);
    if (request.reference.includes(request.iin)) {
      // The reference is stored as given; it must not smuggle the IIN into the database.
      throw new AppError('invalid_request', 'The reference must not contain the IIN.');
    }
    const citizenKey = citizenKeyOf(this.pepper, request.iin);
    const now = this.clock.now();
    const kind = KIND_CHECKED_BY[lender.type];
    const ban = await this.store.restrictions.currentBan(citizenKey, kind);
    let restricted = decideCheck(ban, [], lender.type, request.channel, now);
    if (restricted && ban !== null) {
      // Exemptions matter only when the ban would otherwise restrict this lender; most checks skip the read.
      const exemptions = await this.store.restrictions.lenderExemptions(ban.id, lender.id, now);
      restricted = decideCheck(ban, exemptions, lender.type, request.channel, now);
    }
    const record: CheckRecord = {
      id: newId(),
      lenderId: lender.id,
      citizenKey,
      channel: request.channel,
      reference: request.reference,
      restricted,
      checkedAt: now,
      restrictionId: ban?.id ?? null,
      restrictionVersion: ban?.version ?? null,
    };
    let receipt: Receipt;
    try {
      receipt = await this.writer.enqueue({ record, entry: checkEntry(record, lender.type) });
    } catch (e) {
      throw new AppError('unavailable', undefined, { cause: e });
    }
    return answerOf(record, receipt);
  }

  /** A lender's own earlier check; anyone else's looks like no check at all. */
  async find(lender: Lender, checkId: string): Promise<CheckAnswer> {
    const c = await this.store.checks.findById(checkId);
    if (c === null || c.lenderId !== lender.id || c.logIndex === null || c.logIndex === undefined) {
      throw new AppError('not_found', 'No such check.');
    }
    return answerOf(c, await this.log.receipt(c.logIndex));
  }
}
