import { CHANNELS, type Channel, KIND_CHECKED_BY, LENDER_TYPES, type LenderType } from '../registry/policy.js';
import { type BanTerms, decideCheck, type Interval, statusAt } from '../registry/restriction.rules.js';
import type { AnyEntry, AnyEventEntry as RestrictionEventEntry } from '../verify/entry.js';

/*
 * Replays a citizen's logged restriction events to the ban a check would have read at a given
 * instant, and to the answer it would have given. Pure: a function of its arguments alone.
 *
 * This is what the registry does at check time, from the log instead of its tables: a check reads the
 * citizen's latest ban of the kind its lender type must respect (the one placed last), in its latest
 * version, with the exemptions for the checking lender that are open at that instant.
 */

/** An exemption as the log records it: one lender let through from `startsAt` until `endsAt`. */
export interface ReplayedExemption extends Interval {
  lenderId: string;
}

/** The ban a check would have read, rebuilt from its events. */
export interface ReplayedBan extends BanTerms {
  restrictionId: string;
  kind: string;
  version: number;
  exemptions: ReplayedExemption[];
}

/** The events do not make a consistent history (a version is missing, or out of order). */
export class ReplayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayError';
  }
}

/**
 * The ban of `kind` a check at `at` would have read: the latest ban placed at or before `at`, in the
 * version current at `at`, with every exemption opened from it by then. Null when none had been placed.
 * `events` are the citizen's events in log order; events after `at` are ignored. Every version of the
 * ban up to the one used must be present, in order, so a history with a gap is refused.
 */
export function banAt(events: readonly RestrictionEventEntry[], kind: string, at: Date): ReplayedBan | null {
  const t = at.getTime();
  const relevant = events.filter((e) => e.kind === kind && Date.parse(e.at) <= t);
  const last = relevant.at(-1);
  if (last === undefined) return null;
  // Every change acts on the latest ban, so the last event belongs to the ban a check would read.
  const history = relevant.filter((e) => e.restrictionId === last.restrictionId);
  history.forEach((e, i) => {
    if (e.version !== i + 1)
      throw new ReplayError(`Ban ${last.restrictionId}: version ${i + 1} is missing from its history (found ${e.version}).`);
  });
  const placed = history[0] as RestrictionEventEntry;
  if (placed.action !== 'placed') throw new ReplayError(`Ban ${last.restrictionId}: its first version is not a placement.`);
  const current = history.at(-1) as RestrictionEventEntry;
  const date = (s: string | null) => (s === null ? null : new Date(s));
  return {
    restrictionId: current.restrictionId,
    kind,
    version: current.version,
    scope: { lenderTypes: current.lenderTypes as LenderType[], channels: current.channels as Channel[] },
    startsAt: new Date(placed.at),
    endsAt: date(current.endsAt),
    liftEffectiveAt: date(current.liftEffectiveAt),
    exemptions: history
      .filter((e) => e.action === 'exemption_opened')
      .map((e) => ({
        lenderId: e.exemptionLenderId as string,
        startsAt: new Date(e.at),
        endsAt: new Date(e.exemptionEndsAt as string),
      })),
  };
}

/** Who is imagined checking: a lender type, and the lender itself when known (for its exemptions). */
export interface Checker {
  lenderType: LenderType;
  lenderId: string | null;
}

export interface ReplayedAnswer {
  lenderType: LenderType;
  lenderId: string | null;
  channel: Channel;
  restricted: boolean;
}

/** The answer a check by `checker` on `channel` at `at` would have given, from the citizen's logged events. */
export function answerAt(events: readonly RestrictionEventEntry[], checker: Checker, channel: Channel, at: Date): ReplayedAnswer {
  const ban = banAt(events, KIND_CHECKED_BY[checker.lenderType], at);
  // An exemption names one lender: without a lender, none applies.
  const exemptions =
    ban === null || checker.lenderId === null ? [] : ban.exemptions.filter((e) => e.lenderId === checker.lenderId);
  return {
    lenderType: checker.lenderType,
    lenderId: checker.lenderId,
    channel,
    restricted: decideCheck(ban, exemptions, checker.lenderType, channel, at),
  };
}

/** The answers for each checker on every channel, in a fixed order (checkers as given, then channels). */
export function answersAt(events: readonly RestrictionEventEntry[], checkers: readonly Checker[], at: Date): ReplayedAnswer[] {
  return checkers.flatMap((c) => CHANNELS.map((channel) => answerAt(events, c, channel, at)));
}

/** Every lender type, without a particular lender: what any lender of each type would have been told. */
export const ANY_LENDER: readonly Checker[] = LENDER_TYPES.map((lenderType) => ({ lenderType, lenderId: null }));

/** The ban's status at `at` (active, lift pending, expired, lifted), for people to read. */
export function banStatusAt(ban: ReplayedBan, at: Date): string {
  return statusAt(ban, at);
}

/**
 * Replays a whole log in one pass, entry by entry, keeping each citizen's events in memory: for each check,
 * the answer the entries logged before it give. A check is decided in the transaction that logs it, so the
 * two must agree.
 */
export class LogReplay {
  private readonly events = new Map<string, RestrictionEventEntry[]>();

  /** Takes the next entry in log order; for a check, returns the answer the entries before it give. */
  next(entry: AnyEntry): boolean | null {
    const citizen = Buffer.from(entry.citizenKey).toString('hex');
    if (entry.type === 'restriction_event') {
      const events = this.events.get(citizen);
      if (events === undefined) this.events.set(citizen, [entry]);
      else events.push(entry);
      return null;
    }
    const checker = { lenderType: entry.lenderType as LenderType, lenderId: entry.lenderId };
    return answerAt(this.events.get(citizen) ?? [], checker, entry.channel as Channel, new Date(entry.checkedAt)).restricted;
  }
}
