import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import { validateDisplayName } from '../identity/display-name.js';
import { newId } from '../ids.js';
import { generateApiKey, hashApiKey, keyPrefixOf } from '../lenders/api-key.js';
import { KeyCache } from '../lenders/key-cache.js';
import type { Auditor, AuditorRepository } from './auditor.js';

const MAX_CACHE_ENTRIES = 1_000;

/** Auditor keys: issued once, stored as a hash, refused within a second of revocation. */
export class AuditorService {
  private readonly cache: KeyCache<Auditor>;

  constructor(
    private readonly repo: AuditorRepository,
    private readonly clock: Clock,
    cacheMs: number,
  ) {
    this.cache = new KeyCache('tya_', MAX_CACHE_ENTRIES, cacheMs);
  }

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
  authenticate(apiKey: string): Promise<Auditor | null> {
    return this.cache.lookup(apiKey, (hash) => this.repo.findByKeyHash(hash));
  }
}
