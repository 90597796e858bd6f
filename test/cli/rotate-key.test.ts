import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { parseDuration } from '../../src/cli/lender.js';
import { demoBin, demoIin } from '../../src/demo/seed.js';
import { AppError } from '../../src/errors.js';
import { type CliResult, type LenderAdded, type LenderJson, postCheck, Sandbox, type ServerProcess } from '../helpers/cli.js';
import { BIN, IIN as PEOPLE } from '../helpers/people.js';
import { openTestRegistry, type TestRegistry } from '../helpers/registry.js';

/*
 * Rotating a key with an overlap lets a lender deploy the new key without a gap: the old one keeps
 * working until the overlap ends. Without an overlap (a leaked key) the old one is refused at once.
 * The CLI and a running server show the wiring; the end of an overlap is shown with a test clock.
 */

const IIN = demoIin(1990, 7, 2, 'male');

interface Rotated {
  id: string;
  apiKey: string;
  oldKeyValidUntil: string | null;
}

function assertOk(r: CliResult): void {
  assert.equal(r.code, 0, `expected exit 0\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

function assertFails(r: CliResult, pattern: RegExp): void {
  assert.notEqual(r.code, 0, `expected a non-zero exit\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.match(r.stderr, pattern);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('tyiym lender rotate-key with and without --overlap, against a running server', () => {
  const box = new Sandbox();
  let server: ServerProcess;
  let bank: LenderAdded;
  let mfo: LenderAdded;

  const status = async (apiKey: string, reference = 'ROT') =>
    (await postCheck(server.url, apiKey, { iin: IIN, channel: 'remote', reference })).status;

  /** Keeps calling with `apiKey` until it is refused; how long after `since` the first 401 came. */
  const firstRefusal = async (apiKey: string, since: number): Promise<number> => {
    for (;;) {
      const s = await status(apiKey);
      const elapsed = Date.now() - since;
      if (s === 401) return elapsed;
      assert.equal(s, 200);
      if (elapsed > 3000) return elapsed;
      await sleep(25);
    }
  };

  before(async () => {
    bank = await box.addLender('Rotating Bank JSC', demoBin('99014000001'), 'bank');
    mfo = await box.addLender('Rotating Micro LLP', demoBin('99024000002'), 'mfo');
    server = await box.serve();
    assert.equal(await status(bank.apiKey), 200);
    assert.equal(await status(mfo.apiKey), 200);
  });
  after(() => box.cleanup());

  test('--overlap 24h: the old key and the new one both work, well past the server’s key cache', async () => {
    const r = await box.run(['lender', 'rotate-key', bank.id, '--overlap', '24h', '--json']);
    assertOk(r);
    const rotated = JSON.parse(r.stdout) as Rotated;
    assert.deepEqual(Object.keys(rotated).sort(), ['apiKey', 'id', 'oldKeyValidUntil']);
    assert.equal(rotated.id, bank.id);
    assert.notEqual(rotated.apiKey, bank.apiKey);
    const until = Date.parse(rotated.oldKeyValidUntil as string);
    assert.ok(Math.abs(until - (r.exitedAt + 24 * 3_600_000)) < 60_000, `valid until ${rotated.oldKeyValidUntil}`);

    // Longer than the server trusts its key cache (500 ms): the answers come from the store.
    const deadline = Date.now() + 1500;
    while (Date.now() < deadline) {
      assert.equal(await status(bank.apiKey, 'OLD-KEY'), 200, 'the old key works during the overlap');
      assert.equal(await status(rotated.apiKey, 'NEW-KEY'), 200, 'the new key works at once');
      await sleep(100);
    }
    // A check made with the old key belongs to the same lender: the new key reads it back.
    const made = await postCheck(server.url, bank.apiKey, { iin: IIN, channel: 'remote', reference: 'OLD-KEY-CHECK' });
    const res = await fetch(`${server.url}/v1/checks/${made.body.checkId as string}`, {
      headers: { authorization: `Bearer ${rotated.apiKey}` },
    });
    assert.equal(res.status, 200);

    const listed = (await box.json<LenderJson[]>(['lender', 'list'])).find((l) => l.id === bank.id);
    assert.ok(rotated.apiKey.startsWith(listed?.keyPrefix ?? '-'), 'the listed prefix is the new key’s');
    bank = { id: bank.id, apiKey: rotated.apiKey };
  });

  test('a second rotation cuts off the key still in its overlap, and overlaps the current one', async () => {
    const oldest = await box.json<{ apiKey: string }>(['lender', 'rotate-key', mfo.id, '--overlap', '2d']);
    const middle = oldest.apiKey;
    const r = await box.run(['lender', 'rotate-key', mfo.id, '--overlap', '90m']);
    assertOk(r);
    const newest = r.stdout.match(/(tyk_\S+)/)?.[1] as string;
    assert.ok(newest);
    const until = r.stdout.match(/The old key stays valid until (\S+)\.$/m)?.[1];
    assert.ok(until, r.stdout);
    assert.ok(Math.abs(Date.parse(until) - (r.exitedAt + 90 * 60_000)) < 60_000);

    const refusedAfter = await firstRefusal(mfo.apiKey, r.exitedAt);
    assert.ok(refusedAfter <= 1100, `the key before last still worked ${refusedAfter} ms after the second rotation`);
    assert.equal(await status(middle), 200, 'the key just replaced is in its overlap');
    assert.equal(await status(newest), 200);
    mfo = { id: mfo.id, apiKey: newest };
  });

  test('without --overlap the old key is refused within a second', async () => {
    const r = await box.run(['lender', 'rotate-key', bank.id]);
    assertOk(r);
    assert.match(r.stdout, /The old key is refused from now on\./);
    const fresh = r.stdout.match(/(tyk_\S+)/)?.[1] as string;
    assert.equal(await status(fresh), 200);
    const refusedAfter = await firstRefusal(bank.apiKey, r.exitedAt);
    assert.ok(refusedAfter <= 1100, `the old key still worked ${refusedAfter} ms after the rotation`);
    for (let i = 0; i < 3; i++) assert.equal(await status(bank.apiKey), 401);
    bank = { id: bank.id, apiKey: fresh };

    // --overlap 0h is the same: no overlap, and the JSON says so.
    const zero = await box.json<Rotated>(['lender', 'rotate-key', bank.id, '--overlap', '0h']);
    assert.equal(zero.oldKeyValidUntil, null);
    const refused = await firstRefusal(bank.apiKey, Date.now());
    assert.ok(refused <= 1100);
    bank = { id: bank.id, apiKey: zero.apiKey };
  });

  test('an --overlap that is not a duration, or longer than 30 days, is refused clearly and rotates nothing', async () => {
    const before = (await box.json<LenderJson[]>(['lender', 'list'])).find((l) => l.id === bank.id);
    for (const value of ['garbage', '24', 'h', '1.5h', '-1h', '24 h', '2w', '24H', '']) {
      const r = await box.run(['lender', 'rotate-key', bank.id, '--overlap', value]);
      assertFails(r, /is not a duration; write e\.g\. 24h, 90m or 2d\. \[invalid_request\]/);
      assert.ok(r.stderr.includes(`"${value}"`), r.stderr);
      assert.equal(r.stdout, '', 'no key is printed');
    }
    for (const value of ['31d', '721h', '999999m'])
      assertFails(
        await box.run(['lender', 'rotate-key', bank.id, '--overlap', value]),
        /The overlap must be from 0 to 30 days\. \[invalid_request\]/,
      );
    assertFails(await box.run(['lender', 'rotate-key', bank.id, '--overlap']), /--overlap <duration>.*argument missing/);
    const after = (await box.json<LenderJson[]>(['lender', 'list'])).find((l) => l.id === bank.id);
    assert.equal(after?.keyPrefix, before?.keyPrefix, 'the key was not replaced');
    assert.equal(await status(bank.apiKey), 200, 'the current key still works');
  });

  test('revoking a lender refuses its keys, the overlapping one included', async () => {
    const r = await box.json<Rotated>(['lender', 'rotate-key', mfo.id, '--overlap', '24h']);
    assert.equal(await status(mfo.apiKey), 200);
    const revoked = await box.run(['lender', 'revoke', mfo.id]);
    assertOk(revoked);
    assert.ok((await firstRefusal(mfo.apiKey, revoked.exitedAt)) <= 1100);
    assert.ok((await firstRefusal(r.apiKey, revoked.exitedAt)) <= 1100);
    assertFails(await box.run(['lender', 'rotate-key', mfo.id, '--overlap', '24h']), /revoked lender cannot get a new key/);
  });
});

describe('the end of an overlap, on the registry’s clock', () => {
  let reg: TestRegistry;
  let app: FastifyInstance;
  before(async () => {
    // No key cache: every request asks the store, at the registry's clock.
    reg = await openTestRegistry({ env: { LENDER_CACHE_MS: '0' } });
    app = await buildApp(reg.services, { logger: false });
  });
  after(async () => {
    await app.close();
    await reg.close();
  });

  const post = (apiKey: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/checks',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      payload: { iin: PEOPLE.bob, channel: 'remote', reference: 'CLOCK' },
    });

  it('the old key works until the overlap ends, and is refused from that instant', async () => {
    const { lenders } = reg.services;
    const { lender, apiKey: old } = await lenders.register({ name: 'Clock Bank', bin: BIN.bank, type: 'bank' });
    const start = reg.clock.now().getTime();
    const rotated = await lenders.rotateKey(lender.id, 60_000);
    assert.equal(rotated.oldKeyValidUntil?.getTime(), start + 60_000);

    assert.equal((await lenders.authenticate(old))?.id, lender.id);
    assert.equal((await post(old)).statusCode, 200);
    reg.clock.advance(59_999);
    assert.equal((await lenders.authenticate(old))?.id, lender.id, 'a millisecond before the end');
    assert.equal((await post(old)).statusCode, 200);
    reg.clock.advance(1);
    assert.equal(await lenders.authenticate(old), null, 'at the end of the overlap');
    const refused = await post(old);
    assert.equal(refused.statusCode, 401);
    assert.equal((refused.json() as { error: { code: string } }).error.code, 'unauthorized');
    assert.equal((await post(rotated.apiKey)).statusCode, 200, 'the new key works on');
    reg.clock.advance(24 * 3_600_000);
    assert.equal(await lenders.authenticate(old), null, 'and stays refused');
    assert.equal((await lenders.authenticate(rotated.apiKey))?.id, lender.id);
  });

  it('without an overlap the old key is refused at once', async () => {
    const { lenders } = reg.services;
    const { lender, apiKey: old } = await lenders.register({ name: 'Leaky MFO', bin: BIN.mfo, type: 'mfo' });
    const rotated = await lenders.rotateKey(lender.id);
    assert.equal(rotated.oldKeyValidUntil, null);
    assert.equal(await lenders.authenticate(old), null);
    assert.equal((await post(old)).statusCode, 401);
    assert.equal((await post(rotated.apiKey)).statusCode, 200);
  });

  it('refuses an overlap out of range', async () => {
    const { lenders } = reg.services;
    const { lender } = await lenders.register({ name: 'Range Bank', bin: BIN.otherBank, type: 'bank' });
    for (const ms of [-1, 30 * 86_400_000 + 1, Number.NaN, 1.5, Number.POSITIVE_INFINITY])
      await assert.rejects(
        lenders.rotateKey(lender.id, ms),
        (e: unknown) => e instanceof AppError && e.code === 'invalid_request',
        String(ms),
      );
    const longest = await lenders.rotateKey(lender.id, 30 * 86_400_000);
    assert.equal(longest.oldKeyValidUntil?.getTime(), reg.clock.now().getTime() + 30 * 86_400_000);
  });

  it('parses durations in minutes, hours and days', () => {
    assert.equal(parseDuration('90m'), 90 * 60_000);
    assert.equal(parseDuration('24h'), 24 * 3_600_000);
    assert.equal(parseDuration('2d'), 2 * 86_400_000);
    assert.equal(parseDuration(' 1h '), 3_600_000);
    assert.equal(parseDuration('0h'), 0);
    for (const bad of ['', 'h', '1', '1.5h', '-1h', '1 h', '1w', '1H', '1hh', '1234567m'])
      assert.throws(
        () => parseDuration(bad),
        (e: unknown) => e instanceof AppError && e.code === 'invalid_request',
        bad,
      );
  });
});
