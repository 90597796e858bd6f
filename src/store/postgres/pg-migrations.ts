/**
 * Numbered migrations of the PostgreSQL store; schema_migrations records which have run. Never edit one that has
 * shipped. The tables are the SQLite store's, in PostgreSQL's own types: bytea for keys and hashes, timestamptz
 * for instants, bigint for log positions.
 */
export const PG_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
  );

  CREATE TABLE lenders (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    bin         text NOT NULL UNIQUE,
    type        text NOT NULL CHECK (type IN ('bank', 'mfo')),
    status      text NOT NULL CHECK (status IN ('active', 'revoked')),
    key_hash    bytea NOT NULL UNIQUE,
    key_prefix  text NOT NULL,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz
  );

  -- A lender's previous key, still accepted until expires_at after a rotation with overlap.
  CREATE TABLE lender_old_keys (
    key_hash    bytea PRIMARY KEY,
    lender_id   text NOT NULL REFERENCES lenders (id),
    key_prefix  text NOT NULL,
    expires_at  timestamptz NOT NULL
  );

  -- One row per ban, holding its current version. citizen_key is HMAC-SHA-256(pepper, IIN).
  CREATE TABLE restrictions (
    seq                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                 text NOT NULL UNIQUE,
    citizen_key        bytea NOT NULL,
    kind               text NOT NULL,
    version            integer NOT NULL,
    lender_types       text NOT NULL,
    channels           text NOT NULL,
    starts_at          timestamptz NOT NULL,
    ends_at            timestamptz,
    lift_requested_at  timestamptz,
    lift_effective_at  timestamptz,
    birth_year         integer NOT NULL,
    sex                text NOT NULL CHECK (sex IN ('male', 'female')),
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
  );
  -- Covering the check path: a batch's bans are read from the index alone.
  CREATE INDEX restrictions_by_citizen ON restrictions (citizen_key, kind, seq DESC)
    INCLUDE (id, version, lender_types, channels, starts_at, ends_at, lift_effective_at);

  -- Every version of every ban, and who made it.
  CREATE TABLE restriction_events (
    seq                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                   text NOT NULL,
    restriction_id       text NOT NULL,
    citizen_key          bytea NOT NULL,
    version              integer NOT NULL,
    action               text NOT NULL,
    lender_types         text NOT NULL,
    channels             text NOT NULL,
    ends_at              timestamptz,
    lift_effective_at    timestamptz,
    exemption_lender_id  text,
    exemption_ends_at    timestamptz,
    actor_kind           text NOT NULL CHECK (actor_kind IN ('citizen', 'operator')),
    actor_name           text,
    at                   timestamptz NOT NULL,
    log_index            bigint
  );
  CREATE INDEX restriction_events_by_citizen ON restriction_events (citizen_key, seq);

  CREATE TABLE exemptions (
    id              text PRIMARY KEY,
    restriction_id  text NOT NULL,
    lender_id       text NOT NULL REFERENCES lenders (id),
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    actor_kind      text NOT NULL,
    actor_name      text
  );
  CREATE INDEX exemptions_by_restriction ON exemptions (restriction_id, lender_id, ends_at);

  -- Time-ordered ids (UUIDv7) keep inserts at the end of the index.
  CREATE TABLE checks (
    id                   text PRIMARY KEY,
    lender_id            text NOT NULL,
    citizen_key          bytea NOT NULL,
    channel              text NOT NULL,
    reference            text NOT NULL,
    restricted           boolean NOT NULL,
    checked_at           timestamptz NOT NULL,
    restriction_id       text,
    restriction_version  integer,
    log_index            bigint
  );
  CREATE INDEX checks_by_citizen ON checks (citizen_key, checked_at);

  -- The transparency log (RFC 9162). Entries are the canonical bytes of each event and check.
  CREATE TABLE log_entries (
    idx   bigint PRIMARY KEY,
    data  bytea NOT NULL
  );

  -- Every completed perfect subtree: the node at (level, idx) is the root of 2^level leaves from leaf idx * 2^level.
  CREATE TABLE log_nodes (
    level  smallint NOT NULL,
    idx    bigint NOT NULL,
    hash   bytea NOT NULL,
    PRIMARY KEY (level, idx)
  );

  -- The tree's state in one row. Every write to the log locks this row first (SELECT ... FOR UPDATE): it is the
  -- tree-state lock that orders every node's changes and checks into one sequence.
  CREATE TABLE log_state (
    id          integer PRIMARY KEY CHECK (id = 1),
    size        bigint NOT NULL,
    right_edge  bytea NOT NULL,
    checkpoint  text,
    last_at     timestamptz NOT NULL
  );
  INSERT INTO log_state (id, size, right_edge, checkpoint, last_at) VALUES (1, 0, '\\x', NULL, 'epoch');

  -- Every checkpoint signed, so that any of them can be shown consistent with the tree.
  CREATE TABLE log_checkpoints (
    size       bigint PRIMARY KEY,
    note       text NOT NULL,
    signed_at  timestamptz NOT NULL
  );

  -- Auditors read the log's entry bundles; their keys are stored as SHA-256 only, like lenders'.
  CREATE TABLE auditors (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    status      text NOT NULL CHECK (status IN ('active', 'revoked')),
    key_hash    bytea NOT NULL UNIQUE,
    key_prefix  text NOT NULL,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz
  );

  -- The first answer to a request sent with an Idempotency-Key, per caller, for 24 hours.
  -- request_hash is keyed with the pepper, since a request may hold an IIN.
  CREATE TABLE idempotency_keys (
    caller        text NOT NULL,
    key           text NOT NULL,
    request_hash  bytea NOT NULL,
    created_at    timestamptz NOT NULL,
    check_id      text,
    receipt       text,
    response      text,
    PRIMARY KEY (caller, key)
  );
  CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

  -- Every time an operator read a citizen's record, by name; kept out of the public log.
  CREATE TABLE operator_lookups (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operator     text NOT NULL,
    citizen_key  bytea NOT NULL,
    purpose      text NOT NULL,
    at           timestamptz NOT NULL
  );
  CREATE INDEX operator_lookups_by_citizen ON operator_lookups (citizen_key, seq);
  `,
  `
  -- Signed-in portal sessions, shared by every node. A session is found by the SHA-256 of its id; the id is
  -- never stored, so the table gives nobody a live session. The data names the citizen by keyed hash only.
  CREATE TABLE portal_sessions (
    id_hash  bytea PRIMARY KEY,
    data     text NOT NULL,
    ends_at  timestamptz NOT NULL
  );
  CREATE INDEX portal_sessions_by_end ON portal_sessions (ends_at);

  -- The development identity provider's state. Payloads are sealed (AES-256-GCM), since they hold the IIN;
  -- ids are stored as SHA-256, since they are bearer values; uid, user code and grant id are random lookups.
  CREATE TABLE dev_idp_records (
    model        text NOT NULL,
    id_hash      bytea NOT NULL,
    payload      bytea NOT NULL,
    uid          text,
    user_code    text,
    grant_id     text,
    consumed_at  timestamptz,
    expires_at   timestamptz,
    PRIMARY KEY (model, id_hash)
  );
  CREATE INDEX dev_idp_records_by_uid ON dev_idp_records (model, uid) WHERE uid IS NOT NULL;
  CREATE INDEX dev_idp_records_by_user_code ON dev_idp_records (model, user_code) WHERE user_code IS NOT NULL;
  CREATE INDEX dev_idp_records_by_grant ON dev_idp_records (grant_id) WHERE grant_id IS NOT NULL;
  CREATE INDEX dev_idp_records_by_expiry ON dev_idp_records (expires_at) WHERE expires_at IS NOT NULL;
  `,
  `
  -- A lender's requests per fixed window (bucket: the route and the lender), shared by every node. UNLOGGED: a
  -- count needs neither WAL nor replica, and losing it in a crash only forgives the current window.
  CREATE UNLOGGED TABLE rate_limit_windows (
    bucket        text NOT NULL,
    window_start  timestamptz NOT NULL,
    count         integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
  );

  -- Who runs a scheduled job in the current period (until: when the lease ends): only the holder.
  CREATE TABLE job_leases (
    name    text PRIMARY KEY,
    holder  text NOT NULL,
    until   timestamptz NOT NULL
  );
  `,
];
