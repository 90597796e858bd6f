import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { openPortal, type PortalApp } from './portal-app.js';

// node:test gives no --expose-gc; the flag set at run time gives new contexts a gc().
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

const MB = 1024 * 1024;

/** What a visitor without cookies asks for: the start page, a missing page, the language switch, the safety page, sign-in. */
function anonymousUrl(n: number): string {
  switch (n % 8) {
    case 0:
    case 1:
      return '/';
    case 2:
    case 3:
      return `/no-such-page-${n}`;
    case 4:
      return `/?lang=${['kk', 'ru', 'en'][n % 3]}`;
    case 5:
      return `/no-such-page-${n}?lang=ru`;
    case 6:
      return '/safety';
    default:
      return '/auth/login';
  }
}

describe('anonymous visitors cost no memory', () => {
  let portal: PortalApp;
  before(async () => {
    portal = await openPortal();
  });
  after(() => portal.close());
  /** How many sessions the registry's store holds live. */
  const storedSessions = () => portal.services.store.sessions.count(new Date());

  async function visit(from: number, count: number): Promise<{ sessionCookies: number; statuses: Set<number> }> {
    let sessionCookies = 0;
    const statuses = new Set<number>();
    const batch = 25;
    for (let n = from; n < from + count; n += batch) {
      const answers = await Promise.all(
        Array.from({ length: Math.min(batch, from + count - n) }, (_, i) => portal.app.inject({ url: anonymousUrl(n + i) })),
      );
      for (const res of answers) {
        statuses.add(res.statusCode);
        const setCookie = res.headers['set-cookie'];
        for (const c of Array.isArray(setCookie) ? setCookie : setCookie === undefined ? [] : [setCookie])
          if (c.startsWith('tyiym_session=')) sessionCookies++;
      }
    }
    return { sessionCookies, statuses };
  }

  it('50,000 cookieless GETs store no session, set no session cookie, and leave the heap flat', async (t) => {
    await visit(0, 2_000); // templates compiled, code warm
    const heapBefore = heapAfterGc();
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();
    const { sessionCookies, statuses } = await visit(2_000, 50_000);
    const seconds = (Date.now() - started) / 1000;
    const heapGrowth = heapAfterGc() - heapBefore;
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    assert.deepEqual([...statuses].sort(), [200, 302, 404]);
    assert.equal(sessionCookies, 0, 'no response carries a session id');
    assert.equal(await storedSessions(), 0, 'the session store holds nothing');
    assert.ok(
      heapGrowth < 8 * MB,
      `the heap grew by ${(heapGrowth / MB).toFixed(1)} MB over 50,000 requests (RSS ${(rssGrowth / MB).toFixed(1)} MB, ${seconds.toFixed(1)} s)`,
    );
    t.diagnostic(
      `50,000 anonymous GETs in ${seconds.toFixed(1)} s: heap ${(heapGrowth / MB).toFixed(1)} MB, RSS ${(rssGrowth / MB).toFixed(1)} MB`,
    );
  });
});
