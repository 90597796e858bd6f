import { isIP } from 'node:net';
import path from 'node:path';
import { type LiftDelay, loanPolicy, type Policies, parseLiftDelay } from './registry/policy.js';
import { MIN_SECRET_BYTES, readSecret } from './secret-strength.js';

/** The one place that reads the environment. Validated once, then frozen. */
export type DatabaseConfig = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; poolSize: number };

export interface Config {
  production: boolean;
  /** Weak settings taken outside production, where they only warn; production refuses them. */
  warnings: readonly string[];
  database: DatabaseConfig;
  http: {
    host: string;
    port: number;
    bodyLimit: number;
    /**
     * The reverse proxies whose X-Forwarded-For/-Proto/-Host are believed (addresses, CIDR ranges or
     * proxy-addr's names such as `loopback`), or false: then the connection itself is the truth.
     */
    trustProxy: false | readonly string[];
  };
  rateLimitPerMinute: number;
  logLevel: string;
  /** The pepper from configuration; when absent outside production it lives in the secrets file. */
  pepper: Buffer | null;
  /**
   * Outside production, where secrets not configured are kept (created on first start, owner-only): beside a SQLite
   * file, or data/tyiym.secrets.json for PostgreSQL; nodes sharing a database must share this file.
   */
  secretsFile: string;
  /** Redis, for what several nodes must count together (a lender's rate limit); null: the store counts. */
  redisUrl: string | null;
  /** Put before every key this service writes to Redis, so that several registries (staging, production) may share one. */
  redisKeyPrefix: string;
  /** Signs session cookies; like the pepper, from configuration or the secrets file. */
  sessionSecret: Buffer | null;
  /** The transparency log: its origin line (also its key's name) and, in production, its Ed25519 key. */
  log: { origin: string; key: string | null };
  /** How long a lender's key lookup may be served from memory; bounds how late a revocation bites. */
  lenderCacheMs: number;
  policies: Policies;
  /** The citizen portal and mobile API: OpenID Connect sign-in and sessions. */
  portal: {
    /** The URL citizens reach this service at; redirect URIs and the development provider's issuer derive from it. */
    publicUrl: string;
    /** The development identity provider (oidc-provider) served at /dev-idp; never in production. */
    devIdp: boolean;
    oidc: {
      issuer: string;
      clientId: string;
      /** null: the development provider's own client, whose secret lives with the other secrets. */
      clientSecret: string | null;
      /** The ID-token / userinfo claim that carries the citizen's IIN. */
      iinClaim: string;
      /** The audience an access token for the mobile API must carry. */
      apiAudience: string;
      /** The clients (`client_id`, or `azp`) whose access tokens the mobile API takes. */
      apiClients: readonly string[];
      /** The longest lifetime (`exp - iat`) of an access token the mobile API takes. */
      apiMaxTokenMinutes: number;
    };
    sessionIdleMinutes: number;
    /** A session ends this long after sign-in however busy it is, so a stolen cookie is not good forever. */
    sessionAbsoluteHours: number;
    /** Cookies get the Secure flag when the public URL is https. */
    secureCookies: boolean;
  };
}

/** The mobile app's client at the development provider, and the default of OIDC_API_CLIENTS. */
export const DEFAULT_API_CLIENT = 'tyiym-mobile';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, not "${raw}"`);
  }
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, not "${raw}"`);
}

function parseRedisKeyPrefix(raw: string | undefined): string {
  if (raw === undefined || raw === '') return 'tyiym:';
  if (!/^[\x21-\x7e]{1,64}$/.test(raw))
    throw new ConfigError('REDIS_KEY_PREFIX must be 1 to 64 printable ASCII characters, no spaces');
  return raw;
}

function parseRedisUrl(raw: string | undefined): string | null {
  if (raw === undefined || raw.trim() === '') return null;
  if (!/^rediss?:\/\/[^/]/i.test(raw)) throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL');
  return raw;
}

export function parseDatabaseUrl(raw: string | undefined, cwd = process.cwd(), poolSize = 10): DatabaseConfig {
  if (raw === undefined || raw.trim() === '') return { kind: 'sqlite', path: path.resolve(cwd, 'data/tyiym.db') };
  if (/^postgres(ql)?:\/\//i.test(raw)) {
    try {
      new URL(raw);
    } catch {
      throw new ConfigError('DATABASE_URL is not a valid postgres:// URL');
    }
    return { kind: 'postgres', url: raw, poolSize };
  }
  if (raw.startsWith('sqlite:')) {
    const p = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (p === '') throw new ConfigError('DATABASE_URL "sqlite:" needs a file path, e.g. sqlite:./data/tyiym.db');
    return { kind: 'sqlite', path: path.resolve(cwd, p) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    throw new ConfigError(`DATABASE_URL scheme is not supported: use a file path, sqlite:PATH or postgres://…`);
  }
  return { kind: 'sqlite', path: path.resolve(cwd, raw) };
}

const MAKE_SECRETS = 'make one with `tyiym secrets generate` or `openssl rand -base64 32`';

/** A secret from the environment: too short is always refused; otherwise weak is refused in production only. */
function secretFrom(env: Env, name: string, production: boolean, warnings: string[]): Buffer | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  const { bytes, weakness } = readSecret(raw);
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new ConfigError(`${name} must hold at least ${MIN_SECRET_BYTES} random bytes (hex or base64): ${MAKE_SECRETS}`);
  }
  if (weakness !== null) {
    const message = `${name} ${weakness}: it looks too weak to be a random secret; ${MAKE_SECRETS}`;
    if (production) throw new ConfigError(`In production ${message}; refusing to start`);
    warnings.push(message);
  }
  return bytes;
}

/** localhost, *.localhost, 127.0.0.0/8 or ::1: addresses that never leave this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * OIDC_ISSUER: the code exchange carries the client secret and the provider's keys decide who
 * is signed in, so production takes https only; plain http is for a provider on this machine.
 */
function checkIssuer(issuer: string, production: boolean, warnings: string[]): void {
  if (issuer === '') return;
  const url = URL.canParse(issuer) ? new URL(issuer) : null;
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new ConfigError(`OIDC_ISSUER must be an https URL, not "${issuer}"`);
  }
  if (url.protocol === 'https:') return;
  if (production) {
    throw new ConfigError(
      `In production OIDC_ISSUER must be https, not "${issuer}": the client secret and the provider's signing keys would travel in clear; refusing to start`,
    );
  }
  if (!isLoopbackHost(url.hostname)) {
    warnings.push(`OIDC_ISSUER "${issuer}" is plain http on another machine; production refuses anything but https`);
  }
}

/**
 * Whether an endpoint named by the provider's discovery document may be used: https, or http
 * only when the issuer itself is http, which the configuration allows only outside production.
 */
export function endpointAllowed(endpoint: string, issuer: string): boolean {
  if (!URL.canParse(endpoint) || !URL.canParse(issuer)) return false;
  const { protocol } = new URL(endpoint);
  return protocol === 'https:' || (protocol === 'http:' && new URL(issuer).protocol === 'http:');
}

function list(env: Env, name: string, fallback: readonly string[]): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [...fallback];
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new ConfigError(`${name} must list at least one value, comma-separated`);
  return items;
}

const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY: the addresses of the reverse proxies in front (comma-separated IPs, CIDR ranges, or
 * `loopback`, `linklocal`, `uniquelocal`). A hop count or `true` is refused: neither can tell the
 * proxy from a client that connects directly and forges X-Forwarded-Proto (Fastify 5 disables hop counts).
 */
export function parseTrustProxy(raw: string | undefined): false | string[] {
  if (raw === undefined || /^\s*(false|off|no|0)?\s*$/i.test(raw)) return false;
  const named = 'name the proxy by its address (e.g. TRUST_PROXY=127.0.0.1 or 10.0.0.0/8)';
  if (/^\s*(true|on|yes)\s*$/i.test(raw))
    throw new ConfigError(`TRUST_PROXY="${raw.trim()}" would believe any client's forwarded headers: ${named}`);
  if (/^\s*\d+\s*$/.test(raw))
    throw new ConfigError(`TRUST_PROXY takes addresses, not a hop count, which cannot tell the proxy from a client: ${named}`);
  return raw.split(',').map((part) => {
    const entry = part.trim();
    if (PROXY_RANGES.has(entry)) return entry;
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) >= 1 && Number(prefix) <= bits);
    if (family === 0 || !prefixOk || extra !== undefined) {
      throw new ConfigError(
        `TRUST_PROXY must list proxy addresses (IP, CIDR, loopback, linklocal or uniquelocal), not "${entry}": ${named}`,
      );
    }
    return entry;
  });
}

/** What a command says over the environment: --port/--host, and the demo's default of the development provider. */
export interface ConfigOverrides {
  port?: number;
  host?: string;
  devIdpByDefault?: boolean;
}

export function loadConfig(env: Env = process.env, cwd = process.cwd(), overrides: ConfigOverrides = {}): Readonly<Config> {
  const production = env.NODE_ENV === 'production' || env.TYIYM_ENV === 'production';
  const warnings: string[] = [];
  const pepper = secretFrom(env, 'TYIYM_PEPPER', production, warnings);
  if (production && pepper === null) {
    throw new ConfigError('In production TYIYM_PEPPER must be set; refusing to start without it');
  }
  const sessionSecret = secretFrom(env, 'TYIYM_SESSION_SECRET', production, warnings);
  let liftDelay: LiftDelay;
  try {
    liftDelay = parseLiftDelay(env.LIFT_DELAY ?? '0');
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  const port = overrides.port ?? int(env, 'PORT', 8080, 0, 65535);
  const host = overrides.host ?? (env.HOST && env.HOST !== '' ? env.HOST : '127.0.0.1');
  const publicUrl = (
    env.PUBLIC_URL && env.PUBLIC_URL !== '' ? env.PUBLIC_URL : `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  ).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(publicUrl)) throw new ConfigError(`PUBLIC_URL must be an http(s) URL, not "${publicUrl}"`);
  const devIdp = bool(env, 'DEV_IDP', overrides.devIdpByDefault ?? false);
  if (production && devIdp) {
    throw new ConfigError('DEV_IDP is on: the development identity provider must never run in production; refusing to start');
  }
  // Kept exactly as given: a token's iss must match the provider's issuer, trailing slash and all.
  const issuer = env.OIDC_ISSUER && env.OIDC_ISSUER !== '' ? env.OIDC_ISSUER : devIdp ? `${publicUrl}/dev-idp` : '';
  checkIssuer(issuer, production, warnings);
  const database = parseDatabaseUrl(env.DATABASE_URL, cwd, int(env, 'DATABASE_POOL_SIZE', 10, 1, 200));
  const config: Config = {
    production,
    warnings,
    database,
    secretsFile:
      env.TYIYM_SECRETS_FILE && env.TYIYM_SECRETS_FILE !== ''
        ? path.resolve(cwd, env.TYIYM_SECRETS_FILE)
        : database.kind === 'sqlite'
          ? path.join(path.dirname(database.path), 'tyiym.secrets.json')
          : path.resolve(cwd, 'data/tyiym.secrets.json'),
    redisUrl: parseRedisUrl(env.REDIS_URL),
    redisKeyPrefix: parseRedisKeyPrefix(env.REDIS_KEY_PREFIX),
    http: { host, port, bodyLimit: 16 * 1024, trustProxy: parseTrustProxy(env.TRUST_PROXY) },
    rateLimitPerMinute: int(env, 'RATE_LIMIT_PER_MINUTE', 60_000, 0, 100_000_000),
    logLevel: env.LOG_LEVEL && env.LOG_LEVEL !== '' ? env.LOG_LEVEL : 'info',
    pepper,
    sessionSecret,
    log: {
      origin: env.LOG_ORIGIN && env.LOG_ORIGIN !== '' ? env.LOG_ORIGIN : 'tyiym.kz/log',
      key: env.TYIYM_LOG_KEY && env.TYIYM_LOG_KEY !== '' ? env.TYIYM_LOG_KEY : null,
    },
    lenderCacheMs: int(env, 'LENDER_CACHE_MS', 500, 0, 1000),
    policies: {
      loan: loanPolicy({
        maxTermMonths: int(env, 'LOAN_MAX_TERM_MONTHS', 6, 1, 120),
        allowIndefinite: bool(env, 'LOAN_ALLOW_INDEFINITE', true),
        liftDelay,
        maxExemptionHours: int(env, 'EXEMPTION_MAX_HOURS', 72, 1, 24 * 30),
      }),
    },
    portal: {
      publicUrl,
      devIdp,
      oidc: {
        issuer,
        clientId: env.OIDC_CLIENT_ID && env.OIDC_CLIENT_ID !== '' ? env.OIDC_CLIENT_ID : 'tyiym-portal',
        clientSecret: env.OIDC_CLIENT_SECRET && env.OIDC_CLIENT_SECRET !== '' ? env.OIDC_CLIENT_SECRET : null,
        iinClaim: env.OIDC_IIN_CLAIM && env.OIDC_IIN_CLAIM !== '' ? env.OIDC_IIN_CLAIM : 'iin',
        // RFC 8707 resource indicators are absolute URIs.
        apiAudience: env.OIDC_API_AUDIENCE && env.OIDC_API_AUDIENCE !== '' ? env.OIDC_API_AUDIENCE : 'urn:tyiym:api',
        apiClients: list(env, 'OIDC_API_CLIENTS', [DEFAULT_API_CLIENT]),
        apiMaxTokenMinutes: int(env, 'OIDC_API_MAX_TOKEN_MINUTES', 60, 1, 24 * 60),
      },
      sessionIdleMinutes: int(env, 'SESSION_IDLE_MINUTES', 15, 1, 24 * 60),
      sessionAbsoluteHours: int(env, 'SESSION_ABSOLUTE_HOURS', 12, 1, 7 * 24),
      secureCookies: publicUrl.startsWith('https://'),
    },
  };
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent`);
  }
  return deepFreeze(config);
}

/** What serving needs beyond the CLI: in production, the session secret and a real identity provider. */
export function assertServable(config: Readonly<Config>): void {
  if (!config.production) return;
  if (config.sessionSecret === null)
    throw new ConfigError('In production TYIYM_SESSION_SECRET must be set; refusing to start without it');
  if (config.portal.oidc.issuer === '') throw new ConfigError('In production OIDC_ISSUER must name the identity provider');
  if (config.portal.oidc.clientSecret === null) throw new ConfigError('In production OIDC_CLIENT_SECRET must be set');
  // Without it every check would answer 503 while /readyz said ready.
  if (config.log.key === null)
    throw new ConfigError('In production TYIYM_LOG_KEY must be set: the transparency log signs every check; refusing to start');
  if (!config.portal.publicUrl.startsWith('https://')) throw new ConfigError('In production PUBLIC_URL must be https');
  // The server speaks plain HTTP, so TLS ends at a proxy: unless its X-Forwarded-Proto is believed,
  // every request looks like http and the Secure session cookie is never set.
  if (config.http.trustProxy === false)
    throw new ConfigError(
      'In production PUBLIC_URL is https but TRUST_PROXY is not set: set it to the TLS proxy’s address (e.g. 127.0.0.1), or no citizen can sign in',
    );
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Buffer.isBuffer(o)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
