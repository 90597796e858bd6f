import type { IdempotencyClaim } from '../idempotency/idempotency.js';
import type { CitizenKey } from '../identity/citizen-key.js';
import type { RestrictionKind } from './policy.js';
import type { CitizenFacts, Exemption, Mutation, Restriction, RestrictionEvent } from './restriction.js';
import type { BanTerms } from './restriction.rules.js';

/** The terms of a citizen's latest ban that a check needs, with the version that decided it. */
export type CurrentBan = BanTerms & { id: string; version: number };

/** A planned change with the encoded log entry of each of its events, in order. */
export interface LoggedMutation {
  mutation: Mutation;
  entries: Buffer[];
}

export interface RestrictionRepository {
  /**
   * Runs `plan` on the citizen's latest ban of this kind inside one write transaction and
   * stores what it returns, its entries integrated into the log in that same transaction, so that
   * concurrent changes never interleave. `plan` is given the latest logged instant: its events must
   * not be earlier, so the log's instants never go backwards.
   */
  mutate(
    citizenKey: CitizenKey,
    kind: RestrictionKind,
    facts: CitizenFacts,
    plan: (current: Restriction | null, notBefore: Date) => LoggedMutation,
    /** An Idempotency-Key taken by this change, recorded in the same transaction. */
    claim?: IdempotencyClaim,
  ): Promise<Mutation>;
  latest(citizenKey: CitizenKey, kind: RestrictionKind): Promise<Restriction | null>;
  exemptions(restrictionId: string): Promise<Exemption[]>;
  history(citizenKey: CitizenKey): Promise<RestrictionEvent[]>;
}
