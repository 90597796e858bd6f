import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config.js';
import { ConfigError } from './config.js';
import { exportLogKeySeed, generateLogKey, type LogKey, loadLogKey } from './log/note.js';
import { bytesWeakness } from './secret-strength.js';

export interface Secrets {
  /** The key of the citizen key: HMAC-SHA-256(pepper, IIN). */
  pepper: Buffer;
  /** Signs the portal's session cookies. */
  sessionSecret: Buffer;
  /** The development identity provider's own keys; only in the embedded default. */
  devIdp: { clientSecret: string; signingJwk: Record<string, unknown> } | null;
  /** Signs the transparency log's checkpoints; null when not configured (only the CLI's reads work then). */
  logKey: LogKey | null;
}

interface SecretsFile {
  pepper: string;
  sessionSecret?: string;
  devIdpClientSecret?: string;
  devIdpSigningJwk?: Record<string, unknown>;
  logKeySeed?: string;
}

const hex32 = () => randomBytes(32).toString('hex');

function writeAtomically(file: string, content: SecretsFile, exclusive: boolean): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  const fd = fs.openSync(tmp, 'r');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  try {
    // link() is atomic and fails if the file exists, so two processes starting at once agree on one pepper.
    if (exclusive) fs.linkSync(tmp, file);
    else fs.renameSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function newDevIdpJwk(): Record<string, unknown> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: `dev-${randomBytes(4).toString('hex')}`, use: 'sig', alg: 'RS256' };
}

/**
 * The secrets: from configuration when given (always in production); otherwise from the secrets file
 * (config.secretsFile), created on first start, readable by its owner only. Secrets added by a later version are added to an older file.
 */
export function loadSecrets(config: Config): Secrets {
  if (config.production) {
    if (config.pepper === null) throw new ConfigError('In production TYIYM_PEPPER must be set');
    // The CLI signs no sessions; serving checks that a real session secret is configured (assertServable).
    const logKey = config.log.key === null ? null : configuredLogKey(config.log.origin, config.log.key);
    return { pepper: config.pepper, sessionSecret: config.sessionSecret ?? randomBytes(32), devIdp: null, logKey };
  }
  const file = config.secretsFile;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (!fs.existsSync(file)) writeAtomically(file, { pepper: hex32() }, true);
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(`${file} is readable by others (mode ${mode.toString(8)}); run chmod 600 on it`);
  }
  const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as SecretsFile;
  if (!stored.sessionSecret || !stored.devIdpClientSecret || !stored.devIdpSigningJwk || !stored.logKeySeed) {
    writeAtomically(
      file,
      {
        ...stored,
        sessionSecret: stored.sessionSecret ?? hex32(),
        devIdpClientSecret: stored.devIdpClientSecret ?? hex32(),
        devIdpSigningJwk: stored.devIdpSigningJwk ?? newDevIdpJwk(),
        logKeySeed: stored.logKeySeed ?? exportLogKeySeed(generateLogKey(config.log.origin)),
      },
      false,
    );
    return loadSecrets(config);
  }
  const pepper = Buffer.from(stored.pepper ?? '', 'hex');
  if (pepper.length < 32) throw new ConfigError(`${file} holds no valid pepper`);
  return {
    pepper: config.pepper ?? pepper,
    sessionSecret: config.sessionSecret ?? Buffer.from(stored.sessionSecret, 'hex'),
    devIdp: { clientSecret: stored.devIdpClientSecret, signingJwk: stored.devIdpSigningJwk },
    logKey: loadLogKey(config.log.origin, config.log.key ?? stored.logKeySeed),
  };
}

/** TYIYM_LOG_KEY in production: whoever can guess its seed can sign checkpoints in the registry's name. */
function configuredLogKey(origin: string, value: string): LogKey {
  let key: LogKey;
  try {
    key = loadLogKey(origin, value);
  } catch (e) {
    throw new ConfigError(`TYIYM_LOG_KEY is not a valid log key: ${(e as Error).message}`);
  }
  const weakness = bytesWeakness(Buffer.from(exportLogKeySeed(key), 'base64'));
  if (weakness !== null) {
    throw new ConfigError(
      `In production TYIYM_LOG_KEY's seed ${weakness}: it looks too weak to be random; make one with \`tyiym secrets generate\`; refusing to start`,
    );
  }
  return key;
}

/** A value that identifies the pepper without revealing it, so a store can refuse the wrong one. */
export function pepperFingerprint(pepper: Buffer): string {
  return createHmac('sha256', pepper).update('tyiym pepper fingerprint v1').digest('hex').slice(0, 32);
}
