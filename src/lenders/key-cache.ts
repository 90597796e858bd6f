import { hashApiKey, hasKeyShape } from './api-key.js';
import { LruCache } from './lru.js';

/**
 * Who holds an API key, served from memory for at most `ttlMs`, so that a revocation or rotation made
 * elsewhere bites within that time. Keys of the wrong shape are refused before anything else; the cache
 * is keyed by the key's hash, never the key, holds only keys that were found (guessing cannot grow it or
 * push real holders out), and drops the least recently used entry when full.
 */
export class KeyCache<T extends { status: string }> {
  private readonly entries: LruCache<string, { holder: T; expiresAt: number }>;

  constructor(
    private readonly prefix: 'tyk_' | 'tya_',
    capacity: number,
    private readonly ttlMs: number,
  ) {
    this.entries = new LruCache(capacity);
  }

  /** The active holder of this key, from memory or from `find` given the key's hash; null otherwise. */
  async lookup(apiKey: string, find: (keyHash: Buffer) => Promise<T | null>): Promise<T | null> {
    if (!hasKeyShape(apiKey, this.prefix)) return null;
    const hash = hashApiKey(apiKey);
    const id = hash.toString('base64');
    const now = Date.now();
    const hit = this.entries.get(id);
    if (hit !== undefined && hit.expiresAt > now) return hit.holder;
    const found = await find(hash);
    const holder = found !== null && found.status === 'active' ? found : null;
    if (this.ttlMs > 0 && holder !== null) this.entries.set(id, { holder, expiresAt: now + this.ttlMs });
    else this.entries.delete(id);
    return holder;
  }

  /** Forgets every key, after a change this process made itself. */
  clear(): void {
    this.entries.clear();
  }
}
