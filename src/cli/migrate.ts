import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { migrateStore } from '../store/open.js';
import { printJson, run } from './output.js';

export function registerMigrateCommands(program: Command): void {
  program
    .command('migrate')
    .description('bring the store named by DATABASE_URL up to this version’s schema (serve also does this on start)')
    .option('--json', 'print the result as JSON')
    .action((options: { json?: boolean }) =>
      run(async () => {
        // No secrets are read: an operator can migrate before the first node starts.
        const result = await migrateStore(loadConfig().database);
        if (options.json) printJson(result);
        else
          process.stdout.write(
            `${result.engine}: ${result.applied === 0 ? 'already up to date' : `${result.applied} migration(s) applied`}; schema version ${result.version}\n`,
          );
      }),
    );
}
