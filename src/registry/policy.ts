/**
 * What each kind of restriction allows. Only the loan ban exists today; a gambling
 * self-exclusion (21+, 6 months to 10 years, never lifted early, checked by gambling
 * operators) is another entry of this shape with its own lender types, not a new model.
 */
export const LENDER_TYPES = ['bank', 'mfo'] as const;
export type LenderType = (typeof LENDER_TYPES)[number];

export const CHANNELS = ['remote', 'in_person'] as const;
export type Channel = (typeof CHANNELS)[number];

export const RESTRICTION_KINDS = ['loan'] as const;
export type RestrictionKind = (typeof RESTRICTION_KINDS)[number];

/** Which kind of restriction a checker of each type must respect. */
export const KIND_CHECKED_BY: Record<LenderType, RestrictionKind> = { bank: 'loan', mfo: 'loan' };

/**
 * When a requested lift takes effect: at once, after a fixed duration, or at the start of
 * the Nth calendar day after the request in Asia/Almaty (Russia uses the second day).
 */
export type LiftDelay = { kind: 'none' } | { kind: 'duration'; ms: number } | { kind: 'calendar_days'; days: number };

export interface RestrictionPolicy {
  kind: RestrictionKind;
  /** The lender types and channels a ban of this kind can cover; the default scope is all of them. */
  lenderTypes: readonly LenderType[];
  channels: readonly Channel[];
  term: {
    minDays: number;
    maxMonths: number;
    allowIndefinite: boolean;
  };
  lift: { allowed: boolean; delay: LiftDelay };
  exemption: { maxHours: number };
  /** The youngest age at which a citizen may place one (null: any age). */
  minAgeYears: number | null;
}

export interface Policies {
  loan: RestrictionPolicy;
}

export function loanPolicy(
  overrides: { maxTermMonths?: number; allowIndefinite?: boolean; liftDelay?: LiftDelay; maxExemptionHours?: number } = {},
): RestrictionPolicy {
  return {
    kind: 'loan',
    lenderTypes: LENDER_TYPES,
    channels: CHANNELS,
    term: {
      minDays: 1,
      maxMonths: overrides.maxTermMonths ?? 6,
      allowIndefinite: overrides.allowIndefinite ?? true,
    },
    lift: { allowed: true, delay: overrides.liftDelay ?? { kind: 'none' } },
    exemption: { maxHours: overrides.maxExemptionHours ?? 72 },
    minAgeYears: null,
  };
}

/** Parses LIFT_DELAY: "0", a duration such as "90m" or "24h", or calendar days such as "2d". */
export function parseLiftDelay(text: string): LiftDelay {
  const t = text.trim();
  if (t === '' || t === '0') return { kind: 'none' };
  const m = /^([0-9]+)(m|h|d)$/.exec(t);
  if (!m) throw new Error(`LIFT_DELAY must be 0, <n>m, <n>h or <n>d (calendar days), not "${text}"`);
  const n = Number(m[1]);
  if (n === 0) return { kind: 'none' };
  if (m[2] === 'd') return { kind: 'calendar_days', days: n };
  return { kind: 'duration', ms: n * (m[2] === 'h' ? 3_600_000 : 60_000) };
}

export function describeLiftDelay(d: LiftDelay): string {
  switch (d.kind) {
    case 'none':
      return 'immediately';
    case 'duration':
      return `${d.ms / 60_000} minutes after the request`;
    case 'calendar_days':
      return `at the start of calendar day ${d.days} after the request (Asia/Almaty)`;
  }
}
