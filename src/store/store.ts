import type { AuditorRepository } from '../auditors/auditor.js';
import type { CheckRecord, CheckWithLender } from '../checks/check.js';
import type { IdempotencyClaim, IdempotencyRepository } from '../idempotency/idempotency.js';
import type { CitizenKey } from '../identity/citizen-key.js';
import type { Lender } from '../lenders/lender.js';
import type { NodeId } from '../log/merkle.js';
import type { LogSigner, Receipt } from '../log/sequencer.js';
import type { LookupRepository } from '../registry/lookup.js';
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
  /** The lender whose current key, or previous key still within its overlap at `at`, has this hash. */
  findByKeyHash(keyHash: Buffer, at: Date): Promise<Lender | null>;
  revoke(id: string, at: Date): Promise<boolean>;
  /** Gives an active lender a new key; the current one stays valid until `keepOldUntil` (null: not at all). */
  replaceKey(id: string, keyHash: Buffer, keyPrefix: string, keepOldUntil: Date | null): Promise<boolean>;
}

/** The terms of a citizen's latest ban that a check needs, with the version that decided it. */
export type CurrentBan = BanTerms & { id: string; version: number };

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
    /** An Idempotency-Key taken by this change, recorded in the same transaction. */
    claim?: IdempotencyClaim,
  ): Promise<Mutation>;
  latest(citizenKey: CitizenKey, kind: RestrictionKind): Promise<Restriction | null>;
  exemptions(restrictionId: string): Promise<Exemption[]>;
  history(citizenKey: CitizenKey): Promise<RestrictionEvent[]>;
  /** The hot path: one indexed read of the citizen's latest ban of this kind. */
  currentBan(citizenKey: CitizenKey, kind: RestrictionKind): Promise<CurrentBan | null>;
  /** This lender's exemptions from that ban that have not ended by `at`. */
  lenderExemptions(restrictionId: string, lenderId: string, at: Date): Promise<Interval[]>;
}

/** A check with the entry that records it in the transparency log, already encoded. */
export interface LoggedCheck {
  record: CheckRecord;
  entry: Buffer;
  /** The caller's Idempotency-Key, recorded with the check and its receipt. */
  idempotency?: IdempotencyClaim;
}

export interface CheckRepository {
  /**
   * Writes every check and integrates its log entry in one transaction, signing one checkpoint
   * for the batch; when it returns, all of it is durable, and each check has its receipt.
   */
  insertBatch(batch: readonly LoggedCheck[]): Promise<Receipt[]>;
  findById(id: string): Promise<CheckRecord | null>;
  listByCitizen(citizenKey: CitizenKey): Promise<CheckWithLender[]>;
  /** One page of a citizen's checks, newest first, and how many there are in all. */
  pageByCitizen(
    citizenKey: CitizenKey,
    page: { offset: number; limit: number },
  ): Promise<{ checks: CheckWithLender[]; total: number }>;
}

/** The transparency log, read side. Writes happen only inside the registry's own transactions. */
export interface LogRepository {
  /** The tree's size and latest signed checkpoint. */
  head(): Promise<{ size: number; checkpoint: string | null }>;
  /** Stored node hashes (perfect subtrees), in the order asked; throws if one is missing. */
  hashes(ids: readonly NodeId[]): Promise<Buffer[]>;
  /** Entries [start, end). */
  entries(start: number, end: number): Promise<Buffer[]>;
  /** Every checkpoint ever signed, by size. */
  checkpoints(): Promise<{ size: number; note: string }[]>;
  /** The state row: the tree's size, its right edge (largest subtree first) and latest checkpoint. */
  state(): Promise<{ size: number; rightEdge: Buffer[]; checkpoint: string | null }>;
  /** The stored nodes of one level with index in [start, end), by index; a missing node is simply absent. */
  nodeRange(level: number, start: number, end: number): Promise<{ index: number; hash: Buffer }[]>;
  /** How many entry and node rows are stored, to find rows the tree does not account for. */
  counts(): Promise<{ entries: number; nodes: number }>;
  /**
   * Runs `body` against one consistent snapshot of the log, so that a long audit is not confused by
   * appends made meanwhile. Only for a connection that nothing else writes through meanwhile (the CLI's).
   */
  snapshot<T>(body: () => Promise<T>): Promise<T>;
}

export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  readonly lenders: LenderRepository;
  readonly restrictions: RestrictionRepository;
  readonly checks: CheckRepository;
  readonly log: LogRepository;
  readonly idempotency: IdempotencyRepository;
  readonly auditors: AuditorRepository;
  /** Operators' readings of citizens' records; never in the public log. */
  readonly lookups: LookupRepository;
  /** Gives the store the key its log's checkpoints are signed with; no write can happen before. */
  attachLog(signer: LogSigner): void;
  /** Ties the store to one pepper: refuses a pepper other than the one its records were keyed with. */
  bindPepper(fingerprint: string): Promise<void>;
  isEmpty(): Promise<boolean>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
