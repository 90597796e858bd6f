import { createHash } from 'node:crypto';
import { VerifyError } from './errors.js';

/*
 * The bytes of a log leaf (the "entry" whose leaf hash goes into the tree):
 *
 *   version (1 byte) ‖ type (1 byte) ‖ field₁ ‖ … ‖ fieldₙ
 *   field = length (4 bytes, big-endian) ‖ bytes
 *
 * Fields come in a fixed order per version and type; text is UTF-8 without control characters; absent
 * values are empty fields; lists are comma-joined. Every field is validated on encode and on decode, so
 * a value has exactly one encoding and encodeEntry(decodeEntry(b)) returns b. An entry is at most
 * 65,535 bytes, so that it fits the 16-bit length prefix of a tlog-tiles entry bundle.
 *
 * No field can carry an IIN: the citizen is the 32-byte citizen key (HMAC-SHA-256 of the IIN).
 *
 * Version 2 (written since) holds no free text at all: a lender's reference and an operator's name are
 * replaced by salted SHA-256 commitments (referenceHash, operatorHash) that whoever holds the text can
 * recompute, and no one else can read. Version 1 entries, which held both as text, still decode.
 */

export const ENTRY_VERSION = 2;
export const ENTRY_VERSIONS = [1, 2] as const;
export type EntryVersion = (typeof ENTRY_VERSIONS)[number];
export const MAX_ENTRY_SIZE = 0xffff;
export const CITIZEN_KEY_SIZE = 32;
export const COMMITMENT_SIZE = 32;

export const ENTRY_TYPES = { check: 1, restriction_event: 2 } as const;
export type EntryType = keyof typeof ENTRY_TYPES;

export const EVENT_ACTIONS = ['placed', 'changed', 'lift_requested', 'lift_cancelled', 'exemption_opened'] as const;
export type EventAction = (typeof EVENT_ACTIONS)[number];
export const ACTOR_KINDS = ['citizen', 'operator'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

function commitment(domain: string, id: string, text: string): Buffer {
  return createHash('sha256').update(`${domain}\0${id}\0`, 'utf8').update(text, 'utf8').digest();
}

/**
 * What a version-2 check entry holds instead of the lender's reference:
 * SHA-256("tyiym/reference/v2" ‖ 0x00 ‖ checkId ‖ 0x00 ‖ reference), all UTF-8. The lender, who knows
 * both, recomputes it to match a receipt to its application; the check id salts it, so equal
 * references in two entries look unrelated.
 */
export function referenceHash(checkId: string, reference: string): Buffer {
  return commitment('tyiym/reference/v2', checkId, reference);
}

/** What a version-2 event entry holds instead of an operator's name: the same construction, salted by the event id. */
export function operatorHash(eventId: string, operatorName: string): Buffer {
  return commitment('tyiym/operator/v2', eventId, operatorName);
}

interface CheckFields {
  type: 'check';
  checkId: string;
  lenderId: string;
  lenderType: string;
  citizenKey: Uint8Array;
  channel: string;
  restricted: boolean;
  /** RFC 3339 UTC with milliseconds, as Date#toISOString writes it. */
  checkedAt: string;
}

/** A lender's check and the registry's answer. */
export interface CheckEntry extends CheckFields {
  entryVersion: 2;
  /** referenceHash(checkId, reference). */
  referenceHash: Uint8Array;
}

/** A check as version 1 logged it, with the reference as text. */
export interface CheckEntryV1 extends CheckFields {
  entryVersion: 1;
  reference: string;
}

interface EventFields {
  type: 'restriction_event';
  eventId: string;
  restrictionId: string;
  citizenKey: Uint8Array;
  kind: string;
  version: number;
  action: EventAction;
  /** A set, kept in the order given; no duplicates. */
  lenderTypes: string[];
  channels: string[];
  endsAt: string | null;
  liftEffectiveAt: string | null;
  /** Both set exactly when the action is exemption_opened. */
  exemptionLenderId: string | null;
  exemptionEndsAt: string | null;
  actorKind: ActorKind;
  at: string;
}

/** One change to a ban: the version of the ban it produced (`version`) and who made it. */
export interface RestrictionEventEntry extends EventFields {
  entryVersion: 2;
  /** operatorHash(eventId, name), set exactly when the actor is an operator. */
  operatorHash: Uint8Array | null;
}

/** A change as version 1 logged it, with the operator's name as text. */
export interface RestrictionEventEntryV1 extends EventFields {
  entryVersion: 1;
  /** Set exactly when the actor is an operator. */
  actorName: string | null;
}

export type Entry = CheckEntry | RestrictionEventEntry;
/** Any entry a log may hold, of either format version. */
export type AnyCheckEntry = CheckEntry | CheckEntryV1;
export type AnyEventEntry = RestrictionEventEntry | RestrictionEventEntryV1;
export type AnyEntry = AnyCheckEntry | AnyEventEntry;

// A field codec turns one property into its bytes and back; both directions validate.
interface Codec<T> {
  encode(value: T, name: string): Buffer;
  decode(bytes: Buffer, name: string): T;
}

const invalid = (name: string, why: string) => new VerifyError('invalid_entry', `Invalid entry field ${name}: ${why}.`);
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function checkText(s: unknown, name: string): string {
  if (typeof s !== 'string') throw invalid(name, 'not a string');
  if (s === '') throw invalid(name, 'empty');
  if (/\p{Cc}|\p{Cs}/u.test(s)) throw invalid(name, 'holds a control character or is not valid Unicode');
  return s;
}

function textFromBytes(b: Buffer, name: string): string {
  try {
    return utf8.decode(b);
  } catch {
    throw invalid(name, 'not valid UTF-8');
  }
}

const text: Codec<string> = {
  encode: (v, n) => Buffer.from(checkText(v, n), 'utf8'),
  decode: (b, n) => checkText(textFromBytes(b, n), n),
};

const TOKEN = /^[a-z][a-z0-9_]*$/;
const token: Codec<string> = {
  encode: (v, n) => {
    if (typeof v !== 'string' || !TOKEN.test(v)) throw invalid(n, 'expected a lower-case token');
    return Buffer.from(v, 'ascii');
  },
  decode: (b, n) => {
    const s = b.toString('latin1');
    token.encode(s, n);
    return s;
  },
};

function oneOf<T extends string>(values: readonly T[]): Codec<T> {
  const check = (v: unknown, n: string): T => {
    if (!values.includes(v as T)) throw invalid(n, `expected one of ${values.join(', ')}`);
    return v as T;
  };
  return { encode: (v, n) => Buffer.from(check(v, n), 'ascii'), decode: (b, n) => check(b.toString('latin1'), n) };
}

const tokenList: Codec<string[]> = {
  encode: (v, n) => {
    if (!Array.isArray(v) || v.length === 0) throw invalid(n, 'expected a non-empty list');
    if (new Set(v).size !== v.length) throw invalid(n, 'holds a duplicate');
    return Buffer.from(v.map((t) => token.encode(t, n).toString('ascii')).join(','), 'ascii');
  },
  decode: (b, n) => {
    const list = b.toString('latin1').split(',');
    tokenList.encode(list, n);
    return list;
  },
};

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
function checkInstant(v: unknown, n: string): string {
  if (typeof v !== 'string' || !TIMESTAMP.test(v) || Number.isNaN(Date.parse(v)) || new Date(v).toISOString() !== v)
    throw invalid(n, 'expected an RFC 3339 UTC instant with milliseconds (YYYY-MM-DDTHH:mm:ss.sssZ)');
  return v;
}
const instant: Codec<string> = {
  encode: (v, n) => Buffer.from(checkInstant(v, n), 'ascii'),
  decode: (b, n) => checkInstant(b.toString('latin1'), n),
};

const citizenKey: Codec<Uint8Array> = {
  encode: (v, n) => {
    if (!(v instanceof Uint8Array) || v.length !== CITIZEN_KEY_SIZE)
      throw invalid(n, `the citizen key must be ${CITIZEN_KEY_SIZE} raw bytes (HMAC-SHA-256 of the IIN), never an IIN`);
    return Buffer.from(v);
  },
  decode: (b, n) => {
    citizenKey.encode(b, n);
    return Buffer.from(b);
  },
};

const digest: Codec<Uint8Array> = {
  encode: (v, n) => {
    if (!(v instanceof Uint8Array) || v.length !== COMMITMENT_SIZE) throw invalid(n, `expected ${COMMITMENT_SIZE} raw bytes`);
    return Buffer.from(v);
  },
  decode: (b, n) => {
    digest.encode(b, n);
    return Buffer.from(b);
  },
};

const flag: Codec<boolean> = {
  encode: (v, n) => {
    if (typeof v !== 'boolean') throw invalid(n, 'expected true or false');
    return Buffer.from(v ? '1' : '0', 'ascii');
  },
  decode: (b, n) => {
    const s = b.toString('latin1');
    if (s !== '0' && s !== '1') throw invalid(n, 'expected "0" or "1"');
    return s === '1';
  },
};

const positiveInteger: Codec<number> = {
  encode: (v, n) => {
    if (!Number.isSafeInteger(v) || v < 1) throw invalid(n, 'expected a positive integer');
    return Buffer.from(String(v), 'ascii');
  },
  decode: (b, n) => {
    const s = b.toString('latin1');
    if (!/^[1-9][0-9]*$/.test(s)) throw invalid(n, 'expected a canonical positive decimal');
    positiveInteger.encode(Number(s), n);
    return Number(s);
  },
};

/** null is the empty field; any other value must be valid and non-empty. */
function optional<T>(inner: Codec<T>): Codec<T | null> {
  return {
    encode: (v, n) => (v === null ? Buffer.alloc(0) : inner.encode(v, n)),
    decode: (b, n) => (b.length === 0 ? null : inner.decode(b, n)),
  };
}

type Fields<E> = { [K in Exclude<keyof E, 'type' | 'entryVersion'>]: Codec<E[K]> };

// The order of these keys is the order of the fields on the wire; never reorder them within a version.
// The format version (`entryVersion`) is written in the header, so it is not a field.
const CHECK_FIELDS_V1: Fields<CheckEntryV1> = {
  checkId: text,
  lenderId: text,
  lenderType: token,
  citizenKey,
  channel: token,
  reference: text,
  restricted: flag,
  checkedAt: instant,
};

const CHECK_FIELDS_V2: Fields<CheckEntry> = {
  checkId: text,
  lenderId: text,
  lenderType: token,
  citizenKey,
  channel: token,
  referenceHash: digest,
  restricted: flag,
  checkedAt: instant,
};

const EVENT_FIELDS_COMMON = {
  eventId: text,
  restrictionId: text,
  citizenKey,
  kind: token,
  version: positiveInteger,
  action: oneOf(EVENT_ACTIONS),
  lenderTypes: tokenList,
  channels: tokenList,
  endsAt: optional(instant),
  liftEffectiveAt: optional(instant),
  exemptionLenderId: optional(text),
  exemptionEndsAt: optional(instant),
  actorKind: oneOf(ACTOR_KINDS),
};

const EVENT_FIELDS_V1: Fields<RestrictionEventEntryV1> = { ...EVENT_FIELDS_COMMON, actorName: optional(text), at: instant };
const EVENT_FIELDS_V2: Fields<RestrictionEventEntry> = { ...EVENT_FIELDS_COMMON, operatorHash: optional(digest), at: instant };

type Schema = Record<string, Codec<unknown>>;
const SCHEMAS: Record<EntryVersion, Record<EntryType, Schema>> = {
  1: { check: CHECK_FIELDS_V1 as Schema, restriction_event: EVENT_FIELDS_V1 as Schema },
  2: { check: CHECK_FIELDS_V2 as Schema, restriction_event: EVENT_FIELDS_V2 as Schema },
};

/** Rules across fields, checked on encode and on decode. */
function checkInvariants(e: AnyEntry): void {
  if (e.type !== 'restriction_event') return;
  const named = e.entryVersion === 1 ? e.actorName !== null : e.operatorHash !== null;
  if ((e.actorKind === 'operator') !== named)
    throw invalid(e.entryVersion === 1 ? 'actorName' : 'operatorHash', 'set exactly when the actor is an operator');
  const exempting = e.action === 'exemption_opened';
  if ((e.exemptionLenderId !== null) !== exempting || (e.exemptionEndsAt !== null) !== exempting)
    throw invalid('exemptionLenderId', 'the exemption fields are set exactly when the action is exemption_opened');
}

/**
 * The canonical bytes of an entry, of either format version (the registry writes version 2 only).
 * Throws a VerifyError (invalid_entry) for any invalid or unknown property.
 */
export function encodeEntry(entry: AnyEntry): Buffer {
  if (entry === null || typeof entry !== 'object') throw new VerifyError('invalid_entry', 'An entry must be an object.');
  const type = (entry as { type: unknown }).type;
  if (typeof type !== 'string' || !Object.hasOwn(ENTRY_TYPES, type)) throw invalid('type', `unknown entry type ${String(type)}`);
  const versionKey = 'entryVersion';
  const version = (entry as unknown as Record<string, unknown>)[versionKey];
  if (!ENTRY_VERSIONS.includes(version as EntryVersion))
    throw invalid(versionKey, `expected one of ${ENTRY_VERSIONS.join(', ')}`);
  const schema = SCHEMAS[version as EntryVersion][type as EntryType];
  const names = Object.keys(schema);
  const extra = Object.keys(entry).filter((k) => k !== 'type' && k !== versionKey && !Object.hasOwn(schema, k));
  if (extra.length > 0) throw invalid(extra.join(', '), 'not a field of this entry type');
  const values = entry as unknown as Record<string, unknown>;
  const parts: Buffer[] = [Buffer.from([version as number, ENTRY_TYPES[type as EntryType]])];
  for (const name of names) {
    if (!Object.hasOwn(entry, name)) throw invalid(name, 'missing');
    const bytes = (schema[name] as Codec<unknown>).encode(values[name], name);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  }
  checkInvariants(entry);
  const out = Buffer.concat(parts);
  if (out.length > MAX_ENTRY_SIZE) throw new VerifyError('invalid_entry', `An entry is at most ${MAX_ENTRY_SIZE} bytes.`);
  return out;
}

/** Decodes canonical entry bytes of either version. Throws a VerifyError (malformed_entry) on anything encodeEntry would not produce. */
export function decodeEntry(bytes: Uint8Array): AnyEntry {
  const malformed = (why: string) => new VerifyError('malformed_entry', `Malformed entry: ${why}.`);
  if (!(bytes instanceof Uint8Array)) throw malformed('not bytes');
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length > MAX_ENTRY_SIZE) throw malformed(`longer than ${MAX_ENTRY_SIZE} bytes`);
  if (b.length < 2) throw malformed('too short');
  const version = b[0] as EntryVersion;
  if (!ENTRY_VERSIONS.includes(version)) throw malformed(`unknown version ${b[0]}`);
  const type = (Object.keys(ENTRY_TYPES) as EntryType[]).find((t) => ENTRY_TYPES[t] === b[1]);
  if (type === undefined) throw malformed(`unknown entry type ${b[1]}`);
  const schema = SCHEMAS[version][type];
  const out: Record<string, unknown> = { type, entryVersion: version };
  let at = 2;
  for (const [name, codec] of Object.entries(schema)) {
    if (at + 4 > b.length) throw malformed(`it ends before field ${name}`);
    const length = b.readUInt32BE(at);
    at += 4;
    if (length > b.length - at) throw malformed(`field ${name} runs past the end`);
    try {
      out[name] = codec.decode(b.subarray(at, at + length), name);
    } catch (e) {
      throw e instanceof VerifyError ? malformed(e.message.replace(/\.$/, '')) : e;
    }
    at += length;
  }
  if (at !== b.length) throw malformed('trailing bytes after the last field');
  const entry = out as unknown as AnyEntry;
  try {
    checkInvariants(entry);
  } catch (e) {
    throw e instanceof VerifyError ? malformed(e.message.replace(/\.$/, '')) : e;
  }
  return entry;
}
