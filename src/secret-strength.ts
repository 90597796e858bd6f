/**
 * How a configured secret is read (hex or base64) and when it is too weak to use. The pepper
 * keys every citizen key: if it can be guessed, anyone holding the database can test IIN
 * guesses against it, so a placeholder or a passphrase must never reach production.
 *
 * The rule, for 32 or more bytes from `openssl rand` (or `tyiym secrets generate`), which
 * a random value fails with a probability below 10⁻¹⁰:
 * - the text is hex (an even number of digits) or base64 / base64url; whitespace is ignored;
 * - base64 text uses at least 18 different characters (43 random ones use about 31), so a long
 *   passphrase of letters alone, or 'x' × 43, is not taken for base64;
 * - it decodes to at least 32 bytes, with at least 16 different byte values (32 random bytes
 *   hold about 30), and is not a shorter pattern repeated;
 * - not all of those bytes are printable ASCII: that is text, such as an encoded passphrase.
 */
export const MIN_SECRET_BYTES = 32;
const MIN_DISTINCT_BYTES = 16;
const MIN_DISTINCT_BASE64_CHARS = 18;

export interface ReadSecret {
  bytes: Buffer;
  /** Why the secret is weak, as the end of a sentence about it ("…is one byte repeated"), or null. */
  weakness: string | null;
}

const HEX = /^(?:[0-9a-f]{2})+$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+={0,2})$/;

/** Reads a secret from its text; text that is neither hex nor base64 is read leniently, as before, and marked weak. */
export function readSecret(raw: string): ReadSecret {
  const text = raw.replace(/\s+/g, '');
  if (HEX.test(text)) {
    const bytes = Buffer.from(text, 'hex');
    return { bytes, weakness: bytesWeakness(bytes) };
  }
  const bytes = Buffer.from(text, 'base64');
  if (!BASE64.test(text)) return { bytes, weakness: 'is neither hex nor base64 (a passphrase?)' };
  if (new Set(text.replace(/=+$/, '')).size < MIN_DISTINCT_BASE64_CHARS) {
    return { bytes, weakness: 'uses too few different characters to be random base64' };
  }
  return { bytes, weakness: bytesWeakness(bytes) };
}

/** Why these bytes cannot be a random secret, or null. */
export function bytesWeakness(bytes: Buffer): string | null {
  if (bytes.length < MIN_SECRET_BYTES) return `is shorter than ${MIN_SECRET_BYTES} bytes`;
  const distinct = new Set(bytes).size;
  if (distinct === 1) return 'is one byte repeated';
  if (distinct < MIN_DISTINCT_BYTES) return `holds only ${distinct} different byte values`;
  for (let period = 1; period <= bytes.length / 2; period++) {
    if (bytes.subarray(period).equals(bytes.subarray(0, bytes.length - period))) return 'repeats a shorter pattern';
  }
  if (bytes.every((b) => b >= 0x20 && b <= 0x7e)) return 'is printable text, not random bytes';
  return null;
}
