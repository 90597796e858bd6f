import { DateTime } from 'luxon';
import { AppError } from '../../errors.js';
import type { Channel, LenderType, RestrictionPolicy } from '../../registry/policy.js';
import type { Restriction, Scope } from '../../registry/restriction.js';
import { lastDayOf, resolveTermEnd, type TermRequest, ZONE } from '../../registry/term.js';
import { type FieldError, type FormBody, field, fields } from './form.js';

/** What the "place or change a ban" form holds, as typed, so that it can be shown again. */
export interface BanFormValues {
  lenderTypes: string[];
  channels: string[];
  term: string;
  months: string;
  day: string;
  month: string;
  year: string;
}

/** A valid request: what to ask the registry for (a null term keeps the current end), and the end it resolves to. */
export interface BanRequest {
  scope: Scope;
  term: TermRequest | null;
  endsAt: Date | null;
}

/** The end of the ban in force, when the form has it: `keep` offers to keep an end the other choices cannot say today. */
export type CurrentEnd = { endsAt: Date | null } | null;

/** The first and the last day a fixed term may end on, as YYYY-MM-DD in Asia/Almaty. */
export function lastDayBounds(policy: RestrictionPolicy, now: Date): { earliest: string; latest: string } {
  const today = DateTime.fromJSDate(now, { zone: ZONE }).startOf('day');
  return {
    earliest: today.plus({ days: policy.term.minDays }).toISODate() as string,
    latest: today.plus({ months: policy.term.maxMonths }).toISODate() as string,
  };
}

export function emptyBanForm(policy: RestrictionPolicy): BanFormValues {
  // A new ban covers everything by default; the term is left for the citizen to choose.
  return {
    lenderTypes: [...policy.lenderTypes],
    channels: [...policy.channels],
    term: '',
    months: '',
    day: '',
    month: '',
    year: '',
  };
}

/**
 * Whether the form's own choices can say this end today: until cancelled, if the policy still
 * allows it, or a last day within today's range. Otherwise (the last day of a ban is today, or
 * the policy changed since) the form offers to keep the end as it is.
 */
export function canRestate(endsAt: Date | null, policy: RestrictionPolicy, now: Date): boolean {
  if (endsAt === null) return policy.term.allowIndefinite;
  const { earliest, latest } = lastDayBounds(policy, now);
  const lastDay = lastDayOf(endsAt);
  return lastDay >= earliest && lastDay <= latest;
}

/**
 * The form filled in from the ban in force, so that a change starts from what holds now and
 * sending it unchanged changes nothing in substance.
 */
export function banFormFrom(r: Restriction | null, policy: RestrictionPolicy, now: Date): BanFormValues {
  if (r === null) return emptyBanForm(policy);
  const values: BanFormValues = {
    ...emptyBanForm(policy),
    lenderTypes: [...r.scope.lenderTypes],
    channels: [...r.scope.channels],
  };
  if (!canRestate(r.endsAt, policy, now)) return { ...values, term: 'keep' };
  if (r.endsAt === null) return { ...values, term: 'indefinite' };
  const [year = '', month = '', day = ''] = lastDayOf(r.endsAt).split('-');
  return { ...values, term: 'until', day: String(Number(day)), month: String(Number(month)), year };
}

export function banFormValues(body: FormBody): BanFormValues {
  return {
    lenderTypes: fields(body, 'lenderTypes'),
    channels: fields(body, 'channels'),
    term: field(body, 'term'),
    months: field(body, 'months'),
    day: field(body, 'lastDay-day'),
    month: field(body, 'lastDay-month'),
    year: field(body, 'lastDay-year'),
  };
}

function parseLastDay(v: BanFormValues): { date: string } | { error: string } {
  const parts = [v.day, v.month, v.year];
  if (parts.every((p) => p === '')) return { error: 'dateMissing' };
  if (parts.some((p) => p === '')) return { error: 'dateIncomplete' };
  if (!/^\d{1,2}$/.test(v.day) || !/^\d{1,2}$/.test(v.month) || !/^\d{4}$/.test(v.year)) return { error: 'dateInvalid' };
  const date = `${v.year}-${v.month.padStart(2, '0')}-${v.day.padStart(2, '0')}`;
  if (!DateTime.fromISO(date, { zone: ZONE }).isValid) return { error: 'dateInvalid' };
  return { date };
}

/**
 * Checks the form against the policy at `now`. Each problem is reported on its own field,
 * in the order the fields appear; the registry's own rules (resolveTermEnd) decide the range.
 */
export function parseBanForm(
  values: BanFormValues,
  policy: RestrictionPolicy,
  now: Date,
  current: CurrentEnd = null,
): { request: BanRequest; errors: [] } | { request: null; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const lenderTypes = policy.lenderTypes.filter((t) => values.lenderTypes.includes(t));
  const channels = policy.channels.filter((c) => values.channels.includes(c));
  if (lenderTypes.length === 0 || values.lenderTypes.some((t) => !(policy.lenderTypes as readonly string[]).includes(t)))
    errors.push({ field: 'lenderTypes', key: 'edit.errors.lenderTypes' });
  if (channels.length === 0 || values.channels.some((c) => !(policy.channels as readonly string[]).includes(c)))
    errors.push({ field: 'channels', key: 'edit.errors.channels' });

  let term: TermRequest | null = null;
  const keep = values.term === 'keep' && current !== null;
  const max = policy.term.maxMonths;
  if (keep) {
    // Nothing to resolve: the registry keeps the end of the ban in force.
  } else if (values.term === 'months') {
    if (values.months === '') errors.push({ field: 'months', key: 'edit.errors.monthsMissing', params: { max } });
    else if (!/^\d{1,4}$/.test(values.months) || Number(values.months) < 1 || Number(values.months) > max)
      errors.push({ field: 'months', key: 'edit.errors.monthsRange', params: { max } });
    else term = { kind: 'months', months: Number(values.months) };
  } else if (values.term === 'until') {
    const parsed = parseLastDay(values);
    if ('error' in parsed) errors.push({ field: 'lastDay', key: `edit.errors.${parsed.error}` });
    else term = { kind: 'until', date: parsed.date };
  } else if (values.term === 'indefinite' && policy.term.allowIndefinite) {
    term = { kind: 'indefinite' };
  } else {
    errors.push({ field: 'term', key: 'edit.errors.term' });
  }

  let endsAt: Date | null = keep ? current.endsAt : null;
  if (term !== null) {
    try {
      endsAt = resolveTermEnd(term, policy, now);
    } catch (e) {
      if (!(e instanceof AppError) || e.code !== 'invalid_term') throw e;
      errors.push(termError(term));
    }
  }
  if (errors.length > 0 || (term === null && !keep)) return { request: null, errors };
  return {
    request: { scope: { lenderTypes: lenderTypes as LenderType[], channels: channels as Channel[] }, term, endsAt },
    errors: [],
  };
}

/** The field and message for a term the registry refused. */
export function termError(term: TermRequest | null): FieldError {
  if (term?.kind === 'until') return { field: 'lastDay', key: 'edit.errors.dateRange' };
  if (term?.kind === 'months') return { field: 'months', key: 'edit.errors.monthsRange' };
  return { field: 'term', key: 'edit.errors.term' };
}
