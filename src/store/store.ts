import type { AuditorRepository } from '../auditors/auditor.js';
import type { CheckRepository } from '../checks/check.repository.js';
import type { IdempotencyRepository } from '../idempotency/idempotency.js';
import type { DevIdpRepository } from '../idp/dev-idp.repository.js';
import type { LenderRepository } from '../lenders/lender.repository.js';
import type { LogRepository } from '../log/log.repository.js';
import type { SessionRepository } from '../portal/session.repository.js';
import type { RateLimitRepository } from '../ratelimit/rate-limit.repository.js';
import type { LookupRepository } from '../registry/lookup.js';
import type { RestrictionRepository } from '../registry/restriction.repository.js';
import type { LeaseRepository } from '../schedule/lease.repository.js';
import type { Seeder } from './seeder.js';

/**
 * What every engine offers: each domain's repository, as that domain defines it, and the store's own
 * life cycle. Methods are asynchronous so that a networked store fits the same shape as the embedded one.
 */
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
  /** Signed-in portal sessions, shared by every node. */
  readonly sessions: SessionRepository;
  /** The development identity provider's state, shared by every node. */
  readonly devIdp: DevIdpRepository;
  /** Lenders' request counts, when no Redis counts them; shared by every node. */
  readonly rateLimits: RateLimitRepository;
  /** Scheduled jobs' leases, so that each runs once per period whatever the number of nodes. */
  readonly leases: LeaseRepository;
  /** Bulk loading, for the benchmarks. */
  seeder(): Seeder;
  /** Ties the store to one pepper: refuses a pepper other than the one its records were keyed with. */
  bindPepper(fingerprint: string): Promise<void>;
  isEmpty(): Promise<boolean>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
