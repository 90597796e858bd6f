import { fileURLToPath } from 'node:url';

/** The project's root folder. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Stops the benchmark with a usage error. */
export function usage(message: string): never {
  process.stderr.write(`benchmark: ${message}\n`);
  process.exit(2);
}

/** An integer setting from the environment, at least `min`. */
export function envInt(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) usage(`${name} must be an integer of at least ${min}, not "${raw}"`);
  return n;
}
