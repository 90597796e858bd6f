import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { citizenKeyOf } from '../../src/identity/citizen-key.js';
import { verifyReceipt } from '../../src/verify/index.js';
import { BIN, IIN } from '../helpers/people.js';
import { countChecks, openTestRegistry, TEST_PEPPER, type TestRegistry } from '../helpers/registry.js';

const operator = { kind: 'operator' as const, name: 'Test operator' };

async function setup(env: Record<string, string> = {}) {
  const reg = await openTestRegistry({ env });
  const app = await buildApp(reg.services, { logger: false });
  const bank = await reg.services.lenders.register({ name: 'Bank', bin: BIN.bank, type: 'bank' });
  const mfo = await reg.services.lenders.register({ name: 'MFO', bin: BIN.mfo, type: 'mfo' });
  return { reg, app, bank, mfo };
}

function check(app: FastifyInstance, key: string | null, body: unknown, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/v1/checks',
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function assertError(res: { statusCode: number; json: () => unknown }, status: number, code: string): void {
  assert.equal(res.statusCode, status);
  const body = res.json() as { error: { code: string; message: string } };
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
}

describe('POST /v1/checks', () => {
  let reg: TestRegistry;
  let app: FastifyInstance;
  let bankKey: string;
  let mfoKey: string;

  before(async () => {
    const s = await setup();
    ({ reg, app } = s);
    bankKey = s.bank.apiKey;
    mfoKey = s.mfo.apiKey;
    await reg.services.restrictions.place(
      IIN.alice,
      { scope: { lenderTypes: ['mfo'], channels: ['remote'] }, term: { kind: 'max' } },
      operator,
    );
  });
  after(async () => {
    await app.close();
    await reg.close();
  });

  it('answers from the lender type of the key, at the registry clock, and records the check', async () => {
    const res = await check(app, mfoKey, { iin: IIN.alice, channel: 'remote', reference: 'APP-1' });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.restricted, true);
    assert.equal(body.checkedAt, '2026-03-10T06:00:00.000Z');
    assert.equal(body.reference, 'APP-1');
    assert.deepEqual(Object.keys(body).sort(), [
      'channel',
      'checkId',
      'checkedAt',
      'entry',
      'logIndex',
      'receipt',
      'reference',
      'restricted',
    ]);
    // The receipt verifies offline against the log's verifier key and proves exactly this check.
    const verified = verifyReceipt(body.receipt, Buffer.from(body.entry, 'base64'), reg.services.log.verifierKey as string);
    assert.equal(verified.index, body.logIndex);
    assert.equal(verified.entry.type, 'check');
    assert.equal(verified.entry.type === 'check' && verified.entry.checkId, body.checkId);
    assert.equal(verified.entry.type === 'check' && verified.entry.restricted, true);
    assert.deepEqual(
      verified.entry.type === 'check' && Buffer.from(verified.entry.citizenKey),
      citizenKeyOf(TEST_PEPPER, IIN.alice),
    );
    assert.ok(!res.body.includes(IIN.alice), 'the IIN is nowhere in the answer or its receipt');
    const stored = await reg.services.store.checks.findById(body.checkId);
    assert.equal(stored?.restricted, true);

    const bank = await check(app, bankKey, { iin: IIN.alice, channel: 'remote', reference: 'APP-2' });
    assert.equal(bank.json().restricted, false, 'the ban covers MFOs only');
    const inPerson = await check(app, mfoKey, { iin: IIN.alice, channel: 'in_person', reference: 'APP-3' });
    assert.equal(inPerson.json().restricted, false, 'the ban covers the remote channel only');
    const nobody = await check(app, mfoKey, { iin: IIN.bob, channel: 'remote', reference: 'APP-4' });
    assert.equal(nobody.json().restricted, false);
  });

  it('a ban that has run out answers not restricted, without any background job', async () => {
    const before = await check(app, mfoKey, { iin: IIN.alice, channel: 'remote', reference: 'T-1' });
    assert.equal(before.json().restricted, true);
    reg.clock.set('2027-01-01T00:00:00Z');
    const afterEnd = await check(app, mfoKey, { iin: IIN.alice, channel: 'remote', reference: 'T-2' });
    assert.equal(afterEnd.json().restricted, false);
    reg.clock.set('2026-03-10T06:00:00Z');
  });

  it('GET /v1/checks/{id} returns the same answer to its lender only', async () => {
    const made = (await check(app, mfoKey, { iin: IIN.alice, channel: 'remote', reference: 'G-1' })).json();
    const mine = await app.inject({ url: `/v1/checks/${made.checkId}`, headers: { authorization: `Bearer ${mfoKey}` } });
    assert.equal(mine.statusCode, 200);
    assert.deepEqual(mine.json(), made);
    assertError(
      await app.inject({ url: `/v1/checks/${made.checkId}`, headers: { authorization: `Bearer ${bankKey}` } }),
      404,
      'not_found',
    );
    assertError(
      await app.inject({
        url: '/v1/checks/00000000-0000-7000-8000-000000000000',
        headers: { authorization: `Bearer ${mfoKey}` },
      }),
      404,
      'not_found',
    );
    assertError(await app.inject({ url: `/v1/checks/${made.checkId}` }), 401, 'unauthorized');
  });

  it('400 invalid_iin names the rule that failed, and records nothing', async () => {
    const cases: [string, RegExp][] = [
      ['12345', /12 digits/],
      ['881301300010', /birth date/],
      ['880101900010', /digit 7/],
      ['880101300011', /check digit/],
    ];
    const before = await countChecks(reg.services);
    for (const [iin, message] of cases) {
      const res = await check(app, bankKey, { iin, channel: 'remote', reference: 'X' });
      assertError(res, 400, 'invalid_iin');
      assert.match(res.json().error.message, message);
      assert.ok(!res.body.includes(iin), 'the IIN is not echoed');
    }
    assert.equal(await countChecks(reg.services), before);
  });

  it('400 invalid_request when the body fails its schema, 400 invalid_reference for a bad reference', async () => {
    const bad: unknown[] = [
      {},
      { iin: IIN.bob, channel: 'remote' },
      { iin: IIN.bob, channel: 'phone', reference: 'R' },
      { iin: 880101300010, channel: 'remote', reference: 'R' },
      { iin: IIN.bob, channel: 'remote', reference: 'R', extra: true },
      { iin: IIN.bob, channel: 'remote', reference: 'x'.repeat(257) },
      '{"iin": ',
      '[]',
    ];
    for (const body of bad) assertError(await check(app, bankKey, body), 400, 'invalid_request');
    // The reference's own rule answers with its own code.
    const badReferences = ['', 'x'.repeat(65), 'tab\there', `loan for ${IIN.bob}`, 'RTL\u202Eevil', '\ud800'];
    for (const reference of badReferences)
      assertError(await check(app, bankKey, { iin: IIN.bob, channel: 'remote', reference }), 400, 'invalid_reference');
    const ok = await check(app, bankKey, { iin: IIN.bob, channel: 'remote', reference: 'Заявка №42 (Алматы)' });
    assert.equal(ok.statusCode, 200, 'printable Unicode is a valid reference');
  });

  it('401 unauthorized when the key is missing, malformed or unknown', async () => {
    const body = { iin: IIN.bob, channel: 'remote', reference: 'R' };
    assertError(await check(app, null, body), 401, 'unauthorized');
    assertError(await check(app, null, body, { authorization: `Basic ${bankKey}` }), 401, 'unauthorized');
    assertError(await check(app, 'tyk_not-a-real-key', body), 401, 'unauthorized');
  });

  it('413 for a body over 16 KiB and 415 for a body that is not JSON', async () => {
    const big = JSON.stringify({ iin: IIN.bob, channel: 'remote', reference: 'R', pad: 'x'.repeat(17 * 1024) });
    assertError(await check(app, bankKey, big), 413, 'payload_too_large');
    assertError(await check(app, bankKey, 'iin=1', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
    assertError(
      await check(app, bankKey, 'iin=1', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'unsupported_media_type',
    );
  });

  it('unknown routes answer 404 not_found in the same shape', async () => {
    assertError(await app.inject({ url: '/v1/nothing' }), 404, 'not_found');
  });
});

describe('revocation, rate limits and failures', () => {
  it('401 for a revoked key and for the old key after rotation', async () => {
    const { reg, app, bank, mfo } = await setup({ LENDER_CACHE_MS: '0' });
    const body = { iin: IIN.bob, channel: 'remote', reference: 'R' };
    assert.equal((await check(app, bank.apiKey, body)).statusCode, 200);
    await reg.services.lenders.revoke(bank.lender.id);
    assertError(await check(app, bank.apiKey, body), 401, 'unauthorized');
    const rotated = await reg.services.lenders.rotateKey(mfo.lender.id);
    assertError(await check(app, mfo.apiKey, body), 401, 'unauthorized');
    assert.equal((await check(app, rotated.apiKey, body)).statusCode, 200);
    await app.close();
    await reg.close();
  });

  it('429 rate_limited over the per-lender limit, counted per lender', async () => {
    const { reg, app, bank, mfo } = await setup({ RATE_LIMIT_PER_MINUTE: '2' });
    const body = { iin: IIN.bob, channel: 'remote', reference: 'R' };
    assert.equal((await check(app, bank.apiKey, body)).statusCode, 200);
    assert.equal((await check(app, bank.apiKey, body)).statusCode, 200);
    assertError(await check(app, bank.apiKey, body), 429, 'rate_limited');
    assert.equal((await check(app, mfo.apiKey, body)).statusCode, 200, 'another lender has its own budget');
    await app.close();
    await reg.close();
  });

  it('RATE_LIMIT_PER_MINUTE=0 switches the limit off', async () => {
    const { reg, app, bank } = await setup({ RATE_LIMIT_PER_MINUTE: '0' });
    for (let i = 0; i < 5; i++) {
      assert.equal((await check(app, bank.apiKey, { iin: IIN.bob, channel: 'remote', reference: `R${i}` })).statusCode, 200);
    }
    await app.close();
    await reg.close();
  });

  it('a failed commit answers 503 and acknowledges nothing; a 500 shows no internals', async () => {
    const { reg, app, bank } = await setup();
    const store = reg.services.store;
    const original = store.checks.decideBatch.bind(store.checks);
    store.checks.decideBatch = async () => {
      throw new Error('SQLITE_IOERR at /var/lib/secret/path');
    };
    const res = await check(app, bank.apiKey, { iin: IIN.bob, channel: 'remote', reference: 'R' });
    const count = await countChecks(reg.services);
    assertError(res, 503, 'unavailable');
    assert.equal(await countChecks(reg.services), count);
    assert.ok(!res.body.includes('secret') && !res.body.includes('SQLITE'));
    store.checks.decideBatch = original;
    assert.equal((await check(app, bank.apiKey, { iin: IIN.bob, channel: 'remote', reference: 'R' })).statusCode, 200);

    reg.services.checks.find = async () => {
      throw new TypeError('cannot read x of undefined at /src/secret.ts:1');
    };
    const boom = await app.inject({ url: '/v1/checks/any', headers: { authorization: `Bearer ${bank.apiKey}` } });
    assertError(boom, 500, 'internal_error');
    assert.ok(!boom.body.includes('secret') && !boom.body.includes('undefined'));
    await app.close();
    await reg.close();
  });
});

describe('service endpoints', () => {
  it('healthz, readyz, openapi.json and docs', async () => {
    const { reg, app } = await setup();
    assert.deepEqual((await app.inject({ url: '/healthz' })).json(), { status: 'ok' });
    assert.deepEqual((await app.inject({ url: '/readyz' })).json(), { status: 'ready' });
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.paths['/v1/checks'].post.requestBody);
    assert.ok(doc.paths['/v1/checks/{checkId}'].get);
    assert.ok(doc.components.securitySchemes.apiKey);
    const docs = await app.inject({ url: '/docs/' });
    assert.ok([200, 302].includes(docs.statusCode));
    await reg.services.store.close();
    assertError(await app.inject({ url: '/readyz' }), 503, 'unavailable');
    await app.close();
    await reg.close();
  });

  it('serves checks over a real listening port', async () => {
    const { reg, app, bank } = await setup();
    await reg.services.restrictions.place(IIN.carol, { term: { kind: 'indefinite' } }, operator);
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`${address}/v1/checks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bank.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ iin: IIN.carol, channel: 'in_person', reference: 'PORT-1' }),
    });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { restricted: boolean }).restricted, true);
    await app.close();
    await reg.close();
  });
});
