import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { decodeBase64Strict } from './base64.js';
import { VerifyError, type VerifyErrorCode } from './errors.js';

// C2SP signed-note (c2sp.org/signed-note): a UTF-8 text, a blank line, then signature lines
// "— <key name> <base64(key ID ‖ signature)>".

/** Signature type 0x01: Ed25519 (signed-note, "Signature types"). */
export const ED25519_SIGNATURE_TYPE = 0x01;
const SIGNATURE_PREFIX = '\u2014 '; // EM DASH, SPACE
const MAX_SIGNATURES = 100;
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A parsed note verifier key: `<name>+<hex key ID>+<base64(0x01 ‖ Ed25519 public key)>`. */
export interface VerifierKey {
  name: string;
  /** The 4-byte key ID. */
  keyId: Buffer;
  /** The 32-byte raw Ed25519 public key. */
  publicKey: Buffer;
  /** The key in its text form. */
  text: string;
}

export interface NoteSignature {
  name: string;
  keyId: Buffer;
  signature: Buffer;
}

export interface Note {
  /** The signed text: every line up to and including the newline before the blank line. */
  text: string;
  signatures: NoteSignature[];
}

/** signed-note "Key names": non-empty UTF-8 with no Unicode white space and no plus sign. */
export function isValidKeyName(name: string): boolean {
  return name !== '' && !/\p{White_Space}|\+|\p{Cs}/u.test(name);
}

/** Key ID = the first 4 bytes of SHA-256(name ‖ 0x0A ‖ signature type ‖ public key) (signed-note "Signatures"). */
export function keyIdFor(name: string, publicKey: Uint8Array): Buffer {
  return createHash('sha256')
    .update(Buffer.from(name, 'utf8'))
    .update(Buffer.from([0x0a, ED25519_SIGNATURE_TYPE]))
    .update(publicKey)
    .digest()
    .subarray(0, 4);
}

function rawPublicKey(key: KeyObject | Uint8Array): Buffer {
  if (key instanceof Uint8Array) {
    if (key.length !== 32) throw new VerifyError('invalid_verifier_key', 'An Ed25519 public key is 32 bytes.');
    return Buffer.from(key);
  }
  const k = key.type === 'private' ? createPublicKey(key) : key;
  if (k.asymmetricKeyType !== 'ed25519') throw new VerifyError('invalid_verifier_key', 'The key is not an Ed25519 key.');
  return k.export({ format: 'der', type: 'spki' }).subarray(ED25519_SPKI_PREFIX.length);
}

/** The verifier key text `name+hexid+base64(0x01 ‖ key)` for an Ed25519 public key (KeyObject or 32 raw bytes). */
export function verifierKeyFor(name: string, publicKey: KeyObject | Uint8Array): string {
  if (!isValidKeyName(name))
    throw new VerifyError('invalid_verifier_key', 'A key name must be non-empty, without spaces or "+".');
  const raw = rawPublicKey(publicKey);
  const typed = Buffer.concat([Buffer.from([ED25519_SIGNATURE_TYPE]), raw]);
  return `${name}+${keyIdFor(name, raw).toString('hex')}+${typed.toString('base64')}`;
}

/** Parses and checks a verifier key: valid name, 8 hex digits matching the computed key ID, an Ed25519 key. */
export function parseVerifierKey(text: string): VerifierKey {
  const bad = (why: string) => new VerifyError('invalid_verifier_key', `Invalid verifier key: ${why}.`);
  if (typeof text !== 'string') throw bad('not a string');
  const plus1 = text.indexOf('+');
  const plus2 = text.indexOf('+', plus1 + 1);
  if (plus1 < 0 || plus2 < 0) throw bad('expected name+keyid+key');
  const name = text.slice(0, plus1);
  const hex = text.slice(plus1 + 1, plus2);
  if (!isValidKeyName(name)) throw bad('the name is empty or holds spaces');
  if (!/^[0-9a-f]{8}$/i.test(hex)) throw bad('the key ID is not 8 hexadecimal digits');
  const typed = decodeBase64Strict(text.slice(plus2 + 1), 'invalid_verifier_key', 'The key');
  if (typed[0] !== ED25519_SIGNATURE_TYPE) throw bad('only Ed25519 keys (type 0x01) are supported');
  if (typed.length !== 33) throw bad('an Ed25519 key is 32 bytes');
  const publicKey = typed.subarray(1);
  const keyId = keyIdFor(name, publicKey);
  if (keyId.toString('hex') !== hex.toLowerCase()) throw bad('the key ID does not match the name and key');
  return { name, keyId, publicKey, text };
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x0a) return true;
  }
  return false;
}

/** Text as UTF-8 bytes and string, refusing what signed-note forbids: invalid UTF-8 and control characters other than newline. */
export function noteBytes(
  input: string | Uint8Array,
  what = 'The note',
  code: VerifyErrorCode = 'malformed_note',
): { text: string; bytes: Buffer } {
  let text: string;
  let bytes: Buffer;
  if (typeof input === 'string') {
    if (/\p{Cs}/u.test(input)) throw new VerifyError(code, `${what} is not valid Unicode text.`);
    text = input;
    bytes = Buffer.from(input, 'utf8');
  } else if (input instanceof Uint8Array) {
    bytes = Buffer.from(input);
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      throw new VerifyError(code, `${what} is not valid UTF-8.`);
    }
  } else {
    throw new VerifyError(code, `${what} must be a string or bytes.`);
  }
  if (hasControlCharacter(text)) throw new VerifyError(code, `${what} holds a control character other than newline.`);
  return { text, bytes };
}

/** Splits a signed note into its text and signature lines (signed-note "Format"). Verifies nothing. */
export function parseNote(input: string | Uint8Array): Note {
  const { text: all } = noteBytes(input);
  const bad = (why: string) => new VerifyError('malformed_note', `Malformed signed note: ${why}.`);
  const split = all.lastIndexOf('\n\n');
  if (split < 0) throw bad('no blank line before the signatures');
  const text = all.slice(0, split + 1);
  const block = all.slice(split + 2);
  if (block === '' || !block.endsWith('\n')) throw bad('the signature block must be non-empty and end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw bad(`more than ${MAX_SIGNATURES} signatures`);
  const signatures = lines.map((line) => {
    if (!line.startsWith(SIGNATURE_PREFIX)) throw bad('a signature line must start with "\u2014 "');
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(' ');
    if (space < 0) throw bad('a signature line must be "\u2014 <name> <signature>"');
    const name = rest.slice(0, space);
    if (!isValidKeyName(name)) throw bad('invalid key name in a signature line');
    const sig = decodeBase64Strict(rest.slice(space + 1), 'malformed_note', 'A signature');
    if (sig.length < 5) throw bad('a signature is shorter than its key ID');
    return { name, keyId: sig.subarray(0, 4), signature: sig.subarray(4) };
  });
  return { text, signatures };
}

// Importing a key costs more than checking a signature with it; a verifier checks many notes with few keys.
const keyObjects = new Map<string, KeyObject>();

function publicKeyObject(raw: Buffer): KeyObject {
  const id = raw.toString('base64');
  let k = keyObjects.get(id);
  if (k === undefined) {
    k = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
    if (keyObjects.size > 64) keyObjects.clear();
    keyObjects.set(id, k);
  }
  return k;
}

function asVerifierKey(key: string | VerifierKey): VerifierKey {
  return typeof key === 'string' ? parseVerifierKey(key) : key;
}

/**
 * Verifies a signed note against one verifier key and returns its text. Signatures by other keys are
 * ignored (cosignatures, witnesses); a signature whose name and key ID match the key must verify.
 */
export function verifyNote(input: string | Uint8Array, verifierKey: string | VerifierKey): string {
  const key = asVerifierKey(verifierKey);
  const note = parseNote(input);
  const ours = note.signatures.filter((s) => s.name === key.name && s.keyId.equals(key.keyId));
  if (ours.length === 0)
    throw new VerifyError('no_signature', `The note carries no signature by ${key.name}+${key.keyId.toString('hex')}.`);
  const publicKey = publicKeyObject(key.publicKey);
  const message = Buffer.from(note.text, 'utf8');
  for (const s of ours) {
    if (s.signature.length !== 64 || !verify(null, message, publicKey, s.signature))
      throw new VerifyError('invalid_signature', `The signature by ${key.name} does not verify.`);
  }
  return note.text;
}
