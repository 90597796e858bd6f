import { AuditorService } from './auditors/auditor.service.js';
import type { DecidedCheck, PendingCheck } from './checks/check.repository.js';
import { CheckService } from './checks/check.service.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { IdempotencyService } from './idempotency/idempotency.service.js';
import { LenderService } from './lenders/lender.service.js';
import { LogService } from './log/log.service.js';
import { RestrictionService } from './registry/restriction.service.js';
import type { Secrets } from './secrets.js';
import { GroupCommit } from './store/group-commit.js';
import type { Store } from './store/store.js';

/** Wires the services to one store, one clock and one set of secrets. */
export function createServices(deps: { config: Readonly<Config>; store: Store; clock: Clock; secrets: Secrets }) {
  const { config, store, clock, secrets } = deps;
  // Several batches may wait on the disk at once; each is written in order and acknowledged once durable.
  // Each batch is decided inside its own transaction, at the clock's instant when it is written.
  const checkWriter = new GroupCommit<PendingCheck, DecidedCheck>((batch) => store.checks.decideBatch(batch, clock.now()), {
    // SQLite: up to four batches wait on the disk at once. PostgreSQL: every batch takes the log's row lock, so
    // batches in flight together would only queue on it, each smaller; one at a time, each takes all that waits.
    maxInFlight: store.engine === 'postgres' ? 1 : 4,
  });
  const log = new LogService(store.log, secrets.logKey?.verifierKey ?? null, config.log.origin);
  const lenders = new LenderService(store.lenders, clock, config.lenderCacheMs);
  const idempotency = new IdempotencyService(store.idempotency, clock, secrets.pepper);
  return {
    config,
    secrets,
    store,
    clock,
    checkWriter,
    lenders,
    restrictions: new RestrictionService(store.restrictions, store.checks, lenders, config.policies, clock, secrets.pepper),
    log,
    idempotency,
    auditors: new AuditorService(store.auditors, clock, config.lenderCacheMs),
    checks: new CheckService(store.checks, checkWriter, log, secrets.pepper, idempotency),
  };
}

export type Services = ReturnType<typeof createServices>;
