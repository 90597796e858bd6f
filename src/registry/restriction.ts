import type { Channel, LenderType, RestrictionKind } from './policy.js';

/** Who made a change: the citizen themself, or a service-centre operator by name. */
export type Actor = { kind: 'citizen' } | { kind: 'operator'; name: string };

export interface Scope {
  lenderTypes: LenderType[];
  channels: Channel[];
}

/** A ban in its current version. A citizen has at most one of each kind in force. */
export interface Restriction {
  id: string;
  kind: RestrictionKind;
  version: number;
  scope: Scope;
  startsAt: Date;
  /** null: until cancelled. */
  endsAt: Date | null;
  liftRequestedAt: Date | null;
  liftEffectiveAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One named lender let through a ban for a window; the ban holds for everyone else. */
export interface Exemption {
  id: string;
  restrictionId: string;
  lenderId: string;
  startsAt: Date;
  endsAt: Date;
  actor: Actor;
}

export type RestrictionAction = 'placed' | 'changed' | 'lift_requested' | 'lift_cancelled' | 'exemption_opened';

/** One entry of a ban's history: what was done, by whom, and the version it produced. */
export interface RestrictionEvent {
  id: string;
  restrictionId: string;
  version: number;
  action: RestrictionAction;
  scope: Scope;
  endsAt: Date | null;
  liftEffectiveAt: Date | null;
  exemption: { lenderId: string; endsAt: Date } | null;
  actor: Actor;
  at: Date;
  /** Its index in the transparency log, once recorded. */
  logIndex?: number | null;
}

/** The coarse facts kept for statistics; the only things derived from an IIN that reach disk. */
export interface CitizenFacts {
  birthYear: number;
  sex: 'male' | 'female';
}

export type RestrictionStatus = 'active' | 'lift_pending' | 'expired' | 'lifted' | 'scheduled';

/** What a change writes: the new state of the ban, the events it adds, and any new exemption. */
export interface Mutation {
  restriction: Restriction;
  isNew: boolean;
  events: RestrictionEvent[];
  exemption: Exemption | null;
}
