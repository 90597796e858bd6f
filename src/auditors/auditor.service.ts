import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import { validateDisplayName } from '../identity/display-name.js';
import { newId } from '../ids.js';
import { generateApiKey, hashApiKey, hasKeyShape, keyPrefixOf } from '../lenders/api-key.js';
import { LruCache } from '../lenders/lru.js';
import type { Auditor, AuditorRepository } from './auditor.js';

const MAX_CACHE_ENTRIES = 1_000;

/** Auditor keys: issued once, stored as a hash, refused within a second of revocation. */
export class AuditorService {
  // Keyed by the key's hash, never the key: a cache of what callers sent must not hold their secrets.
  private readonly cache = new LruCache<string, { auditor: Auditor; expiresAt: number }>(MAX_CACHE_ENTRIES);

  constructor(
    private readonly repo: AuditorRepository,
    private readonly clock: Clock,
    private readonly cacheMs: number,
  ) {}

  async add(input: { name: string }): Promise<{ auditor: Auditor; apiKey: string }> {
    const name = validateDisplayName(input.name, 'auditor name');
    const apiKey = generateApiKey('tya_');
    const auditor: Auditor = {
      id: newId(),
      name,
      status: 'active',
      keyPrefix: keyPrefixOf(apiKey),
      createdAt: this.clock.now(),
      revokedAt: null,
    };
    await this.repo.insert(auditor, hashApiKey(apiKey));
    return { auditor, apiKey };
  }

  list(): Promise<Auditor[]> {
    return this.repo.list();
  }

  async revoke(id: string): Promise<Auditor> {
    const a = await this.repo.findById(id);
    if (a === null) throw new AppError('not_found', `No auditor has the id ${id}.`);
    if (a.status === 'revoked') throw new AppError('invalid_request', 'The auditor is already revoked.');
    await this.repo.revoke(id, this.clock.now());
    this.cache.clear();
    return (await this.repo.findById(id)) as Auditor;
  }

  /** The active auditor holding this key, or null. Served from memory for at most cacheMs. */
  async authenticate(apiKey: string): Promise<Auditor | null> {
    if (!hasKeyShape(apiKey, 'tya_')) return null;
    const hash = hashApiKey(apiKey);
    const id = hash.toString('base64');
    const now = Date.now();
    const hit = this.cache.get(id);
    if (hit !== undefined && hit.expiresAt > now) return hit.auditor;
    const found = await this.repo.findByKeyHash(hash);
    const auditor = found !== null && found.status === 'active' ? found : null;
    // Unknown keys are not remembered, so guessing cannot push real auditors out of the cache.
    if (this.cacheMs > 0 && auditor !== null) this.cache.set(id, { auditor, expiresAt: now + this.cacheMs });
    else this.cache.delete(id);
    return auditor;
  }
}
