import { isDeepStrictEqual } from 'node:util';
import { CHANNELS, LENDER_TYPES, type LenderType } from '../registry/policy.js';
import { decodeBase64Strict } from '../verify/base64.js';
import { type Checkpoint, verifyCheckpoint } from '../verify/checkpoint.js';
import type { AnyCheckEntry as CheckEntry, AnyEntry as Entry, AnyEventEntry as RestrictionEventEntry } from '../verify/entry.js';
import { VerifyError } from '../verify/errors.js';
import { parseVerifierKey, type VerifierKey } from '../verify/note.js';
import { formatProof, parseProof, verifyReceipt } from '../verify/receipt.js';
import { ANY_LENDER, answerAt, answersAt, banAt, banStatusAt, type Checker, ReplayError, type ReplayedAnswer } from './replay.js';

/*
 * An evidence file: everything the log holds about one citizen up to an instant, with a receipt for
 * each entry against one signed checkpoint, and what a check would have been told at that instant.
 * It is JSON, holds no IIN, and verifies offline with the log's verifier key alone (verifyEvidence).
 */

export const EVIDENCE_FORMAT = 'tyiym-evidence/v1';

const PRIVACY_CITIZEN =
  'The citizen appears only as the citizen key, HMAC-SHA-256 of the IIN under the registry’s secret pepper: it ' +
  'identifies the person only to someone who holds both the IIN and the pepper.';
export const EVIDENCE_PRIVACY = `This file holds no IIN and no name. ${PRIVACY_CITIZEN}`;
/** Entries of format version 1 held a lender's reference and an operator's name as text; a file with one says so. */
const EVIDENCE_PRIVACY_V1 =
  'This file holds no IIN. It includes entries of the log’s first format, which hold lenders’ application ' +
  `references and operators’ names as text. ${PRIVACY_CITIZEN}`;

const EVIDENCE_ABOUT = [
  'Every entry of the Tyiym transparency log about one citizen (bans, their changes, exemptions, and lenders’ checks) ' +
    'up to the last entry at or before the instant `at`, each with its canonical bytes (base64) and a C2SP tlog-proof ' +
    'receipt against the signed checkpoint in `log.checkpoint`.',
  'The statement says what a check at `at` would have answered; it is recomputed from the entries by anyone who verifies this file.',
  'Verify offline with `tyiym receipt verify FILE --key <verifier key>`, taking the verifier key from a source you trust, ' +
    'not from this file. The receipts prove that each entry is in the log; that no entry about the citizen is missing ' +
    'can be confirmed by anyone holding a copy of the log.',
];

/** One log entry in an evidence file. `decoded` repeats the bytes for people to read; the bytes are what count. */
export interface EvidenceEntry {
  logIndex: number;
  entry: string;
  receipt: string;
  decoded: Record<string, unknown>;
}

export interface EvidenceLender {
  id: string;
  bin: string;
  name: string;
  type: LenderType;
}

export interface BanJson {
  restrictionId: string;
  kind: string;
  version: number;
  status: string;
  lenderTypes: string[];
  channels: string[];
  startsAt: string;
  endsAt: string | null;
  liftEffectiveAt: string | null;
  exemptions: { lenderId: string; startsAt: string; endsAt: string }[];
}

export interface EvidenceStatement {
  /** The loan ban a check at `at` would have read, or null when none had been placed. */
  ban: BanJson | null;
  answers: ReplayedAnswer[];
  summary: string;
}

export interface EvidenceFile {
  format: typeof EVIDENCE_FORMAT;
  about: string[];
  privacy: string;
  log: { origin: string; verifierKey: string; checkpoint: string };
  citizenKey: string;
  at: string;
  /** The lender the statement is about, as the registry knows it; null: any lender of each type. */
  lender: EvidenceLender | null;
  entries: EvidenceEntry[];
  statement: EvidenceStatement;
  createdAt: string;
}

/** The evidence is not what it claims to be; the message says which part fails and why. */
export class EvidenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvidenceError';
  }
}

/** A decoded entry as JSON: raw bytes (the citizen key, commitments) as hex, everything else as decoded. */
export function entryJson(e: Entry): Record<string, unknown> {
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v]));
}

function checkersFor(lender: EvidenceLender | null): readonly Checker[] {
  return lender === null ? ANY_LENDER : [{ lenderType: lender.type, lenderId: lender.id }];
}

function summarize(at: string, lender: EvidenceLender | null, answers: readonly ReplayedAnswer[]): string {
  const parts = (lender === null ? LENDER_TYPES : [lender.type]).map((type) => {
    const who = lender === null ? `any ${type === 'bank' ? 'bank' : 'MFO'}` : `${lender.name} (${type}, BIN ${lender.bin})`;
    const restricted = answers.filter((a) => a.lenderType === type && a.restricted).map((a) => a.channel);
    if (restricted.length === 0) return `a check by ${who} would have been allowed on every channel`;
    if (restricted.length === CHANNELS.length) return `a check by ${who} would have been restricted on every channel`;
    const allowed = CHANNELS.filter((c) => !restricted.includes(c));
    return `a check by ${who} would have been restricted on ${restricted.join(', ')} and allowed on ${allowed.join(', ')}`;
  });
  const exemptionNote = lender === null ? ' (an exemption lets one named lender through; none is assumed here)' : '';
  return `At ${at}, ${parts.join('; ')}${exemptionNote}.`;
}

/** Recomputes the statement from decoded entries: the same code the builder and every verifier run. */
export function statementFor(entries: readonly Entry[], at: Date, lender: EvidenceLender | null): EvidenceStatement {
  const events = entries.filter((e): e is RestrictionEventEntry => e.type === 'restriction_event');
  const ban = banAt(events, 'loan', at);
  const answers = answersAt(events, checkersFor(lender), at);
  const iso = (d: Date | null) => (d === null ? null : d.toISOString());
  return {
    ban:
      ban === null
        ? null
        : {
            restrictionId: ban.restrictionId,
            kind: ban.kind,
            version: ban.version,
            status: banStatusAt(ban, at),
            lenderTypes: [...ban.scope.lenderTypes],
            channels: [...ban.scope.channels],
            startsAt: ban.startsAt.toISOString(),
            endsAt: iso(ban.endsAt),
            liftEffectiveAt: iso(ban.liftEffectiveAt),
            exemptions: ban.exemptions.map((x) => ({
              lenderId: x.lenderId,
              startsAt: x.startsAt.toISOString(),
              endsAt: x.endsAt.toISOString(),
            })),
          },
    answers,
    summary: summarize(at.toISOString(), lender, answers),
  };
}

/** The instant an entry records. */
export function entryInstant(e: Entry): string {
  return e.type === 'check' ? e.checkedAt : e.at;
}

// ---- building ----------------------------------------------------------------------------------

/** One of the citizen's logged events or checks, as the registry's tables index it. */
export interface EvidenceCandidate {
  logIndex: number;
  at: Date;
}

export interface EvidenceInput {
  origin: string;
  verifierKey: string;
  /** The latest checkpoint and its size: every receipt is made against it. */
  checkpoint: string;
  size: number;
  citizenKey: Buffer;
  at: Date;
  lender: EvidenceLender | null;
  /** Every logged event and check about the citizen, in any order. */
  candidates: readonly EvidenceCandidate[];
  /** Reads the canonical bytes of one entry. */
  entry(index: number): Promise<Buffer>;
  /** The inclusion proof of `index` in the tree of `size` (RFC 9162 §2.1.3.1). */
  inclusionProof(index: number, size: number): Promise<Buffer[]>;
  now: Date;
}

/**
 * Builds an evidence file: the candidates up to the last one at or before `at`, each with its bytes and
 * a receipt against the one checkpoint given, and the statement recomputed from them. Then verifies the
 * result as a stranger would, so that a file that would not verify is never handed out.
 */
export async function buildEvidence(input: EvidenceInput): Promise<EvidenceFile> {
  const t = input.at.getTime();
  const logged = [...input.candidates].filter((c) => c.logIndex < input.size).sort((a, b) => a.logIndex - b.logIndex);
  let last = -1;
  for (const c of logged) if (c.at.getTime() <= t) last = Math.max(last, c.logIndex);
  const entries: EvidenceEntry[] = [];
  const decoded: Entry[] = [];
  for (const c of logged) {
    if (c.logIndex > last) break;
    const bytes = await input.entry(c.logIndex);
    const proof = await input.inclusionProof(c.logIndex, input.size);
    const receipt = formatProof({ index: c.logIndex, proof, checkpoint: input.checkpoint });
    const verified = verifyReceipt(receipt, bytes, input.verifierKey);
    if (!Buffer.from(verified.entry.citizenKey).equals(input.citizenKey))
      throw new Error(`Log entry ${c.logIndex} is not about this citizen.`);
    decoded.push(verified.entry);
    entries.push({ logIndex: c.logIndex, entry: bytes.toString('base64'), receipt, decoded: entryJson(verified.entry) });
  }
  const file: EvidenceFile = {
    format: EVIDENCE_FORMAT,
    about: EVIDENCE_ABOUT,
    privacy: decoded.some((e) => e.entryVersion === 1) ? EVIDENCE_PRIVACY_V1 : EVIDENCE_PRIVACY,
    log: { origin: input.origin, verifierKey: input.verifierKey, checkpoint: input.checkpoint },
    citizenKey: input.citizenKey.toString('hex'),
    at: input.at.toISOString(),
    lender: input.lender,
    entries,
    statement: statementFor(decoded, input.at, input.lender),
    createdAt: input.now.toISOString(),
  };
  verifyEvidence(file, input.verifierKey);
  return file;
}

// ---- verifying ---------------------------------------------------------------------------------

export interface VerifiedEvidence {
  checkpoint: Checkpoint;
  at: Date;
  lender: EvidenceLender | null;
  entries: { logIndex: number; entry: Entry }[];
  statement: EvidenceStatement;
  /** Each logged check, with the answer the replayed events give at its instant. */
  checks: { logIndex: number; entry: CheckEntry; replayed: boolean }[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Is this parsed JSON meant to be an evidence file? */
export function isEvidence(value: unknown): boolean {
  return isObject(value) && value.format === EVIDENCE_FORMAT;
}

function requireString(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new EvidenceError(`The evidence file has no ${what}.`);
  return v;
}

/**
 * Verifies an evidence file offline against the log's verifier key: the checkpoint's signature, every
 * receipt against that same checkpoint, that every entry is about the file's citizen key and is shown
 * as its bytes decode, and that the statement is what the entries give when replayed. Throws an
 * EvidenceError saying what fails; returns what was verified.
 */
export function verifyEvidence(value: unknown, verifierKey: string | VerifierKey): VerifiedEvidence {
  if (!isObject(value) || value.format !== EVIDENCE_FORMAT) throw new EvidenceError(`Not a ${EVIDENCE_FORMAT} file.`);
  const key = typeof verifierKey === 'string' ? parseVerifierKey(verifierKey) : verifierKey;
  const log = isObject(value.log) ? value.log : {};
  const origin = requireString(log.origin, 'log origin');
  const named = requireString(log.verifierKey, 'verifier key');
  if (named !== key.text) throw new EvidenceError(`The file names the verifier key ${named}, not the key given (${key.text}).`);
  const checkpointText = requireString(log.checkpoint, 'checkpoint');
  let checkpoint: Checkpoint;
  try {
    checkpoint = verifyCheckpoint(checkpointText, key, { origin });
  } catch (e) {
    if (e instanceof VerifyError) throw new EvidenceError(`The checkpoint does not verify: ${e.message}`);
    throw e;
  }
  const citizenKey = requireString(value.citizenKey, 'citizen key');
  if (!/^[0-9a-f]{64}$/.test(citizenKey)) throw new EvidenceError('The citizen key must be 64 lower-case hexadecimal digits.');
  const atText = requireString(value.at, 'instant "at"');
  const at = new Date(atText);
  if (Number.isNaN(at.getTime()) || at.toISOString() !== atText)
    throw new EvidenceError('The instant "at" must be written YYYY-MM-DDTHH:mm:ss.sssZ.');
  const lender = parseLender(value.lender);
  if (!Array.isArray(value.entries)) throw new EvidenceError('The evidence file has no list of entries.');

  const entries: { logIndex: number; entry: Entry }[] = [];
  let previous = -1;
  for (const [i, raw] of (value.entries as unknown[]).entries()) {
    const item = isObject(raw) ? raw : {};
    const logIndex = item.logIndex;
    const where = `Entry ${i} (log index ${String(logIndex)})`;
    if (typeof logIndex !== 'number' || !Number.isSafeInteger(logIndex) || logIndex <= previous)
      throw new EvidenceError(`${where}: log indexes must be whole numbers in increasing order.`);
    previous = logIndex;
    const receipt = requireString(item.receipt, `receipt for entry ${i}`);
    let entry: Entry;
    try {
      if (parseProof(receipt).checkpoint !== checkpointText)
        throw new EvidenceError(`${where}: its receipt is not made against the file's checkpoint.`);
      const bytes = decodeBase64Strict(requireString(item.entry, `bytes for entry ${i}`), 'malformed_entry', 'The entry');
      const verified = verifyReceipt(receipt, bytes, key, { origin });
      if (verified.index !== logIndex) throw new EvidenceError(`${where}: its receipt is for log index ${verified.index}.`);
      entry = verified.entry;
    } catch (e) {
      if (e instanceof VerifyError) throw new EvidenceError(`${where}: ${e.message}`);
      throw e;
    }
    if (Buffer.from(entry.citizenKey).toString('hex') !== citizenKey)
      throw new EvidenceError(`${where}: the entry is about another citizen key.`);
    if (!isDeepStrictEqual(item.decoded, entryJson(entry)))
      throw new EvidenceError(`${where}: its "decoded" form is not what its bytes decode to.`);
    entries.push({ logIndex, entry });
  }
  const last = entries.at(-1);
  if (last !== undefined && Date.parse(entryInstant(last.entry)) > at.getTime())
    throw new EvidenceError(`The last entry (log index ${last.logIndex}) is later than ${atText}.`);
  if (lender !== null) {
    const other = entries.find(
      (e) => e.entry.type === 'check' && e.entry.lenderId === lender.id && e.entry.lenderType !== lender.type,
    );
    if (other !== undefined)
      throw new EvidenceError(
        `The lender is said to be of type ${lender.type}, but its check at log index ${other.logIndex} says otherwise.`,
      );
  }

  const decoded = entries.map((e) => e.entry);
  let statement: EvidenceStatement;
  let checks: VerifiedEvidence['checks'];
  try {
    statement = statementFor(decoded, at, lender);
    const events = decoded.filter((e): e is RestrictionEventEntry => e.type === 'restriction_event');
    checks = entries.flatMap(({ logIndex, entry }) =>
      entry.type === 'check'
        ? [
            {
              logIndex,
              entry,
              replayed: answerAt(
                events,
                { lenderType: entry.lenderType as LenderType, lenderId: entry.lenderId },
                entry.channel as (typeof CHANNELS)[number],
                new Date(entry.checkedAt),
              ).restricted,
            },
          ]
        : [],
    );
  } catch (e) {
    if (e instanceof ReplayError) throw new EvidenceError(`The entries do not make a consistent history: ${e.message}`);
    throw e;
  }
  if (!isDeepStrictEqual(value.statement, statement))
    throw new EvidenceError(
      `The statement in the file is not what the entries give when replayed; they give: ${statement.summary}`,
    );
  return { checkpoint, at, lender, entries, statement, checks };
}

function parseLender(v: unknown): EvidenceLender | null {
  if (v === null) return null;
  if (!isObject(v)) throw new EvidenceError('The lender must be an object or null.');
  const type = v.type;
  if (!LENDER_TYPES.includes(type as LenderType))
    throw new EvidenceError(`The lender's type must be one of ${LENDER_TYPES.join(', ')}.`);
  return {
    id: requireString(v.id, 'lender id'),
    bin: requireString(v.bin, 'lender BIN'),
    name: requireString(v.name, 'lender name'),
    type: type as LenderType,
  };
}
