import fs from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { DateTime } from 'luxon';
import { AppError } from '../errors.js';
import { validateBin } from '../identity/bin.js';
import { citizenKeyOf } from '../identity/citizen-key.js';
import { validateIin } from '../identity/iin.js';
import {
  buildEvidence,
  EvidenceError,
  type EvidenceFile,
  type EvidenceLender,
  entryInstant,
  entryJson,
  isEvidence,
  type VerifiedEvidence,
  verifyEvidence,
} from '../log/evidence.js';
import { assembleAsync, inclusionPlan } from '../log/merkle.js';
import { decodeBase64Strict } from '../verify/base64.js';
import { type AnyEntry as Entry, referenceHash } from '../verify/entry.js';
import { VerifyError } from '../verify/errors.js';
import { parseVerifierKey, type VerifierKey } from '../verify/note.js';
import { type VerifiedReceipt, verifyReceipt } from '../verify/receipt.js';
import { withServices } from './context.js';
import { printJson, run } from './output.js';

/** A verifier key given on the command line, or the path of a file holding one. */
export function resolveVerifierKey(value: string): string {
  const text = !value.includes('+') && fs.existsSync(value) ? fs.readFileSync(value, 'utf8').trim() : value.trim();
  try {
    return parseVerifierKey(text).text;
  } catch (e) {
    if (e instanceof VerifyError) throw new Error(`--key: ${e.message}`);
    throw e;
  }
}

/** "1 entry", "2 entries". */
export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

// ---- tyiym receipt verify ------------------------------------------------------------------------

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fields of a saved check answer that its logged entry must repeat. */
const ANSWER_FIELDS = ['checkId', 'restricted', 'checkedAt', 'channel'] as const;

/**
 * Verifies a saved answer (a check answer, or any JSON with `entry` and `receipt`): the receipt against
 * the key, and that the answer says what its logged entry says.
 */
export function verifySavedReceipt(value: Record<string, unknown>, key: VerifierKey): VerifiedReceipt {
  if (typeof value.entry !== 'string' || typeof value.receipt !== 'string')
    throw new EvidenceError('The file must hold "entry" (base64) and "receipt" (a C2SP tlog-proof), or be an evidence file.');
  const bytes = decodeBase64Strict(value.entry, 'malformed_entry', 'The entry');
  const verified = verifyReceipt(value.receipt, bytes, key, { origin: key.name });
  if (value.logIndex !== undefined && value.logIndex !== verified.index)
    throw new EvidenceError(
      `The answer says log index ${String(value.logIndex)}, but its receipt is for log index ${verified.index}.`,
    );
  const e = verified.entry;
  if (e.type === 'check') {
    for (const field of ANSWER_FIELDS) {
      if (value[field] !== undefined && value[field] !== e[field])
        throw new EvidenceError(
          `The answer says ${field} ${JSON.stringify(value[field])}, but the logged entry says ${JSON.stringify(e[field])}.`,
        );
    }
    if (value.reference !== undefined) {
      // Version 2 logs only a commitment to the reference; the answer's text must open it.
      const same =
        e.entryVersion === 1
          ? value.reference === e.reference
          : typeof value.reference === 'string' && referenceHash(e.checkId, value.reference).equals(e.referenceHash);
      if (!same)
        throw new EvidenceError(
          `The answer says reference ${JSON.stringify(value.reference)}, but the logged entry records another.`,
        );
    }
  }
  return verified;
}

function describeEntry(e: Entry): string[] {
  const json = entryJson(e);
  const width = Math.max(...Object.keys(json).map((k) => k.length));
  return Object.entries(json)
    .filter(([k]) => k !== 'type')
    .map(([k, v]) => `  ${k.padEnd(width)}  ${v === null ? '-' : Array.isArray(v) ? v.join(', ') : String(v)}`);
}

function oneLine(e: Entry): string {
  if (e.type === 'check')
    return `check ${e.checkId} by ${e.lenderType} ${e.lenderId}, ${e.channel}, ref ${e.entryVersion === 1 ? e.reference : `#${Buffer.from(e.referenceHash).toString('hex').slice(0, 16)}`}: ${e.restricted ? 'RESTRICTED' : 'allowed'}`;
  const terms = [
    `${e.lenderTypes.join('+')} / ${e.channels.join('+')}`,
    e.endsAt === null ? 'until cancelled' : `ends ${e.endsAt}`,
    e.liftEffectiveAt === null ? null : `lift effective ${e.liftEffectiveAt}`,
    e.exemptionLenderId === null ? null : `exemption for ${e.exemptionLenderId} until ${e.exemptionEndsAt}`,
  ].filter((s) => s !== null);
  return `${e.kind} ban ${e.restrictionId} v${e.version} ${e.action} by ${e.actorKind}: ${terms.join(', ')}`;
}

function printReceipt(r: VerifiedReceipt, key: VerifierKey): void {
  const c = r.checkpoint;
  process.stdout.write(
    [
      `Log entry ${r.index} (${r.entry.type}):`,
      ...describeEntry(r.entry),
      `Included at index ${r.index} in the tree of size ${c.size} (root ${c.root.toString('base64')}),`,
      `under a checkpoint for ${c.origin} signed by ${key.text}.`,
      'verified',
      '',
    ].join('\n'),
  );
}

function printEvidence(v: VerifiedEvidence, key: VerifierKey, file: EvidenceFile): void {
  const c = v.checkpoint;
  const lines = [
    `Evidence about citizen key ${file.citizenKey} up to ${v.at.toISOString()}`,
    `Checkpoint: ${c.origin}, size ${c.size}, root ${c.root.toString('base64')}; signature by ${key.text} verified.`,
    `Entries (${v.entries.length}), each included in that tree:`,
    ...v.entries.map(({ logIndex, entry }) => `  ${String(logIndex).padStart(8)}  ${entryInstant(entry)}  ${oneLine(entry)}`),
  ];
  if (v.checks.length > 0) {
    lines.push('Logged checks against the replayed history:');
    for (const k of v.checks) {
      const same = k.entry.restricted === k.replayed;
      lines.push(
        `  ${String(k.logIndex).padStart(8)}  answered ${k.entry.restricted ? 'restricted' : 'allowed'}; ` +
          `the events replayed give ${k.replayed ? 'restricted' : 'allowed'}${same ? '' : '  <-- differs'}`,
      );
    }
  }
  const ban = v.statement.ban;
  lines.push(
    `Statement, recomputed from the entries and equal to the file's:`,
    ban === null
      ? '  no loan ban had been placed'
      : `  ban ${ban.restrictionId} v${ban.version}, ${ban.status.replace('_', ' ')}: ${ban.lenderTypes.join('+')} / ${ban.channels.join('+')}`,
    ...v.statement.answers.map(
      (a) => `  ${a.lenderType.padEnd(4)} ${a.channel.padEnd(9)} ${a.restricted ? 'restricted' : 'allowed'}`,
    ),
    `  ${v.statement.summary}`,
    'verified',
    '',
  );
  process.stdout.write(lines.join('\n'));
}

function notVerified(e: unknown): never {
  if (e instanceof VerifyError || e instanceof EvidenceError) throw new Error(`not verified: ${e.message}`);
  throw e;
}

// ---- tyiym evidence ------------------------------------------------------------------------------

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/** An RFC 3339 instant with its offset, e.g. 2026-03-10T14:30:00+05:00 or 2026-03-10T09:30:00Z. */
export function parseInstant(value: string): Date {
  const parsed = RFC3339.test(value) ? DateTime.fromISO(value, { setZone: true }) : null;
  if (!parsed?.isValid)
    throw new InvalidArgumentError(
      'must be an RFC 3339 instant with an offset, such as 2026-03-10T14:30:00+05:00 or 2026-03-10T09:30:00Z',
    );
  return parsed.toJSDate();
}

interface EvidenceOptions {
  iin: string;
  at: Date;
  lenderBin?: string;
  out?: string;
}

export function registerEvidenceCommands(program: Command): void {
  const receipt = program.command('receipt').description('verify receipts from the transparency log, offline');

  receipt
    .command('verify')
    .description(
      'verify offline, without the registry: a saved check answer (JSON with "entry" and "receipt") or an evidence file ' +
        '(every receipt in it, its checkpoint, and its statement, recomputed from the entries)',
    )
    .argument('<file>', 'the saved JSON file')
    .requiredOption(
      '--key <vkey>',
      "the log's note verifier key (name+id+key), or a file holding it; take it from a source you trust",
    )
    .option('--json', 'print what was verified as JSON')
    .action((file: string, o: { key: string; json?: boolean }) =>
      run(async () => {
        const key = parseVerifierKey(resolveVerifierKey(o.key));
        let value: unknown;
        try {
          value = JSON.parse(fs.readFileSync(file, 'utf8'));
        } catch (e) {
          throw new Error(`${file}: ${(e as Error).message}`);
        }
        if (!isObject(value)) throw new Error(`not verified: ${file} does not hold a JSON object.`);
        if (isEvidence(value)) {
          let v: VerifiedEvidence;
          try {
            v = verifyEvidence(value, key);
          } catch (e) {
            notVerified(e);
          }
          if (o.json)
            printJson({
              verified: true,
              kind: 'evidence',
              checkpoint: { origin: v.checkpoint.origin, size: v.checkpoint.size, root: v.checkpoint.root.toString('base64') },
              entries: v.entries.map(({ logIndex, entry }) => ({ logIndex, entry: entryJson(entry) })),
              checks: v.checks.map((k) => ({ logIndex: k.logIndex, restricted: k.entry.restricted, replayed: k.replayed })),
              statement: v.statement,
            });
          else printEvidence(v, key, value as unknown as EvidenceFile);
          return;
        }
        let r: VerifiedReceipt;
        try {
          r = verifySavedReceipt(value, key);
        } catch (e) {
          notVerified(e);
        }
        if (o.json)
          printJson({
            verified: true,
            kind: 'receipt',
            logIndex: r.index,
            entry: entryJson(r.entry),
            checkpoint: { origin: r.checkpoint.origin, size: r.checkpoint.size, root: r.checkpoint.root.toString('base64') },
          });
        else printReceipt(r, key);
      }),
    );

  program
    .command('evidence')
    .description(
      'write one self-contained file of every log entry about a citizen up to an instant, with receipts, ' +
        'and whether a check would have been restricted then; it holds no IIN and verifies offline with `tyiym receipt verify`',
    )
    .requiredOption('--iin <iin>', 'the citizen’s IIN (used to find the entries; it is not written to the file)')
    .requiredOption(
      '--at <time>',
      'the instant, in RFC 3339 with an offset: 2026-03-10T14:30:00+05:00 or 2026-03-10T09:30:00Z (a bare date is not accepted)',
      parseInstant,
    )
    .option('--lender-bin <bin>', 'state the answer for this lender (its type and exemptions); default: any bank and any MFO')
    .option('--out <file>', 'write the file here (default: standard output)')
    .action((o: EvidenceOptions) =>
      run(() =>
        withServices(async (s) => {
          const v = validateIin(o.iin);
          if (!v.ok) throw new AppError('invalid_iin', v.message);
          let lender: EvidenceLender | null = null;
          if (o.lenderBin !== undefined) {
            const b = validateBin(o.lenderBin);
            if (!b.ok) throw new AppError('invalid_bin', b.message);
            const l = await s.store.lenders.findByBin(o.lenderBin);
            if (l === null) throw new AppError('lender_not_found', `No lender is registered with the BIN ${o.lenderBin}.`);
            lender = { id: l.id, bin: l.bin, name: l.name, type: l.type };
          }
          const verifierKey = s.log.verifierKey;
          if (verifierKey === null) throw new Error('No log key is configured here, so the log cannot be proved from.');
          const head = await s.store.log.head();
          if (head.checkpoint === null) throw new AppError('not_found', 'The log is empty; no checkpoint has been signed yet.');
          const citizenKey = citizenKeyOf(s.secrets.pepper, o.iin);
          const [events, checks] = await Promise.all([
            s.store.restrictions.history(citizenKey),
            s.store.checks.listByCitizen(citizenKey),
          ]);
          const candidates = [
            ...events.flatMap((e) => (typeof e.logIndex === 'number' ? [{ logIndex: e.logIndex, at: e.at }] : [])),
            ...checks.flatMap((c) => (typeof c.logIndex === 'number' ? [{ logIndex: c.logIndex, at: c.checkedAt }] : [])),
          ];
          const file = await buildEvidence({
            origin: s.log.origin,
            verifierKey,
            checkpoint: head.checkpoint,
            size: head.size,
            citizenKey,
            at: o.at,
            lender,
            candidates,
            entry: async (index) => {
              const [bytes] = await s.store.log.entries(index, index + 1);
              if (bytes === undefined) throw new Error(`Log entry ${index} is missing.`);
              return bytes;
            },
            inclusionProof: (index, size) => assembleAsync(inclusionPlan(index, size), (ids) => s.store.log.hashes(ids)),
            now: s.clock.now(),
          });
          const text = `${JSON.stringify(file, null, 2)}\n`;
          if (o.out === undefined) {
            process.stdout.write(text);
            return;
          }
          fs.writeFileSync(o.out, text, { mode: 0o600 });
          const nEvents = file.entries.filter((e) => e.decoded.type === 'restriction_event').length;
          process.stdout.write(
            `Wrote ${o.out}: ${plural(file.entries.length, 'log entry', 'log entries')} ` +
              `(${plural(nEvents, 'ban event', 'ban events')}, ${plural(file.entries.length - nEvents, 'check', 'checks')}) ` +
              `up to ${file.at}, with receipts against the checkpoint of size ${head.size}.\n` +
              `${file.statement.summary}\n` +
              `Anyone can verify it offline: tyiym receipt verify ${o.out} --key ${verifierKey}\n`,
          );
        }),
      ),
    );
}
