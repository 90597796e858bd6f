import { AppError } from '../errors.js';
import type { Channel, LenderType, RestrictionPolicy } from './policy.js';
import type {
  Actor,
  Exemption,
  Mutation,
  Restriction,
  RestrictionAction,
  RestrictionEvent,
  RestrictionStatus,
  Scope,
} from './restriction.js';
import { liftEffectiveAt, resolveTermEnd, type TermRequest } from './term.js';

// Pure rules: every function here is a function of its arguments alone. The clock is an argument.

/** The parts of a ban that a check needs. */
export type BanTerms = Pick<Restriction, 'scope' | 'startsAt' | 'endsAt' | 'liftEffectiveAt'>;

export interface Interval {
  startsAt: Date;
  endsAt: Date;
}

/** A ban is in force from its start until its end or its lift takes effect, whichever comes first; both ends exclusive of the end instant. */
export function isInForce(r: BanTerms, at: Date): boolean {
  const t = at.getTime();
  if (t < r.startsAt.getTime()) return false;
  if (r.endsAt !== null && t >= r.endsAt.getTime()) return false;
  if (r.liftEffectiveAt !== null && t >= r.liftEffectiveAt.getTime()) return false;
  return true;
}

export function statusAt(r: BanTerms, at: Date): RestrictionStatus {
  const t = at.getTime();
  if (t < r.startsAt.getTime()) return 'scheduled';
  if (r.liftEffectiveAt !== null && t >= r.liftEffectiveAt.getTime()) return 'lifted';
  if (r.endsAt !== null && t >= r.endsAt.getTime()) return 'expired';
  return r.liftEffectiveAt !== null ? 'lift_pending' : 'active';
}

export function isOpen(e: Interval, at: Date): boolean {
  const t = at.getTime();
  return t >= e.startsAt.getTime() && t < e.endsAt.getTime();
}

/**
 * The answer to a check: restricted exactly when a ban is in force at `at`, it covers the
 * lender's type and the channel, and no exemption for that lender is open.
 */
export function decideCheck(
  ban: BanTerms | null,
  lenderExemptions: readonly Interval[],
  lenderType: LenderType,
  channel: Channel,
  at: Date,
): boolean {
  if (ban === null || !isInForce(ban, at)) return false;
  if (!ban.scope.lenderTypes.includes(lenderType) || !ban.scope.channels.includes(channel)) return false;
  for (const e of lenderExemptions) if (isOpen(e, at)) return false;
  return true;
}

/** Validates and normalises a scope against the policy; the default is everything the policy covers. */
export function resolveScope(requested: Partial<Scope> | undefined, policy: RestrictionPolicy): Scope {
  const lenderTypes = requested?.lenderTypes ?? [...policy.lenderTypes];
  const channels = requested?.channels ?? [...policy.channels];
  const badType = lenderTypes.find((t) => !policy.lenderTypes.includes(t));
  const badChannel = channels.find((c) => !policy.channels.includes(c));
  if (badType !== undefined)
    throw new AppError('invalid_scope', `Unknown lender type "${badType}"; use ${policy.lenderTypes.join(', ')}.`);
  if (badChannel !== undefined)
    throw new AppError('invalid_scope', `Unknown channel "${badChannel}"; use ${policy.channels.join(', ')}.`);
  if (lenderTypes.length === 0 || channels.length === 0) throw new AppError('invalid_scope');
  // Canonical order, so that versions compare and display the same however they were asked for.
  return {
    lenderTypes: policy.lenderTypes.filter((t) => lenderTypes.includes(t)),
    channels: policy.channels.filter((c) => channels.includes(c)),
  };
}

export interface PlanContext {
  policy: RestrictionPolicy;
  now: Date;
  newId: () => string;
  actor: Actor;
}

function event(
  ctx: PlanContext,
  r: Restriction,
  action: RestrictionAction,
  exemption: RestrictionEvent['exemption'] = null,
): RestrictionEvent {
  return {
    id: ctx.newId(),
    restrictionId: r.id,
    version: r.version,
    action,
    scope: r.scope,
    endsAt: r.endsAt,
    liftEffectiveAt: r.liftEffectiveAt,
    exemption,
    actor: ctx.actor,
    at: ctx.now,
  };
}

/** The ban still in force at `now`, if `current` is one. */
function inForce(current: Restriction | null, now: Date): Restriction | null {
  return current !== null && isInForce(current, now) ? current : null;
}

/**
 * Places a ban, or changes the one in force into a new version. Asking for a ban while a
 * lift is pending means the citizen wants to stay protected, so the pending lift is cancelled.
 */
export function planPlace(
  current: Restriction | null,
  request: { scope?: Partial<Scope>; term: TermRequest },
  ctx: PlanContext,
): Mutation {
  const scope = resolveScope(request.scope, ctx.policy);
  const endsAt = resolveTermEnd(request.term, ctx.policy, ctx.now);
  const live = inForce(current, ctx.now);
  if (live === null) {
    const r: Restriction = {
      id: ctx.newId(),
      kind: ctx.policy.kind,
      version: 1,
      scope,
      startsAt: ctx.now,
      endsAt,
      liftRequestedAt: null,
      liftEffectiveAt: null,
      createdAt: ctx.now,
      updatedAt: ctx.now,
    };
    return { restriction: r, isNew: true, events: [event(ctx, r, 'placed')], exemption: null };
  }
  return changeInForce(live, scope, endsAt, ctx);
}

/**
 * Changes only what the request names: an omitted lender-type list, channel list or term stays as it
 * is, so a partial change can never weaken a ban by accident. There must be a ban in force.
 */
export function planChange(
  current: Restriction | null,
  request: { scope?: Partial<Scope>; term?: TermRequest },
  ctx: PlanContext,
): Mutation {
  const live = inForce(current, ctx.now);
  if (live === null) throw new AppError('no_restriction', 'There is no ban in force to change; place one first.');
  const scope = resolveScope(
    {
      lenderTypes: request.scope?.lenderTypes ?? live.scope.lenderTypes,
      channels: request.scope?.channels ?? live.scope.channels,
    },
    ctx.policy,
  );
  const endsAt = request.term === undefined ? live.endsAt : resolveTermEnd(request.term, ctx.policy, ctx.now);
  return changeInForce(live, scope, endsAt, ctx);
}

/** The next version of a ban in force; asking to change it while a lift is pending cancels the lift. */
function changeInForce(live: Restriction, scope: Scope, endsAt: Date | null, ctx: PlanContext): Mutation {
  const events: RestrictionEvent[] = [];
  let base = live;
  if (live.liftEffectiveAt !== null) {
    base = { ...live, version: live.version + 1, liftRequestedAt: null, liftEffectiveAt: null, updatedAt: ctx.now };
    events.push(event(ctx, base, 'lift_cancelled'));
  }
  const next: Restriction = { ...base, version: base.version + 1, scope, endsAt, updatedAt: ctx.now };
  events.push(event(ctx, next, 'changed'));
  return { restriction: next, isNew: false, events, exemption: null };
}

/** Asks for the ban in force to be lifted after the policy's delay. */
export function planLift(current: Restriction | null, ctx: PlanContext): Mutation {
  const live = inForce(current, ctx.now);
  if (live === null) throw new AppError('no_restriction');
  if (!ctx.policy.lift.allowed) throw new AppError('no_restriction', 'This kind of restriction cannot be lifted early.');
  if (live.liftEffectiveAt !== null) {
    throw new AppError('lift_pending', `A lift is already pending; it takes effect at ${live.liftEffectiveAt.toISOString()}.`);
  }
  const next: Restriction = {
    ...live,
    version: live.version + 1,
    liftRequestedAt: ctx.now,
    liftEffectiveAt: liftEffectiveAt(ctx.policy.lift.delay, ctx.now),
    updatedAt: ctx.now,
  };
  return { restriction: next, isNew: false, events: [event(ctx, next, 'lift_requested')], exemption: null };
}

/** Cancels a lift that has not yet taken effect; the ban goes on as before. */
export function planCancelLift(current: Restriction | null, ctx: PlanContext): Mutation {
  const live = inForce(current, ctx.now);
  if (live === null || live.liftEffectiveAt === null) throw new AppError('no_pending_lift');
  const next: Restriction = {
    ...live,
    version: live.version + 1,
    liftRequestedAt: null,
    liftEffectiveAt: null,
    updatedAt: ctx.now,
  };
  return { restriction: next, isNew: false, events: [event(ctx, next, 'lift_cancelled')], exemption: null };
}

/** Lets one lender through the ban in force for `hours`, up to the policy's limit. */
export function planExemption(
  current: Restriction | null,
  request: { lenderId: string; hours: number },
  ctx: PlanContext,
): Mutation {
  const live = inForce(current, ctx.now);
  if (live === null) throw new AppError('no_restriction', 'There is no ban in force to make an exemption from.');
  const max = ctx.policy.exemption.maxHours;
  if (!Number.isInteger(request.hours) || request.hours < 1 || request.hours > max) {
    throw new AppError('invalid_exemption', `An exemption lasts from 1 to ${max} hours.`);
  }
  const exemption: Exemption = {
    id: ctx.newId(),
    restrictionId: live.id,
    lenderId: request.lenderId,
    startsAt: ctx.now,
    endsAt: new Date(ctx.now.getTime() + request.hours * 3_600_000),
    actor: ctx.actor,
  };
  const next: Restriction = { ...live, version: live.version + 1, updatedAt: ctx.now };
  return {
    restriction: next,
    isNew: false,
    events: [event(ctx, next, 'exemption_opened', { lenderId: exemption.lenderId, endsAt: exemption.endsAt })],
    exemption,
  };
}
