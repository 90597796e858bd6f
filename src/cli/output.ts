import { ConfigError } from '../config.js';
import { AppError } from '../errors.js';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Runs a command body; a known error becomes one clear line on stderr and exit code 1. */
export async function run(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (e instanceof AppError) {
      process.stderr.write(`error: ${e.message} [${e.code}]\n`);
    } else if (e instanceof ConfigError) {
      process.stderr.write(`configuration error: ${e.message}\n`);
    } else {
      process.stderr.write(`error: ${(e as Error).message}\n`);
    }
    process.exitCode = 1;
  }
}
