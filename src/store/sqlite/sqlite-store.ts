import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { CheckRecord, CheckWithLender } from '../../checks/check.js';
import type { CheckRepository, LoggedCheck } from '../../checks/check.repository.js';
import { AppError } from '../../errors.js';
import type { IdempotencyClaim } from '../../idempotency/idempotency.js';
import type { CitizenKey } from '../../identity/citizen-key.js';
import type { Lender } from '../../lenders/lender.js';
import type { LenderRepository } from '../../lenders/lender.repository.js';
import { eventEntry } from '../../log/entries.js';
import type { LogRepository } from '../../log/log.repository.js';
import type { NodeId, StoredNode, TreeState } from '../../log/merkle.js';
import { integrate, type LogSigner, type LogTx, type Receipt } from '../../log/sequencer.js';
import type { Channel, LenderType, RestrictionKind } from '../../registry/policy.js';
import type {
  Actor,
  CitizenFacts,
  Exemption,
  Mutation,
  Restriction,
  RestrictionEvent,
  Scope,
} from '../../registry/restriction.js';
import type { CurrentBan, RestrictionRepository } from '../../registry/restriction.repository.js';
import type { Interval } from '../../registry/restriction.rules.js';
import { encodeEntry } from '../../verify/entry.js';
import type { Store } from '../store.js';
import { MIGRATIONS } from './migrations.js';
import { SqliteAuditors } from './sqlite-auditors.js';
import { insertClaim, SqliteIdempotency } from './sqlite-idempotency.js';
import { SqliteLookups } from './sqlite-lookups.js';

type Row = Record<string, unknown>;
/** Runs a write (its own transaction) and resolves once it is durable. */
type Durable = <T>(write: () => T) => Promise<T>;

const date = (v: unknown): Date => new Date(v as number);
const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as number));
const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());

// Scopes are few (at most nine combinations), so parsed ones are shared rather than re-split per read.
const scopeCache = new Map<string, string[]>();
function list<T extends string>(csv: string): T[] {
  let v = scopeCache.get(csv);
  if (v === undefined) {
    v = csv.split(',');
    scopeCache.set(csv, v);
  }
  return v as T[];
}
const scopeOf = (r: Row): Scope => ({
  lenderTypes: list<LenderType>(r.lender_types as string),
  channels: list<Channel>(r.channels as string),
});
const actorOf = (r: Row): Actor =>
  r.actor_kind === 'operator' ? { kind: 'operator', name: r.actor_name as string } : { kind: 'citizen' };

function toLender(r: Row): Lender {
  return {
    id: r.id as string,
    name: r.name as string,
    bin: r.bin as string,
    type: r.type as LenderType,
    status: r.status as Lender['status'],
    keyPrefix: r.key_prefix as string,
    createdAt: date(r.created_at),
    revokedAt: dateOrNull(r.revoked_at),
  };
}

function toRestriction(r: Row): Restriction {
  return {
    id: r.id as string,
    kind: r.kind as RestrictionKind,
    version: r.version as number,
    scope: scopeOf(r),
    startsAt: date(r.starts_at),
    endsAt: dateOrNull(r.ends_at),
    liftRequestedAt: dateOrNull(r.lift_requested_at),
    liftEffectiveAt: dateOrNull(r.lift_effective_at),
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  };
}

function toCheck(r: Row): CheckRecord {
  return {
    id: r.id as string,
    lenderId: r.lender_id as string,
    citizenKey: r.citizen_key as Buffer,
    channel: r.channel as Channel,
    reference: r.reference as string,
    restricted: r.restricted === 1,
    checkedAt: date(r.checked_at),
    restrictionId: (r.restriction_id as string | null) ?? null,
    restrictionVersion: (r.restriction_version as number | null) ?? null,
    logIndex: (r.log_index as number | null) ?? null,
  };
}

function toCheckWithLender(r: Row): CheckWithLender {
  return {
    ...toCheck(r),
    lender: {
      id: r.lender_id as string,
      name: r.lender_name as string,
      bin: r.lender_bin as string,
      type: r.lender_type as LenderType,
    },
  };
}

/** Opens (creating if needed) a SQLite registry in WAL mode; see WalSync for how commits are made durable. */
export function openSqliteStore(file: string): SqliteStore {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Owner-only from birth; SQLite gives the -wal and -shm files the database file's permissions.
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 10000');
  db.pragma('foreign_keys = ON');
  // The check path reads one index entry per check; mapping the file saves a read() and a copy per page.
  db.pragma('mmap_size = 1073741824');
  db.pragma('cache_size = -65536');
  db.pragma('wal_autocheckpoint = 10000');
  migrate(db);
  return new SqliteStore(db, new WalSync(`${file}-wal`));
}

/**
 * Durability equal to synchronous=FULL without stalling the event loop. SQLite runs with
 * synchronous=NORMAL, which writes each commit's frames to the WAL but does not fsync them;
 * every write path then fsyncs the WAL file itself, on libuv's thread pool, and only then
 * resolves. fsync flushes every frame written to the file before it, so when the promise
 * resolves the commit is as durable as FULL would have made it, while the event loop goes on
 * reading and deciding the next batch of checks. NORMAL still syncs the WAL before each
 * checkpoint and the database after it, so checkpoints are as safe as with FULL.
 */
export class WalSync {
  private fd: number | null = null;
  private ino = -1;

  constructor(private readonly walPath: string) {}

  async sync(): Promise<void> {
    // The WAL keeps its inode while a connection is open; check anyway, so a replaced file is never missed.
    const ino = fs.statSync(this.walPath).ino;
    if (this.fd === null || ino !== this.ino) {
      if (this.fd !== null) fs.closeSync(this.fd);
      this.fd = fs.openSync(this.walPath, 'r');
      this.ino = ino;
    }
    const fd = this.fd;
    await new Promise<void>((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

function migrate(db: Database.Database): void {
  const current = () => db.pragma('user_version', { simple: true }) as number;
  if (current() >= MIGRATIONS.length) return;
  // IMMEDIATE takes the write lock first, so two processes opening a new file cannot both migrate.
  db.transaction(() => {
    for (let v = current(); v < MIGRATIONS.length; v++) {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    }
  }).immediate();
}

export class SqliteStore implements Store {
  readonly engine = 'sqlite' as const;
  readonly lenders: LenderRepository;
  readonly restrictions: RestrictionRepository;
  readonly checks: SqliteChecks;
  readonly log: SqliteLog;
  readonly lookups: SqliteLookups;
  readonly idempotency: SqliteIdempotency;
  readonly auditors: SqliteAuditors;

  constructor(
    readonly db: Database.Database,
    private readonly wal: WalSync,
  ) {
    const durable = async <T>(write: () => T): Promise<T> => {
      const result = write();
      await wal.sync();
      return result;
    };
    this.log = new SqliteLog(db);
    this.lenders = new SqliteLenders(db, durable);
    this.restrictions = new SqliteRestrictions(db, durable, this.log);
    this.checks = new SqliteChecks(db, durable, this.log);
    this.idempotency = new SqliteIdempotency(db, durable);
    this.auditors = new SqliteAuditors(db, durable);
    this.lookups = new SqliteLookups(db, durable);
    this.durable = durable;
  }

  attachLog(signer: LogSigner): void {
    this.log.signer = signer;
  }

  private readonly durable: Durable;

  async bindPepper(fingerprint: string): Promise<void> {
    const read = () => this.db.prepare(`SELECT value FROM meta WHERE key = 'pepper_fingerprint'`).get() as Row | undefined;
    if (read()?.value === fingerprint) return;
    await this.durable(() =>
      this.db
        .transaction(() => {
          const row = read();
          if (row === undefined) {
            this.db.prepare(`INSERT INTO meta (key, value) VALUES ('pepper_fingerprint', ?)`).run(fingerprint);
          } else if (row.value !== fingerprint) {
            throw new Error('This database was keyed with a different pepper; refusing to use it with this one.');
          }
        })
        .immediate(),
    );
  }

  async isEmpty(): Promise<boolean> {
    const row = this.db.prepare('SELECT (SELECT count(*) FROM lenders) + (SELECT count(*) FROM restrictions) AS n').get() as Row;
    return row.n === 0;
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    this.wal.close();
    if (this.db.open) this.db.close();
  }
}

class SqliteLenders implements LenderRepository {
  private readonly byKeyHash: Database.Statement;
  constructor(
    private readonly db: Database.Database,
    private readonly durable: Durable,
  ) {
    this.byKeyHash = db.prepare(
      `SELECT * FROM lenders WHERE key_hash = ?
       UNION ALL
       SELECT l.* FROM lender_old_keys k JOIN lenders l ON l.id = k.lender_id WHERE k.key_hash = ? AND k.expires_at > ?
       LIMIT 1`,
    );
  }

  async insert(l: Lender, keyHash: Buffer): Promise<void> {
    try {
      await this.durable(() =>
        this.db
          .prepare(
            `INSERT INTO lenders (id, name, bin, type, status, key_hash, key_prefix, created_at, revoked_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(l.id, l.name, l.bin, l.type, l.status, keyHash, l.keyPrefix, l.createdAt.getTime(), ms(l.revokedAt)),
      );
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new AppError('lender_exists');
      throw e;
    }
  }

  async list(): Promise<Lender[]> {
    return (this.db.prepare('SELECT * FROM lenders ORDER BY created_at, id').all() as Row[]).map(toLender);
  }

  async findById(id: string): Promise<Lender | null> {
    const r = this.db.prepare('SELECT * FROM lenders WHERE id = ?').get(id) as Row | undefined;
    return r ? toLender(r) : null;
  }

  async findByBin(bin: string): Promise<Lender | null> {
    const r = this.db.prepare('SELECT * FROM lenders WHERE bin = ?').get(bin) as Row | undefined;
    return r ? toLender(r) : null;
  }

  async findByKeyHash(keyHash: Buffer, at: Date): Promise<Lender | null> {
    const r = this.byKeyHash.get(keyHash, keyHash, at.getTime()) as Row | undefined;
    return r ? toLender(r) : null;
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    const res = await this.durable(() =>
      this.db
        .prepare(`UPDATE lenders SET status = 'revoked', revoked_at = ? WHERE id = ? AND status = 'active'`)
        .run(at.getTime(), id),
    );
    return res.changes === 1;
  }

  async replaceKey(id: string, keyHash: Buffer, keyPrefix: string, keepOldUntil: Date | null): Promise<boolean> {
    const replace = this.db.transaction((): boolean => {
      const old = this.db.prepare(`SELECT key_hash, key_prefix FROM lenders WHERE id = ? AND status = 'active'`).get(id) as
        | Row
        | undefined;
      if (old === undefined) return false;
      // Only the key being replaced overlaps; an older one still in its overlap is cut off now.
      this.db.prepare('DELETE FROM lender_old_keys WHERE lender_id = ?').run(id);
      if (keepOldUntil !== null)
        this.db
          .prepare('INSERT INTO lender_old_keys (key_hash, lender_id, key_prefix, expires_at) VALUES (?, ?, ?, ?)')
          .run(old.key_hash, id, old.key_prefix, keepOldUntil.getTime());
      this.db.prepare('UPDATE lenders SET key_hash = ?, key_prefix = ? WHERE id = ?').run(keyHash, keyPrefix, id);
      return true;
    });
    return this.durable(() => replace.immediate());
  }
}

class SqliteRestrictions implements RestrictionRepository {
  private readonly latestStmt: Database.Statement;
  private readonly banStmt: Database.Statement;
  private readonly exemptionStmt: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly durable: Durable,
    private readonly log: SqliteLog,
  ) {
    this.latestStmt = db.prepare('SELECT * FROM restrictions WHERE citizen_key = ? AND kind = ? ORDER BY seq DESC LIMIT 1');
    this.banStmt = db
      .prepare(
        `SELECT id, version, lender_types, channels, starts_at, ends_at, lift_effective_at
           FROM restrictions WHERE citizen_key = ? AND kind = ? ORDER BY seq DESC LIMIT 1`,
      )
      .raw();
    this.exemptionStmt = db.prepare(
      'SELECT starts_at, ends_at FROM exemptions WHERE restriction_id = ? AND lender_id = ? AND ends_at > ?',
    );
  }

  async mutate(
    citizenKey: CitizenKey,
    kind: RestrictionKind,
    facts: CitizenFacts,
    plan: (current: Restriction | null) => Mutation,
    claim?: IdempotencyClaim,
  ): Promise<Mutation> {
    const run = this.db.transaction((): Mutation => {
      if (claim !== undefined) insertClaim(this.db, claim);
      const row = this.latestStmt.get(citizenKey, kind) as Row | undefined;
      const m = plan(row ? toRestriction(row) : null);
      const r = m.restriction;
      if (m.isNew) {
        this.db
          .prepare(
            `INSERT INTO restrictions (id, citizen_key, kind, version, lender_types, channels, starts_at, ends_at,
               lift_requested_at, lift_effective_at, birth_year, sex, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            r.id,
            citizenKey,
            r.kind,
            r.version,
            r.scope.lenderTypes.join(','),
            r.scope.channels.join(','),
            r.startsAt.getTime(),
            ms(r.endsAt),
            ms(r.liftRequestedAt),
            ms(r.liftEffectiveAt),
            facts.birthYear,
            facts.sex,
            r.createdAt.getTime(),
            r.updatedAt.getTime(),
          );
      } else {
        this.db
          .prepare(
            `UPDATE restrictions SET version = ?, lender_types = ?, channels = ?, ends_at = ?,
               lift_requested_at = ?, lift_effective_at = ?, updated_at = ? WHERE id = ?`,
          )
          .run(
            r.version,
            r.scope.lenderTypes.join(','),
            r.scope.channels.join(','),
            ms(r.endsAt),
            ms(r.liftRequestedAt),
            ms(r.liftEffectiveAt),
            r.updatedAt.getTime(),
            r.id,
          );
      }
      const insertEvent = this.db.prepare(
        `INSERT INTO restriction_events (id, restriction_id, citizen_key, version, action, lender_types, channels,
           ends_at, lift_effective_at, exemption_lender_id, exemption_ends_at, actor_kind, actor_name, at, log_index)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      // Every change goes into the transparency log in the same transaction.
      const receipts = this.log.integrate(
        m.events.map((e) => encodeEntry(eventEntry(e, citizenKey, r.kind))),
        m.events[0]?.at ?? r.updatedAt,
      );
      for (const [i, e] of m.events.entries()) {
        e.logIndex = receipts[i]?.logIndex ?? null;
        insertEvent.run(
          e.id,
          e.restrictionId,
          citizenKey,
          e.version,
          e.action,
          e.scope.lenderTypes.join(','),
          e.scope.channels.join(','),
          ms(e.endsAt),
          ms(e.liftEffectiveAt),
          e.exemption?.lenderId ?? null,
          e.exemption ? e.exemption.endsAt.getTime() : null,
          e.actor.kind,
          e.actor.kind === 'operator' ? e.actor.name : null,
          e.at.getTime(),
          e.logIndex ?? null,
        );
      }
      if (m.exemption) {
        const x = m.exemption;
        this.db
          .prepare(
            `INSERT INTO exemptions (id, restriction_id, lender_id, starts_at, ends_at, actor_kind, actor_name)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            x.id,
            x.restrictionId,
            x.lenderId,
            x.startsAt.getTime(),
            x.endsAt.getTime(),
            x.actor.kind,
            x.actor.kind === 'operator' ? x.actor.name : null,
          );
      }
      return m;
    });
    return this.durable(() => run.immediate());
  }

  async latest(citizenKey: CitizenKey, kind: RestrictionKind): Promise<Restriction | null> {
    const row = this.latestStmt.get(citizenKey, kind) as Row | undefined;
    return row ? toRestriction(row) : null;
  }

  async exemptions(restrictionId: string): Promise<Exemption[]> {
    const rows = this.db
      .prepare('SELECT * FROM exemptions WHERE restriction_id = ? ORDER BY starts_at, id')
      .all(restrictionId) as Row[];
    return rows.map((r) => ({
      id: r.id as string,
      restrictionId: r.restriction_id as string,
      lenderId: r.lender_id as string,
      startsAt: date(r.starts_at),
      endsAt: date(r.ends_at),
      actor: actorOf(r),
    }));
  }

  async history(citizenKey: CitizenKey): Promise<RestrictionEvent[]> {
    const rows = this.db.prepare('SELECT * FROM restriction_events WHERE citizen_key = ? ORDER BY seq').all(citizenKey) as Row[];
    return rows.map((r) => ({
      id: r.id as string,
      restrictionId: r.restriction_id as string,
      version: r.version as number,
      action: r.action as RestrictionEvent['action'],
      scope: scopeOf(r),
      endsAt: dateOrNull(r.ends_at),
      liftEffectiveAt: dateOrNull(r.lift_effective_at),
      exemption:
        r.exemption_lender_id === null ? null : { lenderId: r.exemption_lender_id as string, endsAt: date(r.exemption_ends_at) },
      actor: actorOf(r),
      at: date(r.at),
      logIndex: (r.log_index as number | null) ?? null,
    }));
  }

  async currentBan(citizenKey: CitizenKey, kind: RestrictionKind): Promise<CurrentBan | null> {
    // raw(): positional rows, cheaper than building an object per row on the hottest read.
    const r = this.banStmt.get(citizenKey, kind) as unknown[] | undefined;
    if (r === undefined) return null;
    return {
      id: r[0] as string,
      version: r[1] as number,
      scope: { lenderTypes: list<LenderType>(r[2] as string), channels: list<Channel>(r[3] as string) },
      startsAt: date(r[4]),
      endsAt: dateOrNull(r[5]),
      liftEffectiveAt: dateOrNull(r[6]),
    };
  }

  async lenderExemptions(restrictionId: string, lenderId: string, at: Date): Promise<Interval[]> {
    const rows = this.exemptionStmt.all(restrictionId, lenderId, at.getTime()) as Row[];
    return rows.map((e) => ({ startsAt: date(e.starts_at), endsAt: date(e.ends_at) }));
  }
}

export class SqliteChecks implements CheckRepository {
  private readonly insertMany: Database.Transaction<(batch: readonly LoggedCheck[]) => Receipt[]>;
  private readonly insert: Database.Statement;
  private readonly byId: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly durable: Durable,
    private readonly log: SqliteLog,
  ) {
    this.insert = db.prepare(
      `INSERT INTO checks (id, lender_id, citizen_key, channel, reference, restricted, checked_at,
         restriction_id, restriction_version, log_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertMany = db.transaction((batch: readonly LoggedCheck[]) => this.writeBatch(batch));
    this.byId = db.prepare('SELECT * FROM checks WHERE id = ?');
  }

  /**
   * One group commit's writes: the checks, their log entries and one checkpoint. Inside a write
   * transaction only; insertBatch opens one, and bulk loaders may write many batches in one.
   */
  writeBatch(batch: readonly LoggedCheck[]): Receipt[] {
    const last = batch[batch.length - 1];
    const receipts = this.log.integrate(
      batch.map((b) => b.entry),
      last ? last.record.checkedAt : new Date(),
    );
    batch.forEach(({ record: c, idempotency }, i) => {
      const receipt = receipts[i];
      if (idempotency !== undefined && receipt !== undefined)
        insertClaim(this.db, idempotency, { checkId: c.id, receipt: receipt.receipt });
      this.insert.run(
        c.id,
        c.lenderId,
        c.citizenKey,
        c.channel,
        c.reference,
        c.restricted ? 1 : 0,
        c.checkedAt.getTime(),
        c.restrictionId,
        c.restrictionVersion,
        receipt?.logIndex ?? null,
      );
    });
    return receipts;
  }

  async insertBatch(batch: readonly LoggedCheck[]): Promise<Receipt[]> {
    // IMMEDIATE: take the write lock up front instead of failing to upgrade a read lock under contention.
    return this.durable(() => this.insertMany.immediate(batch));
  }

  async findById(id: string): Promise<CheckRecord | null> {
    const r = this.byId.get(id) as Row | undefined;
    return r ? toCheck(r) : null;
  }

  async listByCitizen(citizenKey: CitizenKey): Promise<CheckWithLender[]> {
    const rows = this.db
      .prepare(
        `SELECT c.*, l.name AS lender_name, l.bin AS lender_bin, l.type AS lender_type
           FROM checks c JOIN lenders l ON l.id = c.lender_id
          WHERE c.citizen_key = ? ORDER BY c.checked_at, c.id`,
      )
      .all(citizenKey) as Row[];
    return rows.map(toCheckWithLender);
  }

  async pageByCitizen(
    citizenKey: CitizenKey,
    page: { offset: number; limit: number },
  ): Promise<{ checks: CheckWithLender[]; total: number }> {
    const rows = this.db
      .prepare(
        `SELECT c.*, l.name AS lender_name, l.bin AS lender_bin, l.type AS lender_type
           FROM checks c JOIN lenders l ON l.id = c.lender_id
          WHERE c.citizen_key = ? ORDER BY c.checked_at DESC, c.id DESC LIMIT ? OFFSET ?`,
      )
      .all(citizenKey, page.limit, page.offset) as Row[];
    const total = this.db.prepare('SELECT count(*) FROM checks WHERE citizen_key = ?').pluck().get(citizenKey) as number;
    return { checks: rows.map(toCheckWithLender), total };
  }
}

/** The transparency log's tables: written inside the registry's transactions, read for proofs and tiles. */
export class SqliteLog implements LogRepository, LogTx {
  signer: LogSigner | null = null;
  private readonly stateStmt: Database.Statement;
  private readonly writeStateStmt: Database.Statement;
  private readonly entryStmt: Database.Statement;
  private readonly nodeStmt: Database.Statement;
  private readonly checkpointStmt: Database.Statement;
  private readonly hashStmt: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.stateStmt = db.prepare('SELECT size, right_edge, checkpoint FROM log_state WHERE id = 1');
    this.writeStateStmt = db.prepare('UPDATE log_state SET size = ?, right_edge = ?, checkpoint = ? WHERE id = 1');
    this.entryStmt = db.prepare('INSERT INTO log_entries (idx, data) VALUES (?, ?)');
    this.nodeStmt = db.prepare('INSERT INTO log_nodes (level, idx, hash) VALUES (?, ?, ?)');
    this.checkpointStmt = db.prepare('INSERT INTO log_checkpoints (size, note, signed_at) VALUES (?, ?, ?)');
    this.hashStmt = db.prepare('SELECT hash FROM log_nodes WHERE level = ? AND idx = ?').pluck();
  }

  /** Inside a write transaction only. */
  integrate(entries: Parameters<typeof integrate>[1], at: Date): Receipt[] {
    if (this.signer === null) throw new Error('The transparency log has no signing key; nothing can be recorded.');
    return integrate(this, entries, this.signer, at);
  }

  readState(): TreeState {
    const r = this.stateStmt.get() as Row;
    const edge = r.right_edge as Buffer;
    const rightEdge: Buffer[] = [];
    for (let i = 0; i < edge.length; i += 32) rightEdge.push(edge.subarray(i, i + 32));
    return { size: r.size as number, rightEdge };
  }

  writeState(state: TreeState, checkpoint: string): void {
    this.writeStateStmt.run(state.size, Buffer.concat(state.rightEdge as Buffer[]), checkpoint);
  }

  putEntries(firstIndex: number, entries: readonly Buffer[]): void {
    entries.forEach((e, i) => {
      this.entryStmt.run(firstIndex + i, e);
    });
  }

  putNodes(nodes: readonly StoredNode[]): void {
    for (const n of nodes) this.nodeStmt.run(n.level, n.index, n.hash);
  }

  saveCheckpoint(size: number, note: string, at: Date): void {
    this.checkpointStmt.run(size, note, at.getTime());
  }

  async head(): Promise<{ size: number; checkpoint: string | null }> {
    const r = this.stateStmt.get() as Row;
    return { size: r.size as number, checkpoint: (r.checkpoint as string | null) ?? null };
  }

  async hashes(ids: readonly NodeId[]): Promise<Buffer[]> {
    return ids.map((id) => {
      const h = this.hashStmt.get(id.level, id.index) as Buffer | undefined;
      if (h === undefined) throw new Error(`log node ${id.level}/${id.index} is not stored`);
      return h;
    });
  }

  async entries(start: number, end: number): Promise<Buffer[]> {
    return this.db
      .prepare('SELECT data FROM log_entries WHERE idx >= ? AND idx < ? ORDER BY idx')
      .pluck()
      .all(start, end) as Buffer[];
  }

  async checkpoints(): Promise<{ size: number; note: string }[]> {
    return this.db.prepare('SELECT size, note FROM log_checkpoints ORDER BY size').all() as { size: number; note: string }[];
  }

  async state(): Promise<{ size: number; rightEdge: Buffer[]; checkpoint: string | null }> {
    const r = this.stateStmt.get() as Row;
    const edge = r.right_edge as Buffer;
    const rightEdge: Buffer[] = [];
    for (let i = 0; i < edge.length; i += 32) rightEdge.push(edge.subarray(i, i + 32));
    return { size: r.size as number, rightEdge, checkpoint: (r.checkpoint as string | null) ?? null };
  }

  async nodeRange(level: number, start: number, end: number): Promise<{ index: number; hash: Buffer }[]> {
    return this.db
      .prepare('SELECT idx AS "index", hash FROM log_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx')
      .all(level, start, end) as { index: number; hash: Buffer }[];
  }

  async counts(): Promise<{ entries: number; nodes: number }> {
    const r = this.db
      .prepare('SELECT (SELECT count(*) FROM log_entries) AS entries, (SELECT count(*) FROM log_nodes) AS nodes')
      .get() as { entries: number; nodes: number };
    return { entries: r.entries, nodes: r.nodes };
  }

  async snapshot<T>(body: () => Promise<T>): Promise<T> {
    if (this.db.inTransaction) throw new Error('A log snapshot cannot be taken inside another transaction.');
    // In WAL mode a read transaction sees the database as of its first read, until it ends.
    this.db.exec('BEGIN DEFERRED');
    try {
      this.stateStmt.get();
      return await body();
    } finally {
      if (this.db.inTransaction) this.db.exec('COMMIT');
    }
  }
}
