import { type Command, InvalidArgumentError } from 'commander';
import { AppError } from '../errors.js';
import { identifyCitizen } from '../identity/citizen.js';
import { validateDisplayName } from '../identity/display-name.js';
import type { Actor, Scope } from '../registry/restriction.js';
import { recordJson } from '../registry/restriction.json.js';
import type { CitizenRecord } from '../registry/restriction.service.js';
import { formatAlmaty, lastDayOf, type TermRequest } from '../registry/term.js';
import type { Services } from '../services.js';
import { withServices } from './context.js';
import { printJson, run } from './output.js';

interface PlaceOptions {
  iin: string;
  months?: number;
  until?: string;
  indefinite?: boolean;
  lenderTypes?: string[];
  channels?: string[];
  operator: string;
  json?: boolean;
}

const positiveInt = (value: string): number => {
  if (!/^[0-9]+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
};
const csv = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

type Operator = Extract<Actor, { kind: 'operator' }>;

/** Checked before the registry is opened, so that a refused name leaves nothing behind. */
function operator(name: string): Operator {
  return { kind: 'operator', name: validateDisplayName(name, 'operator’s name') };
}

function termOf(o: PlaceOptions): TermRequest {
  const given = [o.months !== undefined, o.until !== undefined, o.indefinite === true].filter(Boolean).length;
  if (given > 1) throw new AppError('invalid_term', 'Give at most one of --months, --until and --indefinite.');
  if (o.months !== undefined) return { kind: 'months', months: o.months };
  if (o.until !== undefined) return { kind: 'until', date: o.until };
  if (o.indefinite) return { kind: 'indefinite' };
  return { kind: 'max' };
}

function describeActor(a: Actor): string {
  return a.kind === 'operator' ? `operator ${a.name}` : 'the citizen';
}

function printRecord(record: CitizenRecord): void {
  const r = record.restriction;
  const out: string[] = [];
  if (r === null) out.push('No ban is in force.');
  else {
    out.push(`Ban in force (version ${r.version}, ${r.status.replace('_', ' ')})`);
    out.push(`  lender types: ${r.scope.lenderTypes.join(', ')}`);
    out.push(`  channels:     ${r.scope.channels.join(', ')}`);
    out.push(`  since:        ${formatAlmaty(r.startsAt)}`);
    out.push(
      `  until:        ${r.endsAt === null ? 'cancelled' : `the end of ${lastDayOf(r.endsAt)} (ends ${formatAlmaty(r.endsAt)})`}`,
    );
    if (r.liftEffectiveAt !== null) out.push(`  lift takes effect: ${formatAlmaty(r.liftEffectiveAt)}`);
    for (const e of r.openExemptions) {
      out.push(`  exemption:    ${e.lender.name} (BIN ${e.lender.bin}) until ${formatAlmaty(e.endsAt)}`);
    }
  }
  out.push('', `History (${record.history.length}):`);
  for (const e of record.history) {
    out.push(`  ${formatAlmaty(e.at)}  v${e.version}  ${e.action.padEnd(16)} by ${describeActor(e.actor)}`);
  }
  out.push('', `Checks (${record.checks.length}):`);
  for (const c of record.checks) {
    out.push(
      `  ${formatAlmaty(c.checkedAt)}  ${c.restricted ? 'RESTRICTED' : 'allowed   '}  ${c.lender.name} (${c.lender.type}, ${c.channel})  ref ${c.reference}  ${c.id}`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

/**
 * Reads a citizen's whole record for an operator, recording the reading first: no record is shown
 * without a trace of who read it and why. The trace holds the citizen key, never the IIN.
 */
async function readRecord(s: Services, iin: string, by: Operator, purpose: string): Promise<CitizenRecord> {
  const citizen = identifyCitizen(s.secrets.pepper, iin);
  await s.store.lookups.record({ operator: by.name, citizenKey: citizen.key, purpose, at: s.clock.now() });
  return s.restrictions.record(citizen);
}

/** After an act: its message, or with --json the whole record, which is then a reading like `show`. */
async function report(s: Services, iin: string, by: Operator, act: string, json: boolean | undefined, message: string) {
  if (!json) return void process.stdout.write(`${message}\n`);
  const record = await readRecord(s, iin, by, act);
  printJson({ ...recordJson(record, s.clock.now()), message });
}

/** A service-centre act on one citizen: every one names the citizen and the operator, and can print JSON. */
function act(parent: Command, name: string, description: string, configure: (c: Command) => Command = (c) => c): Command {
  const c = parent.command(name).description(description).requiredOption('--iin <iin>', 'the citizen’s IIN');
  return configure(c).requiredOption('--operator <name>', 'the operator acting for the citizen').option('--json', 'print JSON');
}

export function registerRestrictionCommands(program: Command): void {
  const restriction = program
    .command('restriction')
    .description('act for a citizen at a service centre; every act is recorded with the operator’s name');

  act(restriction, 'place', 'place a ban, or change the one in force (without a term: the policy’s maximum)', (c) =>
    c
      .option('--months <n>', 'a fixed term of n months', positiveInt)
      .option('--until <date>', 'a fixed term ending after this day (YYYY-MM-DD, Asia/Almaty)')
      .option('--indefinite', 'until cancelled, where the policy allows it')
      .option('--lender-types <list>', 'bank,mfo (default: all)', csv)
      .option('--channels <list>', 'remote,in_person (default: all)', csv),
  ).action((o: PlaceOptions) =>
    run(() => {
      const by = operator(o.operator);
      return withServices(async (s) => {
        const scope: Partial<Scope> = {};
        if (o.lenderTypes) scope.lenderTypes = o.lenderTypes as Scope['lenderTypes'];
        if (o.channels) scope.channels = o.channels as Scope['channels'];
        const m = await s.restrictions.place(o.iin, { scope, term: termOf(o) }, by);
        const r = m.restriction;
        const until = r.endsAt === null ? 'until cancelled' : `until ${formatAlmaty(r.endsAt)}`;
        await report(
          s,
          o.iin,
          by,
          'place',
          o.json,
          `${m.isNew ? 'Ban placed' : `Ban changed (version ${r.version})`}, ${until}.`,
        );
      });
    }),
  );

  act(restriction, 'lift', 'lift the ban in force, after the policy’s lift delay').action(
    (o: { iin: string; operator: string; json?: boolean }) =>
      run(() => {
        const by = operator(o.operator);
        return withServices(async (s) => {
          const m = await s.restrictions.lift(o.iin, by);
          const at = m.restriction.liftEffectiveAt as Date;
          const msg =
            at <= s.clock.now()
              ? 'The ban is lifted.'
              : `The lift takes effect at ${formatAlmaty(at)}; until then the ban holds and the lift can be cancelled.`;
          await report(s, o.iin, by, 'lift', o.json, msg);
        });
      }),
  );

  act(restriction, 'cancel-lift', 'cancel a lift that has not yet taken effect').action(
    (o: { iin: string; operator: string; json?: boolean }) =>
      run(() => {
        const by = operator(o.operator);
        return withServices(async (s) => {
          await s.restrictions.cancelLift(o.iin, by);
          await report(s, o.iin, by, 'cancel-lift', o.json, 'The pending lift is cancelled; the ban goes on.');
        });
      }),
  );

  act(restriction, 'exempt', 'let one lender through the ban for a few hours; the ban holds for everyone else', (c) =>
    c
      .requiredOption('--lender-bin <bin>', 'the lender’s BIN')
      .requiredOption('--hours <h>', 'length of the window in hours', positiveInt),
  ).action((o: { iin: string; lenderBin: string; hours: number; operator: string; json?: boolean }) =>
    run(() => {
      const by = operator(o.operator);
      return withServices(async (s) => {
        const m = await s.restrictions.exempt(o.iin, { lenderBin: o.lenderBin, hours: o.hours }, by);
        await report(s, o.iin, by, 'exempt', o.json, `Exemption open until ${formatAlmaty(m.exemption?.endsAt as Date)}.`);
      });
    }),
  );

  restriction
    .command('show')
    .description('show the ban in force, its history and every check on this IIN; the reading is recorded')
    .requiredOption('--iin <iin>', 'the citizen’s IIN')
    .requiredOption('--operator <name>', 'the operator reading the record, recorded with the reading')
    .option('--json', 'print {"restriction", "history", "checks"} as JSON')
    .action((o: { iin: string; operator: string; json?: boolean }) =>
      run(() => {
        const by = operator(o.operator);
        return withServices(async (s) => {
          const record = await readRecord(s, o.iin, by, 'show');
          if (o.json) printJson(recordJson(record, s.clock.now()));
          else printRecord(record);
        });
      }),
    );
}
