import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { run } from './output.js';

/** The settings that hold secrets, each 32 random bytes in base64 (the log key's is its Ed25519 seed). */
const SECRET_SETTINGS = ['TYIYM_PEPPER', 'TYIYM_SESSION_SECRET', 'TYIYM_LOG_KEY'] as const;

/** Shell assignments (and env-file lines): base64 needs no quoting, so the same text works in both. */
export function generateSecrets(): string {
  return SECRET_SETTINGS.map((name) => `${name}=${randomBytes(32).toString('base64')}\n`).join('');
}

export function registerSecretsCommands(program: Command): void {
  const secrets = program.command('secrets').description('make the secrets that production requires');
  secrets
    .command('generate')
    .description('print new random values for TYIYM_PEPPER, TYIYM_SESSION_SECRET and TYIYM_LOG_KEY')
    .action(() =>
      run(async () => {
        // Nothing is read or opened: this works before any configuration exists.
        process.stdout.write(generateSecrets());
      }),
    );
}
