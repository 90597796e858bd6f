import type { Command } from 'commander';
import { AppError } from '../errors.js';
import type { Lender } from '../lenders/lender.js';
import { withServices } from './context.js';
import { printJson, run } from './output.js';

function lenderJson(l: Lender) {
  return {
    id: l.id,
    name: l.name,
    bin: l.bin,
    type: l.type,
    status: l.status,
    keyPrefix: l.keyPrefix,
    createdAt: l.createdAt.toISOString(),
    revokedAt: l.revokedAt?.toISOString() ?? null,
  };
}

function printKey(verb: string, l: Lender, apiKey: string): void {
  process.stdout.write(
    `${verb} ${l.name} (${l.type}, BIN ${l.bin})\n` +
      `  id:      ${l.id}\n` +
      `  API key: ${apiKey}\n` +
      'The key is shown only this once and is stored only as a hash. Hand it over securely.\n',
  );
}

export function registerLenderCommands(program: Command): void {
  const lender = program.command('lender').description('manage the banks and MFOs that may call the check API');

  lender
    .command('add')
    .description('register a lender and print its new API key once')
    .requiredOption('--name <name>', 'legal name, up to 200 characters, printable only')
    .requiredOption('--bin <bin>', 'business identification number, 12 digits')
    .requiredOption('--type <type>', 'bank or mfo')
    .option('--json', 'print {"id", "apiKey"} as JSON')
    .action((opts: { name: string; bin: string; type: string; json?: boolean }) =>
      run(() =>
        withServices(async (s) => {
          const { lender: l, apiKey } = await s.lenders.register(opts);
          if (opts.json) printJson({ id: l.id, apiKey });
          else printKey('Registered', l, apiKey);
        }),
      ),
    );

  lender
    .command('list')
    .description('list registered lenders')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      run(() =>
        withServices(async (s) => {
          const all = await s.lenders.list();
          if (opts.json) return printJson(all.map(lenderJson));
          if (all.length === 0) return void process.stdout.write('No lenders are registered.\n');
          for (const l of all) {
            process.stdout.write(`${l.id}  ${l.type.padEnd(4)}  ${l.bin}  ${l.status.padEnd(7)}  ${l.keyPrefix}…  ${l.name}\n`);
          }
        }),
      ),
    );

  lender
    .command('revoke')
    .description('revoke a lender; its key stops working within a second')
    .argument('<id>', 'lender id')
    .option('--json', 'print JSON')
    .action((id: string, opts: { json?: boolean }) =>
      run(() =>
        withServices(async (s) => {
          const l = await s.lenders.revoke(id);
          if (opts.json) printJson(lenderJson(l));
          else process.stdout.write(`Revoked ${l.name} (${l.id}); its key is refused from now on.\n`);
        }),
      ),
    );

  lender
    .command('rotate-key')
    .description('replace a lender’s API key; the old key stops working within a second, or after --overlap')
    .argument('<id>', 'lender id')
    .option('--overlap <duration>', 'keep the old key valid this long, e.g. 24h, 90m or 2d (at most 30d)', '0h')
    .option('--json', 'print {"id", "apiKey", "oldKeyValidUntil"} as JSON')
    .action((id: string, opts: { overlap: string; json?: boolean }) =>
      run(() =>
        withServices(async (s) => {
          const { lender: l, apiKey, oldKeyValidUntil } = await s.lenders.rotateKey(id, parseDuration(opts.overlap));
          const until = oldKeyValidUntil?.toISOString() ?? null;
          if (opts.json) return printJson({ id: l.id, apiKey, oldKeyValidUntil: until });
          printKey('New key for', l, apiKey);
          process.stdout.write(
            until === null ? 'The old key is refused from now on.\n' : `The old key stays valid until ${until}.\n`,
          );
        }),
      ),
    );
}

/** A duration such as 24h, 90m or 2d, in milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d{1,6})(m|h|d)$/.exec(text.trim());
  if (m === null) throw new AppError('invalid_request', `"${text}" is not a duration; write e.g. 24h, 90m or 2d.`);
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
