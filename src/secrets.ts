import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config.js';
import { ConfigError } from './config.js';

export interface Secrets {
  pepper: Buffer;
}

interface SecretsFile {
  pepper: string;
}

export function secretsPathFor(databasePath: string): string {
  return path.join(path.dirname(databasePath), 'tyiym.secrets.json');
}

/**
 * The secrets: from configuration when given (always in production); otherwise, for the
 * embedded default, from a file beside the database that is created on first start,
 * readable by its owner only.
 */
export function loadSecrets(config: Config): Secrets {
  if (config.pepper !== null) return { pepper: config.pepper };
  if (config.production) throw new ConfigError('In production TYIYM_PEPPER must be set');
  if (config.database.kind !== 'sqlite') {
    throw new ConfigError('TYIYM_PEPPER must be set when the database is not an embedded SQLite file');
  }
  const file = secretsPathFor(config.database.path);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (!fs.existsSync(file)) {
    const fresh: SecretsFile = { pepper: randomBytes(32).toString('hex') };
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(fresh, null, 2)}\n`, { mode: 0o600 });
    const fd = fs.openSync(tmp, 'r');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    try {
      // link() is atomic and fails if the file exists, so two processes starting at once agree on one pepper.
      fs.linkSync(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      fs.unlinkSync(tmp);
    }
  }
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(`${file} is readable by others (mode ${mode.toString(8)}); run chmod 600 on it`);
  }
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SecretsFile>;
  const pepper = Buffer.from(parsed.pepper ?? '', 'hex');
  if (pepper.length < 32) throw new ConfigError(`${file} holds no valid pepper`);
  return { pepper };
}

/** A value that identifies the pepper without revealing it, so a store can refuse the wrong one. */
export function pepperFingerprint(pepper: Buffer): string {
  return createHmac('sha256', pepper).update('tyiym pepper fingerprint v1').digest('hex').slice(0, 32);
}
