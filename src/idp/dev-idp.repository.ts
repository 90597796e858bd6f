/**
 * The development identity provider's state (oidc-provider's models: sessions, interactions, grants,
 * codes, tokens), kept in the store so that any node can carry on a sign-in another node began. The
 * repository holds payloads as sealed bytes it cannot read (see dev-idp-adapter.ts): they name the
 * citizen by IIN. A record is found by the SHA-256 of its id, since ids are bearer values (the
 * provider's session cookie, an authorization code); uid, user code and grant id are random
 * identifiers that the provider also looks records up by.
 */
export interface DevIdpRecord {
  /** oidc-provider's model name: Session, Interaction, Grant, AuthorizationCode, AccessToken… */
  model: string;
  idHash: Buffer;
  /** The sealed payload. */
  payload: Buffer;
  uid: string | null;
  userCode: string | null;
  grantId: string | null;
  /** Null for a record that does not expire. */
  expiresAt: Date | null;
}

/** A record as read back: its sealed payload, and when it was consumed (a code is redeemed once). */
export interface FoundDevIdpRecord {
  idHash: Buffer;
  payload: Buffer;
  consumedAt: Date | null;
}

export interface DevIdpRepository {
  /** Creates or replaces a record; replacing clears its consumption. */
  upsert(record: DevIdpRecord): Promise<void>;
  /** Each find ignores a record that expired at or before `now`. */
  find(model: string, idHash: Buffer, now: Date): Promise<FoundDevIdpRecord | null>;
  findByUid(model: string, uid: string, now: Date): Promise<FoundDevIdpRecord | null>;
  findByUserCode(model: string, userCode: string, now: Date): Promise<FoundDevIdpRecord | null>;
  consume(model: string, idHash: Buffer, at: Date): Promise<void>;
  destroy(model: string, idHash: Buffer): Promise<void>;
  /** Deletes every record issued under the grant, of any model. */
  revokeByGrantId(grantId: string): Promise<void>;
  /** Deletes the records that expired at or before `before`; returns how many. */
  purge(before: Date): Promise<number>;
}
