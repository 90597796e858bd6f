import { DateTime } from 'luxon';
import { AppError } from '../errors.js';
import type { LiftDelay, RestrictionPolicy } from './policy.js';

/** Calendar terms are computed in Kazakhstan's time zone; instants are stored in UTC. */
export const ZONE = 'Asia/Almaty';

/** How a ban's term was asked for: a number of months, a last day, until cancelled, or the policy's maximum. */
export type TermRequest =
  | { kind: 'months'; months: number }
  | { kind: 'until'; date: string }
  | { kind: 'indefinite' }
  | { kind: 'max' };

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function almatyDay(at: Date): DateTime {
  return DateTime.fromJSDate(at, { zone: ZONE }).startOf('day');
}

/** The instant a fixed term ends: the start of the day after its last day, in Asia/Almaty. */
function endAfterLastDay(lastDay: DateTime): Date {
  return lastDay.plus({ days: 1 }).startOf('day').toJSDate();
}

/**
 * Resolves a requested term to its end instant (null: until cancelled). A fixed term covers
 * whole calendar days: from today to its last day inclusive, at least policy.minDays ahead
 * and at most policy.maxMonths ahead.
 */
export function resolveTermEnd(term: TermRequest, policy: RestrictionPolicy, now: Date): Date | null {
  const today = almatyDay(now);
  const latest = today.plus({ months: policy.term.maxMonths });
  const earliest = today.plus({ days: policy.term.minDays });
  let lastDay: DateTime;
  switch (term.kind) {
    case 'indefinite':
      if (!policy.term.allowIndefinite) {
        throw new AppError('invalid_term', 'A ban until cancelled is not allowed by the current policy; choose a fixed term.');
      }
      return null;
    case 'max':
      lastDay = latest;
      break;
    case 'months':
      if (!Number.isInteger(term.months) || term.months < 1 || term.months > policy.term.maxMonths) {
        throw new AppError('invalid_term', `The term must be from 1 to ${policy.term.maxMonths} months.`);
      }
      lastDay = today.plus({ months: term.months });
      break;
    case 'until': {
      const parsed = ISO_DATE.test(term.date) ? DateTime.fromISO(term.date, { zone: ZONE }) : null;
      if (!parsed?.isValid) throw new AppError('invalid_term', 'The last day must be a real date written YYYY-MM-DD.');
      lastDay = parsed.startOf('day');
      break;
    }
  }
  if (lastDay < earliest || lastDay > latest) {
    throw new AppError(
      'invalid_term',
      `The last day must be from ${earliest.toISODate()} to ${latest.toISODate()} (at least ${policy.term.minDays} day, at most ${policy.term.maxMonths} months).`,
    );
  }
  return endAfterLastDay(lastDay);
}

/** The instant a lift asked for at `now` takes effect. */
export function liftEffectiveAt(delay: LiftDelay, now: Date): Date {
  switch (delay.kind) {
    case 'none':
      return now;
    case 'duration':
      return new Date(now.getTime() + delay.ms);
    case 'calendar_days':
      return almatyDay(now).plus({ days: delay.days }).toJSDate();
  }
}

/** The last calendar day (Asia/Almaty) a fixed term covers, as YYYY-MM-DD. */
export function lastDayOf(endsAt: Date): string {
  return DateTime.fromJSDate(endsAt, { zone: ZONE }).minus({ days: 1 }).toISODate() as string;
}

/** Whole or part days left until `endsAt`, counted in Almaty calendar days (today counts). */
export function daysLeft(endsAt: Date, now: Date): number {
  if (endsAt <= now) return 0;
  const last = DateTime.fromJSDate(endsAt, { zone: ZONE }).minus({ milliseconds: 1 }).startOf('day');
  return Math.round(last.diff(almatyDay(now), 'days').days) + 1;
}

/** An instant shown to people: local Almaty time with its offset. */
export function formatAlmaty(at: Date): string {
  return DateTime.fromJSDate(at, { zone: ZONE }).toFormat("yyyy-LL-dd HH:mm:ss 'Asia/Almaty' (ZZ)");
}
