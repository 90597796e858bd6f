import { createHash, randomBytes } from 'node:crypto';

/**
 * API keys are 256 random bits, so a plain SHA-256 is enough to store them: there is
 * nothing to brute-force. The prefix helps secret scanners and people tell keys apart.
 */
const PREFIX = 'tyk_';

/** A new key; auditors' keys start with `tya_`, so that the two are never confused. */
export function generateApiKey(prefix: 'tyk_' | 'tya_' = PREFIX): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** 32 bytes in base64url without padding. */
const KEY_BODY = /^[A-Za-z0-9_-]{43}$/;

/**
 * Whether a presented key has the shape of one this registry issues with this prefix. Anything
 * else is refused before it is hashed or looked up, so a caller cannot make either work harder.
 */
export function hasKeyShape(key: string, prefix: 'tyk_' | 'tya_' = PREFIX): boolean {
  return key.length === prefix.length + 43 && key.startsWith(prefix) && KEY_BODY.test(key.slice(prefix.length));
}

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function keyPrefixOf(key: string): string {
  return key.slice(0, PREFIX.length + 6);
}
