import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { formatCheckpoint } from '../verify/checkpoint.js';
import { ED25519_SIGNATURE_TYPE, isValidKeyName, keyIdFor, noteBytes, verifierKeyFor } from '../verify/note.js';

// The signing side of C2SP signed-note and tlog-checkpoint, with an Ed25519 key.

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
/** The private key text of Go's golang.org/x/mod/sumdb/note, understood by most transparency-log tools. */
const NOTE_PRIVATE_KEY_PREFIX = 'PRIVATE+KEY+';

/** A log's signing key. The key name should be the log's origin line. */
export interface LogKey {
  name: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The 4-byte key ID of signed-note. */
  keyId: Buffer;
  /** The note verifier key to publish: `name+hexid+base64(0x01 ‖ public key)`. */
  verifierKey: string;
}

function requireName(name: string): void {
  if (!isValidKeyName(name)) throw new Error('A key name must be non-empty, without spaces or "+".');
}

function logKey(name: string, privateKey: KeyObject): LogKey {
  requireName(name);
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error('The log key must be an Ed25519 private key.');
  const publicKey = createPublicKey(privateKey);
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length);
  return { name, privateKey, publicKey, keyId: keyIdFor(name, raw), verifierKey: verifierKeyFor(name, raw) };
}

/** A new Ed25519 log key under `name`. */
export function generateLogKey(name: string): LogKey {
  return logKey(name, generateKeyPairSync('ed25519').privateKey);
}

/** The log key from its 32-byte Ed25519 seed. */
export function logKeyFromSeed(name: string, seed: Uint8Array): LogKey {
  if (seed.length !== 32) throw new Error('An Ed25519 seed is 32 bytes.');
  return logKey(name, createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' }));
}

/** The 32-byte seed, base64: the short form for a secrets file. */
export function exportLogKeySeed(key: LogKey): string {
  return key.privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519_PREFIX.length).toString('base64');
}

/** The private key as PKCS#8 PEM. */
export function exportLogKeyPem(key: LogKey): string {
  return key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/**
 * Loads a log key from a secrets file value: PKCS#8 PEM, a base64 32-byte seed, or a
 * `PRIVATE+KEY+name+hexid+base64(0x01 ‖ seed)` note signer key (whose name and ID must match).
 */
export function loadLogKey(name: string, secret: string): LogKey {
  const s = secret.trim();
  if (s.startsWith('-----BEGIN')) return logKey(name, createPrivateKey({ key: s, format: 'pem' }));
  if (s.startsWith(NOTE_PRIVATE_KEY_PREFIX)) {
    const [keyName, hex, b64, ...rest] = s.slice(NOTE_PRIVATE_KEY_PREFIX.length).split('+');
    const typed = Buffer.from([b64, ...rest].join('+'), 'base64');
    if (keyName !== name) throw new Error(`The signer key is named "${keyName}", not "${name}".`);
    if (typed.length !== 33 || typed[0] !== ED25519_SIGNATURE_TYPE) throw new Error('The signer key is not an Ed25519 key.');
    const key = logKeyFromSeed(name, typed.subarray(1));
    if (key.keyId.toString('hex') !== hex?.toLowerCase()) throw new Error('The signer key ID does not match its key.');
    return key;
  }
  const seed = Buffer.from(s, 'base64');
  if (seed.length !== 32 || seed.toString('base64') !== s)
    throw new Error('Expected a PKCS#8 PEM key or a base64 32-byte Ed25519 seed.');
  return logKeyFromSeed(name, seed);
}

/** What signs a note: a key name, its key ID and the Ed25519 private key. A LogKey is one. */
export interface NoteSigner {
  name: string;
  keyId: Uint8Array;
  privateKey: KeyObject;
}

/** The signature line of signed-note: "— <name> <base64(key ID ‖ Ed25519 signature of the text)>". */
export function signatureLine(text: string, signer: NoteSigner): string {
  requireName(signer.name);
  const signature = sign(null, Buffer.from(text, 'utf8'), signer.privateKey);
  return `\u2014 ${signer.name} ${Buffer.concat([signer.keyId, signature]).toString('base64')}\n`;
}

/** Signs a note text (non-empty, ending with a newline, no control characters other than newline). */
export function signNote(text: string, signer: NoteSigner): string {
  noteBytes(text);
  if (text === '' || !text.endsWith('\n')) throw new Error('A note text must be non-empty and end with a newline.');
  return `${text}\n${signatureLine(text, signer)}`;
}

/** The signed C2SP checkpoint note for a tree (tlog-checkpoint), ready to serve as text/plain. */
export function signCheckpoint(
  checkpoint: { origin: string; size: number; root: Uint8Array; extensions?: readonly string[] },
  signer: NoteSigner,
): string {
  return signNote(formatCheckpoint(checkpoint), signer);
}
