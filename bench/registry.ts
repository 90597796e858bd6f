import { randomBytes } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import cliProgress from 'cli-progress';
import { v7 as uuidv7 } from 'uuid';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { demoBin } from '../src/demo/seed.js';
import { citizenKeyOf } from '../src/identity/citizen-key.js';
import { makeIin, type Sex } from '../src/identity/iin.js';
import type { Channel, LenderType } from '../src/registry/policy.js';
import { pepperFingerprint } from '../src/secrets.js';
import { createServices } from '../src/services.js';
import { openStore } from '../src/store/open.js';
import type { SeedBan } from '../src/store/seeder.js';

/** Synthetic citizens only: every IIN here is generated, valid in form, and belongs to no one. */
export interface SeededRegistry {
  pepper: Buffer;
  keys: { bank: string; mfo: string };
  /** A sample of banned IINs, and valid IINs that have no ban. */
  banned: string[];
  unbanned: string[];
  /** A banned IIN whose ban covers every lender type and channel: a check on it must answer restricted. */
  fullyBanned: string;
  seconds: number;
}

const DAY_MS = 86_400_000;
const FIRST_BIRTHDAY = Date.UTC(1945, 0, 1);
const BIRTH_DAYS = 22_000; // birthdays from 1945 to 2005: every citizen is an adult
const ROWS_PER_CHUNK = 20_000;
const BANKS_AND_MFOS: LenderType[] = ['bank', 'mfo'];
const MFOS_ONLY: LenderType[] = ['mfo'];
const ALL_CHANNELS: Channel[] = ['remote', 'in_person'];
const REMOTE_ONLY: Channel[] = ['remote'];

/** A small seeded PRNG (mulberry32): the same mix of bans and requests on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Distinct valid IINs with their coarse facts. The birthday varies fastest, then the sex,
 * then the serial, so no (birthday, sex, serial) repeats; serials without a check digit are skipped.
 */
function* syntheticCitizens(): Generator<{ iin: string; birthYear: number; sex: Sex }> {
  for (let i = 0; ; i++) {
    const birth = new Date(FIRST_BIRTHDAY + (i % BIRTH_DAYS) * DAY_MS);
    const sex: Sex = Math.floor(i / BIRTH_DAYS) % 2 === 0 ? 'female' : 'male';
    const serial = 1 + Math.floor(i / (2 * BIRTH_DAYS));
    if (serial > 9999) throw new RangeError('ran out of synthetic IINs');
    const year = birth.getUTCFullYear();
    const iin = makeIin({ year, month: birth.getUTCMonth() + 1, day: birth.getUTCDate() }, sex, serial);
    if (iin !== null) yield { iin, birthYear: year, sex };
  }
}

/** The instant a fixed term ends: midnight in Almaty (UTC+5), `days` days from now. */
function almatyMidnightIn(days: number, now: number): number {
  return Math.floor((now + 5 * 3_600_000) / DAY_MS + days) * DAY_MS - 5 * 3_600_000;
}

/**
 * Creates a registry at `databaseUrl` (a SQLite file or a PostgreSQL database) through the project's own migrations, registers a bank and
 * an MFO, and bulk-inserts `bans` bans (one `placed` event each) in one transaction.
 */
export async function seedRegistry(databaseUrl: string, bans: number, sampleSize: number): Promise<SeededRegistry> {
  const started = performance.now();
  const pepper = randomBytes(32);
  const config = loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
  const store = await openStore(config.database, null);
  try {
    await store.bindPepper(pepperFingerprint(pepper));
    const services = createServices({
      config,
      store,
      clock: systemClock,
      secrets: { pepper, sessionSecret: randomBytes(32), devIdp: null, logKey: null },
    });
    const bank = await services.lenders.register({ name: 'Bench Bank JSC', bin: demoBin('99014000001'), type: 'bank' });
    const mfo = await services.lenders.register({ name: 'Bench Microfinance LLP', bin: demoBin('99024000002'), type: 'mfo' });

    const seeder = store.seeder();
    const random = prng(0x7915);
    const now = Date.now();
    const firstPlaced = now - 90 * DAY_MS;
    const citizens = syntheticCitizens();
    // Sampled evenly across the insertion order, so lookups reach old and recent rows alike.
    const sampleEvery = Math.max(1, Math.floor(bans / sampleSize));
    const banned: string[] = [];
    let fullyBanned: string | null = null;

    const bar = new cliProgress.SingleBar(
      {
        format: 'seeding [{bar}] {percentage}% | {value}/{total} bans | {rate} bans/s | ETA {eta}s',
        noTTYOutput: true,
        notTTYSchedule: 2000,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(bans, 0, { rate: 0 });

    // Chunks, so that between them the progress bar redraws and Ctrl+C is handled mid-seed.
    async function* chunks(): AsyncGenerator<SeedBan[]> {
      for (let n = 0; n < bans; ) {
        const end = Math.min(bans, n + ROWS_PER_CHUNK);
        // uuid draws 16 fresh random bytes per id unless given them; one draw per chunk is an order of magnitude faster.
        const entropy = randomBytes(ROWS_PER_CHUNK * 32);
        let e = 0;
        const newId = (msecs: number): string => {
          e += 16;
          return uuidv7({ msecs, random: entropy.subarray(e - 16, e) });
        };
        const chunk: SeedBan[] = [];
        for (; n < end; n++) {
          const c = citizens.next().value as { iin: string; birthYear: number; sex: Sex };
          const key = citizenKeyOf(pepper, c.iin);
          const lenderTypes = random() < 0.85 ? BANKS_AND_MFOS : MFOS_ONLY;
          const channels = random() < 0.8 ? ALL_CHANNELS : REMOTE_ONLY;
          // Placed over the last 90 days in insertion order, as a live registry would have them: seq, id
          // (time-ordered UUIDv7) and created_at all grow together.
          const startsAt = firstPlaced + Math.floor((n * 90 * DAY_MS) / bans);
          const endsAt = random() < 0.4 ? null : almatyMidnightIn(1 + Math.floor(random() * 90), now);
          const operator = random() < 0.3 ? 'Public service centre No. 1 (Almaty)' : null;
          const id = newId(startsAt);
          chunk.push({
            id,
            eventId: newId(startsAt),
            citizenKey: key,
            birthYear: c.birthYear,
            sex: c.sex,
            scope: { lenderTypes, channels },
            startsAt: new Date(startsAt),
            endsAt: endsAt === null ? null : new Date(endsAt),
            actor: operator ? { kind: 'operator', name: operator } : { kind: 'citizen' },
          });
          if (n % sampleEvery === 0 && banned.length < sampleSize) banned.push(c.iin);
          if (fullyBanned === null && lenderTypes === BANKS_AND_MFOS && channels === ALL_CHANNELS) fullyBanned = c.iin;
        }
        yield chunk;
        bar.update(n, { rate: Math.round(n / ((performance.now() - started) / 1000)) });
        await yieldToEventLoop();
      }
    }
    try {
      await seeder.bans(chunks());
    } finally {
      bar.stop();
    }
    // A compact store with fresh statistics, so the server starts as it would in service.
    await seeder.compact();

    // The next IINs in the sequence were never banned.
    const unbanned: string[] = [];
    while (unbanned.length < sampleSize) unbanned.push((citizens.next().value as { iin: string }).iin);
    if (fullyBanned === null) throw new Error('no ban covers every lender type and channel; seed more bans');

    return {
      pepper,
      keys: { bank: bank.apiKey, mfo: mfo.apiKey },
      banned,
      unbanned,
      fullyBanned,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await store.close();
  }
}
