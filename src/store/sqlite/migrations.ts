/** Numbered migrations; PRAGMA user_version records how many have run. Never edit one that has shipped. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;

  CREATE TABLE lenders (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    bin         TEXT NOT NULL UNIQUE,
    type        TEXT NOT NULL CHECK (type IN ('bank', 'mfo')),
    status      TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    key_hash    BLOB NOT NULL UNIQUE,
    key_prefix  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
  ) STRICT;

  -- One row per ban, holding its current version. citizen_key is HMAC-SHA-256(pepper, IIN).
  CREATE TABLE restrictions (
    seq                INTEGER PRIMARY KEY,
    id                 TEXT NOT NULL UNIQUE,
    citizen_key        BLOB NOT NULL,
    kind               TEXT NOT NULL,
    version            INTEGER NOT NULL,
    lender_types       TEXT NOT NULL,
    channels           TEXT NOT NULL,
    starts_at          INTEGER NOT NULL,
    ends_at            INTEGER,
    lift_requested_at  INTEGER,
    lift_effective_at  INTEGER,
    birth_year         INTEGER NOT NULL,
    sex                TEXT NOT NULL CHECK (sex IN ('male', 'female')),
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
  ) STRICT;
  -- Covering the check path: a check reads one index entry and never the table.
  CREATE INDEX restrictions_by_citizen ON restrictions (
    citizen_key, kind, seq, id, version, lender_types, channels, starts_at, ends_at, lift_effective_at
  );

  -- Every version of every ban, and who made it.
  CREATE TABLE restriction_events (
    seq                  INTEGER PRIMARY KEY,
    id                   TEXT NOT NULL,
    restriction_id       TEXT NOT NULL,
    citizen_key          BLOB NOT NULL,
    version              INTEGER NOT NULL,
    action               TEXT NOT NULL,
    lender_types         TEXT NOT NULL,
    channels             TEXT NOT NULL,
    ends_at              INTEGER,
    lift_effective_at    INTEGER,
    exemption_lender_id  TEXT,
    exemption_ends_at    INTEGER,
    actor_kind           TEXT NOT NULL CHECK (actor_kind IN ('citizen', 'operator')),
    actor_name           TEXT,
    at                   INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX restriction_events_by_citizen ON restriction_events (citizen_key, seq);

  CREATE TABLE exemptions (
    id              TEXT PRIMARY KEY,
    restriction_id  TEXT NOT NULL,
    lender_id       TEXT NOT NULL REFERENCES lenders (id),
    starts_at       INTEGER NOT NULL,
    ends_at         INTEGER NOT NULL,
    actor_kind      TEXT NOT NULL,
    actor_name      TEXT
  ) STRICT;
  CREATE INDEX exemptions_by_restriction ON exemptions (restriction_id, lender_id, ends_at);

  -- Time-ordered ids (UUIDv7) keep inserts at the end of the tree.
  CREATE TABLE checks (
    id                   TEXT PRIMARY KEY,
    lender_id            TEXT NOT NULL,
    citizen_key          BLOB NOT NULL,
    channel              TEXT NOT NULL,
    reference            TEXT NOT NULL,
    restricted           INTEGER NOT NULL,
    checked_at           INTEGER NOT NULL,
    restriction_id       TEXT,
    restriction_version  INTEGER
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX checks_by_citizen ON checks (citizen_key, checked_at);
  `,
  `
  -- The transparency log (RFC 9162). Entries are the canonical bytes of each event and check.
  CREATE TABLE log_entries (
    idx   INTEGER PRIMARY KEY,
    data  BLOB NOT NULL
  ) STRICT;

  -- Every completed perfect subtree: the node at (level, idx) is the root of 2^level leaves
  -- starting at leaf idx * 2^level. Level 0 holds the leaf hashes. Tiles are read from here.
  CREATE TABLE log_nodes (
    level  INTEGER NOT NULL,
    idx    INTEGER NOT NULL,
    hash   BLOB NOT NULL,
    PRIMARY KEY (level, idx)
  ) STRICT, WITHOUT ROWID;

  -- The tree's state in one row: its size and the hashes along its right edge. Every batch is
  -- integrated under this row's write lock, so no two inconsistent checkpoints are ever signed.
  CREATE TABLE log_state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    size        INTEGER NOT NULL,
    right_edge  BLOB NOT NULL,
    checkpoint  TEXT
  ) STRICT;
  INSERT INTO log_state (id, size, right_edge, checkpoint) VALUES (1, 0, x'', NULL);

  -- Every checkpoint signed, so that any of them can be shown consistent with the tree.
  CREATE TABLE log_checkpoints (
    size        INTEGER PRIMARY KEY,
    note        TEXT NOT NULL,
    signed_at   INTEGER NOT NULL
  ) STRICT;

  ALTER TABLE checks ADD COLUMN log_index INTEGER;
  ALTER TABLE restriction_events ADD COLUMN log_index INTEGER;
  `,
  `
  -- Auditors read the log's entry bundles; their keys are stored as SHA-256 only, like lenders'.
  CREATE TABLE auditors (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    key_hash    BLOB NOT NULL UNIQUE,
    key_prefix  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
  ) STRICT;

  -- A lender's previous key, still accepted until expires_at after a rotation with overlap.
  CREATE TABLE lender_old_keys (
    key_hash    BLOB PRIMARY KEY,
    lender_id   TEXT NOT NULL REFERENCES lenders (id),
    key_prefix  TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;

  -- The first answer to a request sent with an Idempotency-Key, per caller, for 24 hours.
  -- request_hash is keyed with the pepper, since a request may hold an IIN.
  CREATE TABLE idempotency_keys (
    caller        TEXT NOT NULL,
    key           TEXT NOT NULL,
    request_hash  BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    check_id      TEXT,
    receipt       TEXT,
    response      TEXT,
    PRIMARY KEY (caller, key)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

  -- Every time an operator read a citizen's record, by name; kept out of the public log.
  CREATE TABLE operator_lookups (
    seq          INTEGER PRIMARY KEY,
    operator     TEXT NOT NULL,
    citizen_key  BLOB NOT NULL,
    purpose      TEXT NOT NULL,
    at           INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX operator_lookups_by_citizen ON operator_lookups (citizen_key, seq);
  `,
  `
  -- The instant of the latest logged entry: a later entry never carries an earlier one, whatever a clock says.
  ALTER TABLE log_state ADD COLUMN last_at INTEGER NOT NULL DEFAULT 0;
  UPDATE log_state SET last_at = max(
    coalesce((SELECT max(checked_at) FROM checks WHERE log_index IS NOT NULL), 0),
    coalesce((SELECT max(at) FROM restriction_events WHERE log_index IS NOT NULL), 0));
  `,
  `
  -- Signed-in portal sessions, shared by every node. A session is found by the SHA-256 of its id; the id is
  -- never stored, so the table gives nobody a live session. The data names the citizen by keyed hash only.
  CREATE TABLE portal_sessions (
    id_hash  BLOB PRIMARY KEY,
    data     TEXT NOT NULL,
    ends_at  INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX portal_sessions_by_end ON portal_sessions (ends_at);

  -- The development identity provider's state. Payloads are sealed (AES-256-GCM), since they hold the IIN;
  -- ids are stored as SHA-256, since they are bearer values; uid, user code and grant id are random lookups.
  CREATE TABLE dev_idp_records (
    model        TEXT NOT NULL,
    id_hash      BLOB NOT NULL,
    payload      BLOB NOT NULL,
    uid          TEXT,
    user_code    TEXT,
    grant_id     TEXT,
    consumed_at  INTEGER,
    expires_at   INTEGER,
    PRIMARY KEY (model, id_hash)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX dev_idp_records_by_uid ON dev_idp_records (model, uid) WHERE uid IS NOT NULL;
  CREATE INDEX dev_idp_records_by_user_code ON dev_idp_records (model, user_code) WHERE user_code IS NOT NULL;
  CREATE INDEX dev_idp_records_by_grant ON dev_idp_records (grant_id) WHERE grant_id IS NOT NULL;
  CREATE INDEX dev_idp_records_by_expiry ON dev_idp_records (expires_at) WHERE expires_at IS NOT NULL;
  `,
  `
  -- A lender's requests per fixed window (bucket: the route and the lender; window_start in ms), shared by
  -- every process on this file. Windows that have ended are purged by a scheduled job.
  CREATE TABLE rate_limit_windows (
    bucket        TEXT NOT NULL,
    window_start  INTEGER NOT NULL,
    count         INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
  ) STRICT, WITHOUT ROWID;

  -- Who runs a scheduled job in the current period (until, in ms, is when the lease ends): only the holder.
  CREATE TABLE job_leases (
    name    TEXT PRIMARY KEY,
    holder  TEXT NOT NULL,
    until   INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  `,
];
