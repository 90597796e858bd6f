import { Command } from 'commander';
import { registerAuditorCommands } from './auditor.js';
import { registerLenderCommands } from './lender.js';
import { registerLogCommands } from './log.js';
import { registerMigrateCommands } from './migrate.js';
import { registerRestrictionCommands } from './restriction.js';
import { registerSecretsCommands } from './secrets.js';
import { registerServeCommands } from './serve.js';

export function buildProgram(): Command {
  const program = new Command('tyiym')
    .description('Tyiym: the registry of voluntary bans on new loans and microloans')
    .showHelpAfterError()
    .exitOverride((err) => {
      // commander's own usage errors exit non-zero with its message already printed
      process.exit(err.exitCode === 0 ? 0 : 2);
    });
  registerServeCommands(program);
  registerLenderCommands(program);
  registerRestrictionCommands(program);
  registerLogCommands(program);
  registerAuditorCommands(program);
  registerSecretsCommands(program);
  registerMigrateCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
