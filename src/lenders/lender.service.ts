import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import { validateBin } from '../identity/bin.js';
import { validateDisplayName } from '../identity/display-name.js';
import { newId } from '../ids.js';
import { LENDER_TYPES, type LenderType } from '../registry/policy.js';
import { generateApiKey, hashApiKey, keyPrefixOf } from './api-key.js';
import { KeyCache } from './key-cache.js';
import type { Lender } from './lender.js';
import type { LenderRepository } from './lender.repository.js';

const MAX_CACHE_ENTRIES = 10_000;
const MAX_OVERLAP_MS = 30 * 24 * 3_600_000;

export class LenderService {
  private readonly cache: KeyCache<Lender>;

  constructor(
    private readonly repo: LenderRepository,
    private readonly clock: Clock,
    /** How long a key lookup is trusted; a revocation or rotation elsewhere bites within this time. */
    cacheMs: number,
  ) {
    this.cache = new KeyCache('tyk_', MAX_CACHE_ENTRIES, cacheMs);
  }

  async register(input: { name: string; bin: string; type: string }): Promise<{ lender: Lender; apiKey: string }> {
    const name = validateDisplayName(input.name, 'lender name');
    const bin = validateBin(input.bin);
    if (!bin.ok) throw new AppError('invalid_bin', bin.message);
    if (!(LENDER_TYPES as readonly string[]).includes(input.type)) {
      throw new AppError('invalid_request', `The lender type must be one of ${LENDER_TYPES.join(', ')}.`);
    }
    const apiKey = generateApiKey();
    const lender: Lender = {
      id: newId(),
      name,
      bin: input.bin,
      type: input.type as LenderType,
      status: 'active',
      keyPrefix: keyPrefixOf(apiKey),
      createdAt: this.clock.now(),
      revokedAt: null,
    };
    await this.repo.insert(lender, hashApiKey(apiKey));
    return { lender, apiKey };
  }

  list(): Promise<Lender[]> {
    return this.repo.list();
  }

  async get(id: string): Promise<Lender> {
    const l = await this.repo.findById(id);
    if (l === null) throw new AppError('lender_not_found', `No lender has the id ${id}.`);
    return l;
  }

  /** The lender with this BIN, which must be active to be named in an exemption. */
  async activeByBin(bin: string): Promise<Lender> {
    const v = validateBin(bin);
    if (!v.ok) throw new AppError('invalid_bin', v.message);
    const l = await this.repo.findByBin(bin);
    if (l === null) throw new AppError('lender_not_found', `No lender is registered with the BIN ${bin}.`);
    if (l.status !== 'active') throw new AppError('lender_inactive', `The lender with the BIN ${bin} is revoked.`);
    return l;
  }

  async revoke(id: string): Promise<Lender> {
    const l = await this.get(id);
    if (l.status === 'revoked') throw new AppError('lender_inactive', 'The lender is already revoked.');
    await this.repo.revoke(id, this.clock.now());
    this.cache.clear();
    return this.get(id);
  }

  /**
   * Issues a new key. With an overlap the current key stays valid that long, so the lender can deploy
   * the new one without a gap; without one (a leaked key) it is refused within a second.
   */
  async rotateKey(id: string, overlapMs = 0): Promise<{ lender: Lender; apiKey: string; oldKeyValidUntil: Date | null }> {
    if (!Number.isSafeInteger(overlapMs) || overlapMs < 0 || overlapMs > MAX_OVERLAP_MS)
      throw new AppError('invalid_request', 'The overlap must be from 0 to 30 days.');
    const l = await this.get(id);
    if (l.status === 'revoked') throw new AppError('lender_inactive', 'A revoked lender cannot get a new key.');
    const apiKey = generateApiKey();
    const oldKeyValidUntil = overlapMs > 0 ? new Date(this.clock.now().getTime() + overlapMs) : null;
    await this.repo.replaceKey(id, hashApiKey(apiKey), keyPrefixOf(apiKey), oldKeyValidUntil);
    this.cache.clear();
    return { lender: await this.get(id), apiKey, oldKeyValidUntil };
  }

  /** The active lender holding this key (its current one, or its previous one within the overlap), or null. */
  authenticate(apiKey: string): Promise<Lender | null> {
    return this.cache.lookup(apiKey, (hash) => this.repo.findByKeyHash(hash, this.clock.now()));
  }
}
