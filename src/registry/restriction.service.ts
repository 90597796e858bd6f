import type { CheckWithLender } from '../checks/check.js';
import type { CheckRepository } from '../checks/check.repository.js';
import { shownReference } from '../checks/reference.js';
import type { Clock } from '../clock.js';
import type { IdempotencyClaim } from '../idempotency/idempotency.js';
import { type Citizen, identifyCitizen } from '../identity/citizen.js';
import { newId } from '../ids.js';
import type { Lender } from '../lenders/lender.js';
import type { LenderService } from '../lenders/lender.service.js';
import { logMutation } from '../log/entries.js';
import type { Policies, RestrictionKind } from './policy.js';
import type { Actor, Exemption, Mutation, Restriction, RestrictionEvent, RestrictionStatus, Scope } from './restriction.js';
import type { RestrictionRepository } from './restriction.repository.js';
import {
  isInForce,
  isOpen,
  type PlanContext,
  planCancelLift,
  planChange,
  planExemption,
  planLift,
  planPlace,
  statusAt,
} from './restriction.rules.js';
import type { TermRequest } from './term.js';

export interface RestrictionView extends Restriction {
  status: RestrictionStatus;
  openExemptions: (Exemption & { lender: Pick<Lender, 'id' | 'name' | 'bin' | 'type'> })[];
}

// A reference is shown to the citizen; one kept from before the reference rule that holds an IIN is not.
const withShownReference = (c: CheckWithLender): CheckWithLender => ({ ...c, reference: shownReference(c.reference) });

/** How a change is made: the kind of restriction (the loan ban by default), and the caller's Idempotency-Key. */
export interface WriteOptions {
  kind?: RestrictionKind;
  idempotency?: IdempotencyClaim;
}

/** A citizen named by their IIN (the CLI, a service centre) or already identified (a signed-in session). */
export type CitizenRef = string | Citizen;

export interface CitizenRecord {
  restriction: RestrictionView | null;
  history: RestrictionEvent[];
  checks: CheckWithLender[];
}

/** Places, changes, lifts and narrows bans. The rules are in restriction.rules.ts; this wires them to the store. */
export class RestrictionService {
  constructor(
    private readonly restrictions: RestrictionRepository,
    private readonly checks: Pick<CheckRepository, 'listByCitizen' | 'pageByCitizen'>,
    private readonly lenders: LenderService,
    private readonly policies: Policies,
    private readonly clock: Clock,
    private readonly pepper: Buffer,
  ) {}

  /** A plan's context; its instant is never before the latest logged one, even if this clock is behind. */
  private context(kind: RestrictionKind, actor: Actor, notBefore: Date): PlanContext {
    const now = this.clock.now();
    return { policy: this.policies[kind], now: now < notBefore ? notBefore : now, newId, actor };
  }

  private citizen(who: CitizenRef): Citizen {
    return typeof who === 'string' ? identifyCitizen(this.pepper, who) : who;
  }

  private async mutate(
    who: CitizenRef,
    kind: RestrictionKind,
    plan: (current: Restriction | null, notBefore: Date) => Mutation,
    claim: IdempotencyClaim | undefined,
  ): Promise<Mutation> {
    const citizen = this.citizen(who);
    return this.restrictions.mutate(
      citizen.key,
      kind,
      citizen.facts,
      (current, notBefore) => logMutation(plan(current, notBefore), citizen.key),
      claim,
    );
  }

  /** Places a ban, or replaces the terms of the one in force with the whole new set given. */
  place(
    who: CitizenRef,
    request: { scope?: Partial<Scope>; term: TermRequest },
    actor: Actor,
    opts: WriteOptions = {},
  ): Promise<Mutation> {
    const kind = opts.kind ?? 'loan';
    return this.mutate(who, kind, (current, t) => planPlace(current, request, this.context(kind, actor, t)), opts.idempotency);
  }

  /** Changes only the named parts of the ban in force. */
  change(
    who: CitizenRef,
    request: { scope?: Partial<Scope>; term?: TermRequest },
    actor: Actor,
    opts: WriteOptions = {},
  ): Promise<Mutation> {
    const kind = opts.kind ?? 'loan';
    return this.mutate(who, kind, (current, t) => planChange(current, request, this.context(kind, actor, t)), opts.idempotency);
  }

  lift(who: CitizenRef, actor: Actor, opts: WriteOptions = {}): Promise<Mutation> {
    const kind = opts.kind ?? 'loan';
    return this.mutate(who, kind, (current, t) => planLift(current, this.context(kind, actor, t)), opts.idempotency);
  }

  cancelLift(who: CitizenRef, actor: Actor, opts: WriteOptions = {}): Promise<Mutation> {
    const kind = opts.kind ?? 'loan';
    return this.mutate(who, kind, (current, t) => planCancelLift(current, this.context(kind, actor, t)), opts.idempotency);
  }

  async exempt(
    who: CitizenRef,
    request: { lenderBin: string; hours: number },
    actor: Actor,
    opts: WriteOptions = {},
  ): Promise<Mutation> {
    const kind = opts.kind ?? 'loan';
    const citizen = this.citizen(who); // an invalid IIN is reported before an unknown lender
    const lender = await this.lenders.activeByBin(request.lenderBin);
    return this.mutate(
      citizen,
      kind,
      (current, t) => planExemption(current, { lenderId: lender.id, hours: request.hours }, this.context(kind, actor, t)),
      opts.idempotency,
    );
  }

  /** Everything the registry holds on one citizen: the ban in force, its history, and every check. */
  async record(who: CitizenRef, kind: RestrictionKind = 'loan'): Promise<CitizenRecord> {
    const citizen = this.citizen(who);
    const now = this.clock.now();
    const [latest, history, checks] = await Promise.all([
      this.restrictions.latest(citizen.key, kind),
      this.restrictions.history(citizen.key),
      this.checks.listByCitizen(citizen.key),
    ]);
    return {
      restriction: latest !== null && isInForce(latest, now) ? await this.view(latest, now) : null,
      history,
      checks: checks.map(withShownReference),
    };
  }

  /** One page of the checks lenders made on a citizen, newest first. */
  async checksPage(
    who: CitizenRef,
    page: { offset: number; limit: number },
  ): Promise<{ checks: CheckWithLender[]; total: number }> {
    const { checks, total } = await this.checks.pageByCitizen(this.citizen(who).key, page);
    return { checks: checks.map(withShownReference), total };
  }

  private async view(r: Restriction, now: Date): Promise<RestrictionView> {
    const exemptions = (await this.restrictions.exemptions(r.id)).filter((e) => isOpen(e, now));
    const openExemptions = await Promise.all(
      exemptions.map(async (e) => {
        const l = await this.lenders.get(e.lenderId);
        return { ...e, lender: { id: l.id, name: l.name, bin: l.bin, type: l.type } };
      }),
    );
    return { ...r, status: statusAt(r, now), openExemptions };
  }
}
