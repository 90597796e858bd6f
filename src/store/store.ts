import type { CheckRecord, CheckWithLender } from '../checks/check.js';
import type { CitizenKey } from '../identity/citizen-key.js';
import type { Lender } from '../lenders/lender.js';
import type { RestrictionKind } from '../registry/policy.js';
import type { CitizenFacts, Exemption, Mutation, Restriction, RestrictionEvent } from '../registry/restriction.js';
import type { BanTerms, Interval } from '../registry/restriction.rules.js';

/**
 * The contract every store implements. Methods are asynchronous so that a networked store
 * fits the same shape as the embedded one.
 */
export interface LenderRepository {
  /** Throws AppError('lender_exists') when the BIN is taken. */
  insert(lender: Lender, keyHash: Buffer): Promise<void>;
  list(): Promise<Lender[]>;
  findById(id: string): Promise<Lender | null>;
  findByBin(bin: string): Promise<Lender | null>;
  findByKeyHash(keyHash: Buffer): Promise<Lender | null>;
  revoke(id: string, at: Date): Promise<boolean>;
  replaceKey(id: string, keyHash: Buffer, keyPrefix: string): Promise<boolean>;
}

/** What a check needs to know, read in one go. */
export interface CheckView {
  ban: (BanTerms & { id: string; version: number }) | null;
  /** The checking lender's exemptions from that ban that have not ended by the instant asked about. */
  exemptions: Interval[];
}

export interface RestrictionRepository {
  /**
   * Runs `plan` on the citizen's latest ban of this kind inside one write transaction and
   * stores what it returns, so that concurrent changes never interleave.
   */
  mutate(
    citizenKey: CitizenKey,
    kind: RestrictionKind,
    facts: CitizenFacts,
    plan: (current: Restriction | null) => Mutation,
  ): Promise<Mutation>;
  latest(citizenKey: CitizenKey, kind: RestrictionKind): Promise<Restriction | null>;
  exemptions(restrictionId: string): Promise<Exemption[]>;
  history(citizenKey: CitizenKey): Promise<RestrictionEvent[]>;
  checkView(citizenKey: CitizenKey, kind: RestrictionKind, lenderId: string, at: Date): Promise<CheckView>;
}

export interface CheckRepository {
  /** Writes every record in one transaction; when it returns, all of them are durable. */
  insertBatch(records: readonly CheckRecord[]): Promise<void>;
  findById(id: string): Promise<CheckRecord | null>;
  listByCitizen(citizenKey: CitizenKey): Promise<CheckWithLender[]>;
}

export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  readonly lenders: LenderRepository;
  readonly restrictions: RestrictionRepository;
  readonly checks: CheckRepository;
  /** Ties the store to one pepper: refuses a pepper other than the one its records were keyed with. */
  bindPepper(fingerprint: string): Promise<void>;
  isEmpty(): Promise<boolean>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
