import { generateKeyPairSync } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { demoBin, demoIin } from '../../src/demo/seed.js';
import type { Services } from '../../src/services.js';
import { capturedLogger } from '../helpers/captured-log.js';
import { freePort } from '../helpers/cli.js';
import { type StoredPart, storedParts } from '../helpers/raw-store.js';
import { openTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { LOOPBACK } from './raw-http.js';
import { mobileAccessToken } from './sign-in.js';

/**
 * The whole app, as `tyiym serve` builds it with the development identity provider on, listening
 * on 127.0.0.1 in this process, with its pino output (at debug level) captured in memory. Lenders,
 * auditors (active and revoked) and two signed-in citizens are made the way the registry makes them.
 */

export interface Key {
  id: string;
  apiKey: string;
}

export interface Lender extends Key {
  name: string;
  bin: string;
  type: 'bank' | 'mfo';
}

export interface SecurityServer {
  app: FastifyInstance;
  reg: TestRegistry;
  services: Services;
  port: number;
  origin: string;
  lenderA: Lender;
  lenderB: Lender;
  /** A lender whose key was revoked, and a key rotated away from lender A without overlap. */
  revokedLender: Lender;
  rotatedAwayKey: string;
  auditor: Key;
  revokedAuditor: Key;
  citizenA: { iin: string; token: string };
  citizenB: { iin: string; token: string };
  /** Everything the server has logged so far. */
  logText(): string;
  /** Everything stored now: the database file, its WAL and its shared-memory index on disk, or every table's rows. */
  stored(): Promise<StoredPart[]>;
  close(): Promise<void>;
}

/** Synthetic citizens who sign in; they belong to no one. */
export const CITIZEN_A_IIN = demoIin(1987, 4, 21, 'female');
export const CITIZEN_B_IIN = demoIin(1993, 10, 5, 'male');

function devIdpSecrets() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    clientSecret: 'security-dev-idp-client-secret-0123456789abcdef',
    signingJwk: { ...privateKey.export({ format: 'jwk' }), kid: 'security-dev-idp', use: 'sig', alg: 'RS256' },
  };
}

export async function startSecurityServer(options: { env?: Record<string, string> } = {}): Promise<SecurityServer> {
  const port = await freePort();
  const origin = `http://${LOOPBACK}:${port}`;
  const reg = await openTestRegistry({
    now: new Date().toISOString(),
    env: { DEV_IDP: 'true', PUBLIC_URL: origin, ...options.env },
  });
  const services: Services = { ...reg.services, secrets: { ...reg.services.secrets, devIdp: devIdpSecrets() } };

  const { logger, text: logged } = capturedLogger();
  // The app as served: the mobile API checks tokens against the provider's published keys.
  const app = await buildApp(services, { logger });
  await app.listen({ port, host: LOOPBACK });

  const lender = async (name: string, bin: string, type: 'bank' | 'mfo'): Promise<Lender> => {
    const { lender: l, apiKey } = await services.lenders.register({ name, bin, type });
    return { id: l.id, apiKey, name, bin, type };
  };
  const lenderA = await lender('Alatau Security Bank', demoBin('99114000011'), 'bank');
  const lenderB = await lender('Dala Security Microfinance', demoBin('99124000012'), 'mfo');
  const revokedLender = await lender('Revoked Security Bank', demoBin('99134000013'), 'bank');
  await services.lenders.revoke(revokedLender.id);
  // Lender A's first key, rotated away at once: refused like any unknown key.
  const rotatedAwayKey = lenderA.apiKey;
  lenderA.apiKey = (await services.lenders.rotateKey(lenderA.id)).apiKey;

  const auditorOf = async (name: string): Promise<Key> => {
    const { auditor, apiKey } = await services.auditors.add({ name });
    return { id: auditor.id, apiKey };
  };
  const auditor = await auditorOf('Security Auditor');
  const revokedAuditor = await auditorOf('Revoked Security Auditor');
  await services.auditors.revoke(revokedAuditor.id);

  const citizenA = { iin: CITIZEN_A_IIN, token: await mobileAccessToken(origin, CITIZEN_A_IIN) };
  const citizenB = { iin: CITIZEN_B_IIN, token: await mobileAccessToken(origin, CITIZEN_B_IIN) };

  return {
    app,
    reg,
    services,
    port,
    origin,
    lenderA,
    lenderB,
    revokedLender,
    rotatedAwayKey,
    auditor,
    revokedAuditor,
    citizenA,
    citizenB,
    logText: logged,
    stored: () => storedParts({ file: reg.dbPath, url: reg.databaseUrl }),
    close: async () => {
      await app.close();
      await reg.close();
    },
  };
}
