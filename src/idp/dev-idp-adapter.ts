import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import type { DevIdpRepository, FoundDevIdpRecord } from './dev-idp.repository.js';

/** The models whose records are issued under a grant, and go when it is revoked (as oidc-provider's own adapter does). */
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The key that seals the provider's payloads at rest: HKDF-SHA-256 (RFC 5869) of the provider's secret. */
export function devIdpStateKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), 'tyiym dev idp state v1', 32));
}

/** The SHA-256 of a record's id: ids are bearer values (the provider's session cookie, a code, a token). */
export function devIdpIdHash(id: string): Buffer {
  return createHash('sha256').update(id, 'utf8').digest();
}

/** The sealed payload is bound to its model and id, so that no row's payload can be passed off as another's. */
function associatedData(model: string, idHash: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${model}\0`, 'utf8'), idHash]);
}

/** AES-256-GCM: iv ‖ ciphertext ‖ tag. */
export function sealPayload(key: Buffer, model: string, idHash: Buffer, payload: AdapterPayload): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(associatedData(model, idHash));
  const body = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

/** The payload, or null if it was not sealed with this key for this model and id. */
export function openPayload(key: Buffer, model: string, idHash: Buffer, sealed: Buffer): AdapterPayload | null {
  if (sealed.length < IV_BYTES + TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
    decipher.setAAD(associatedData(model, idHash));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as AdapterPayload;
  } catch {
    return null;
  }
}

/**
 * oidc-provider's storage, one adapter per model, in the registry's store: every node of the portal
 * can carry on a sign-in that another began, and a restart loses none. Payloads name the citizen by
 * IIN (the account id), so they are sealed before they leave the process.
 */
class DevIdpAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly repository: DevIdpRepository,
    private readonly key: Buffer,
    private readonly now: () => number,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const idHash = devIdpIdHash(id);
    const expires = Number.isFinite(expiresIn) && expiresIn > 0 ? new Date(this.now() + expiresIn * 1000) : null;
    await this.repository.upsert({
      model: this.model,
      idHash,
      payload: sealPayload(this.key, this.model, idHash, payload),
      uid: this.model === 'Session' && typeof payload.uid === 'string' ? payload.uid : null,
      userCode: typeof payload.userCode === 'string' ? payload.userCode : null,
      grantId: GRANTABLE.has(this.model) && typeof payload.grantId === 'string' ? payload.grantId : null,
      expiresAt: expires,
    });
  }

  private open(found: FoundDevIdpRecord | null): AdapterPayload | undefined {
    if (found === null) return undefined;
    const payload = openPayload(this.key, this.model, found.idHash, found.payload);
    // Sealed with another key (the secret was replaced): as good as gone.
    if (payload === null) return undefined;
    if (found.consumedAt !== null) payload.consumed = Math.floor(found.consumedAt.getTime() / 1000);
    return payload;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.open(await this.repository.find(this.model, devIdpIdHash(id), new Date(this.now())));
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.open(await this.repository.findByUid(this.model, uid, new Date(this.now())));
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.open(await this.repository.findByUserCode(this.model, userCode, new Date(this.now())));
  }

  async consume(id: string): Promise<void> {
    await this.repository.consume(this.model, devIdpIdHash(id), new Date(this.now()));
  }

  async destroy(id: string): Promise<void> {
    await this.repository.destroy(this.model, devIdpIdHash(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.repository.revokeByGrantId(grantId);
  }
}

/** The adapter factory for the development provider, over `repository`, sealing with a key derived from `secret`. */
export function devIdpAdapter(repository: DevIdpRepository, secret: string, now: () => number = Date.now): AdapterFactory {
  const key = devIdpStateKey(secret);
  return (model) => new DevIdpAdapter(model, repository, key, now);
}
