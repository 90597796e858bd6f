import type { Command } from 'commander';
import type { Auditor } from '../auditors/auditor.js';
import { withServices } from './context.js';
import { printJson, run } from './output.js';

function auditorJson(a: Auditor) {
  return {
    id: a.id,
    name: a.name,
    status: a.status,
    keyPrefix: a.keyPrefix,
    createdAt: a.createdAt.toISOString(),
    revokedAt: a.revokedAt?.toISOString() ?? null,
  };
}

export function registerAuditorCommands(program: Command): void {
  const auditor = program.command('auditor').description('manage the keys that may read the log’s entry bundles');

  auditor
    .command('add')
    .description('issue an auditor key and print it once')
    .requiredOption('--name <name>', 'who holds the key (a team, a court expert, a witness)')
    .option('--json', 'print {"id", "apiKey"} as JSON')
    .action((opts: { name: string; json?: boolean }) =>
      run(() =>
        withServices(async (s) => {
          const { auditor: a, apiKey } = await s.auditors.add(opts);
          if (opts.json) return printJson({ id: a.id, apiKey });
          process.stdout.write(
            `Auditor ${a.name}\n  id:      ${a.id}\n  API key: ${apiKey}\n` +
              'The key is shown only this once and is stored only as a hash. It reads every entry bundle of the log.\n',
          );
        }),
      ),
    );

  auditor
    .command('list')
    .description('list auditor keys')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      run(() =>
        withServices(async (s) => {
          const all = await s.auditors.list();
          if (opts.json) return printJson(all.map(auditorJson));
          if (all.length === 0) return void process.stdout.write('No auditors.\n');
          for (const a of all) process.stdout.write(`${a.id}  ${a.status.padEnd(7)}  ${a.keyPrefix}…  ${a.name}\n`);
        }),
      ),
    );

  auditor
    .command('revoke')
    .description('revoke an auditor key; it is refused within a second')
    .argument('<id>', 'auditor id')
    .option('--json', 'print JSON')
    .action((id: string, opts: { json?: boolean }) =>
      run(() =>
        withServices(async (s) => {
          const a = await s.auditors.revoke(id);
          if (opts.json) printJson(auditorJson(a));
          else process.stdout.write(`Revoked auditor ${a.name} (${a.id}); its key is refused from now on.\n`);
        }),
      ),
    );
}
