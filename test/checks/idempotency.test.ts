import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { CheckAnswer } from '../../src/checks/check.service.js';
import { IDEMPOTENCY_WINDOW_MS } from '../../src/idempotency/idempotency.js';
import { citizenKeyOf } from '../../src/identity/citizen-key.js';
import { verifyReceipt } from '../../src/verify/index.js';
import { BIN, IIN } from '../helpers/people.js';
import { openTestRegistry, TEST_PEPPER, type TestRegistry } from '../helpers/registry.js';
import { type RawAnswer, type RawRequest, sendAtOnce, sendPipelined } from '../helpers/sockets.js';

/*
 * A lender that retries a check (a timeout, a lost answer) with the same Idempotency-Key gets the first
 * answer back, and the citizen does not see two checks. The counts below are read through the store's
 * repositories: the checks recorded on a citizen, and the size of the log.
 */

interface Body {
  iin: string;
  channel: 'remote' | 'in_person';
  reference: string;
}

describe('Idempotency-Key on POST /v1/checks', () => {
  let reg: TestRegistry;
  let app: FastifyInstance;
  let port: number;
  let bankKey: string;
  let mfoKey: string;

  const post = (apiKey: string, body: Body | string, key?: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/checks',
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        ...(key === undefined ? {} : { 'idempotency-key': key }),
      },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const ok = (res: LightMyRequestResponse): CheckAnswer => {
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as CheckAnswer;
  };
  const refused = (res: { statusCode?: number; status?: number; body: string }, status: number, code: string, what = '') => {
    assert.equal(res.statusCode ?? res.status, status, `${what} ${res.body}`);
    const e = (JSON.parse(res.body) as { error: { code: string; message: string } }).error;
    assert.equal(e.code, code, `${what}: ${e.message}`);
    assert.ok(e.message.length > 0);
  };
  /** The checks recorded on a citizen and the entries in the log. */
  const recorded = async (iin: string) => {
    const [head, checks] = await Promise.all([
      reg.services.store.log.head(),
      reg.services.store.checks.listByCitizen(citizenKeyOf(TEST_PEPPER, iin)),
    ]);
    return { log: head.size, checks: checks.length };
  };
  const raw = (apiKey: string, body: Body, key: string): RawRequest => ({
    path: '/v1/checks',
    headers: { authorization: `Bearer ${apiKey}`, 'idempotency-key': key },
    body: JSON.stringify(body),
  });
  let n = 0;
  /** A key never used before in this file. */
  const freshKey = () => `key-${++n}-${Date.now()}`;

  before(async () => {
    reg = await openTestRegistry();
    app = await buildApp(reg.services, { logger: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
    bankKey = (await reg.services.lenders.register({ name: 'Bank', bin: BIN.bank, type: 'bank' })).apiKey;
    mfoKey = (await reg.services.lenders.register({ name: 'MFO', bin: BIN.mfo, type: 'mfo' })).apiKey;
    await reg.services.restrictions.place(IIN.alice, { term: { kind: 'max' } }, { kind: 'citizen' });
  });
  after(async () => {
    await app.close();
    await reg.close();
  });

  it('a retry with the same key and body gets the first answer, and records nothing new', async () => {
    const key = freshKey();
    const body: Body = { iin: IIN.alice, channel: 'remote', reference: 'IDEM-1' };
    const before = await recorded(IIN.alice);
    const first = ok(await post(bankKey, body, key));
    assert.equal(first.restricted, true);
    assert.deepEqual(await recorded(IIN.alice), { log: before.log + 1, checks: before.checks + 1 });

    // Later, after other checks have grown the log: still the first answer, byte for byte.
    reg.clock.advance(60 * 60 * 1000);
    ok(await post(mfoKey, { iin: IIN.bob, channel: 'remote', reference: 'OTHER' }));
    for (let i = 0; i < 3; i++) {
      const again = ok(await post(bankKey, body, key));
      assert.deepEqual(again, first, 'the same checkId, checkedAt, entry and receipt');
    }
    assert.deepEqual(await recorded(IIN.alice), { log: before.log + 2, checks: before.checks + 1 }, 'only the other check');
    const v = verifyReceipt(first.receipt, Buffer.from(first.entry, 'base64'), reg.services.log.verifierKey as string);
    assert.ok(v.entry.type === 'check' && v.entry.checkId === first.checkId);

    // The same body in another key order is the same request.
    const reordered = `{"reference":"IDEM-1","channel":"remote","iin":"${IIN.alice}"}`;
    assert.deepEqual(ok(await post(bankKey, reordered, key)), first);
    assert.deepEqual(await recorded(IIN.alice), { log: before.log + 2, checks: before.checks + 1 });
  });

  it('without a key, or with another key, the same body makes a new check each time', async () => {
    const body: Body = { iin: IIN.alice, channel: 'remote', reference: 'NO-KEY' };
    const before = await recorded(IIN.alice);
    const a = ok(await post(bankKey, body));
    const b = ok(await post(bankKey, body));
    const c = ok(await post(bankKey, body, freshKey()));
    const d = ok(await post(bankKey, body, freshKey()));
    assert.equal(new Set([a.checkId, b.checkId, c.checkId, d.checkId]).size, 4);
    assert.deepEqual(await recorded(IIN.alice), { log: before.log + 4, checks: before.checks + 4 });
  });

  it('the same key with another body answers 422 idempotency_conflict and records nothing', async () => {
    const key = freshKey();
    const body: Body = { iin: IIN.alice, channel: 'remote', reference: 'CONFLICT-1' };
    const first = ok(await post(bankKey, body, key));
    const before = await recorded(IIN.alice);
    const beforeBob = await recorded(IIN.bob);
    for (const other of [
      { ...body, reference: 'CONFLICT-2' },
      { ...body, channel: 'in_person' as const },
      { ...body, iin: IIN.bob },
    ])
      refused(await post(bankKey, other, key), 422, 'idempotency_conflict');
    assert.deepEqual(await recorded(IIN.alice), before);
    assert.deepEqual(await recorded(IIN.bob), beforeBob);
    assert.deepEqual(ok(await post(bankKey, body, key)), first, 'the first request still gets its answer');
  });

  it('a malformed key answers 400 invalid_idempotency_key and records nothing', async () => {
    const body: Body = { iin: IIN.alice, channel: 'remote', reference: 'BAD-KEY' };
    const before = await recorded(IIN.alice);
    for (const key of ['', 'a b', 'x'.repeat(256), 'tab\there', 'café'])
      refused(await post(bankKey, body, key), 400, 'invalid_idempotency_key', JSON.stringify(key));
    // Bytes as a client sends them, beyond what an HTTP library would let through.
    const rawKeys = ['ключ-1', 'emoji-😀', 'latin-\u00e9'];
    const answers = await sendAtOnce(
      port,
      rawKeys.map((key) => raw(bankKey, body, key)),
    );
    for (const [i, a] of answers.entries()) refused(a, 400, 'invalid_idempotency_key', rawKeys[i]);
    // A control character is not even valid HTTP: refused before any key is read.
    for (const a of await sendAtOnce(port, [raw(bankKey, body, 'ctl-\u0001'), raw(bankKey, body, 'del-\u007f')]))
      assert.equal(a.status, 400, a.body);
    assert.deepEqual(await recorded(IIN.alice), before);

    // The edges of what is allowed: 1 and 255 printable ASCII characters.
    const longest = `${'~'.repeat(254)}!`;
    const a = ok(await post(bankKey, body, longest));
    assert.deepEqual(ok(await post(bankKey, body, longest)), a);
    ok(await post(bankKey, body, '#'));
    assert.deepEqual(await recorded(IIN.alice), { log: before.log + 2, checks: before.checks + 2 });
  });

  it('keys of different lenders never meet', async () => {
    const key = freshKey();
    const body: Body = { iin: IIN.alice, channel: 'remote', reference: 'SHARED-KEY' };
    const before = await recorded(IIN.alice);
    const bank = ok(await post(bankKey, body, key));
    const mfo = ok(await post(mfoKey, body, key));
    assert.notEqual(mfo.checkId, bank.checkId, 'the MFO’s request with the bank’s key is its own check');
    const mfoOther = await post(mfoKey, { ...body, reference: 'MFO-OWN' }, key);
    refused(mfoOther, 422, 'idempotency_conflict');
    const bankOther = ok(await post(bankKey, body, key));
    assert.deepEqual(bankOther, bank);
    assert.deepEqual(ok(await post(mfoKey, body, key)), mfo);
    assert.deepEqual(await recorded(IIN.alice), { log: before.log + 2, checks: before.checks + 2 });

    // A lender cannot read another's answer through a key either: it gets its own check, not the bank's.
    const probe = ok(await post(mfoKey, { iin: IIN.bob, channel: 'remote', reference: 'PROBE' }, freshKey()));
    assert.notEqual(probe.checkId, bank.checkId);
  });

  it('concurrent duplicates, sent at once on separate connections, record one check', async () => {
    const key = freshKey();
    const body: Body = { iin: IIN.carol, channel: 'remote', reference: 'AT-ONCE' };
    const before = await recorded(IIN.carol);
    const answers = await sendAtOnce(
      port,
      Array.from({ length: 8 }, () => raw(bankKey, body, key)),
    );
    for (const a of answers) assert.equal(a.status, 200, a.body);
    const bodies = answers.map((a) => a.json<CheckAnswer>());
    assert.equal(new Set(bodies.map((b) => b.checkId)).size, 1);
    for (const b of bodies) assert.deepEqual(b, bodies[0]);
    assert.deepEqual(await recorded(IIN.carol), { log: before.log + 1, checks: before.checks + 1 });
  });

  it('concurrent requests with two keys, and a conflicting body among them, record one check per key', async () => {
    const [k1, k2] = [freshKey(), freshKey()];
    const body: Body = { iin: IIN.carol, channel: 'in_person', reference: 'TWO-KEYS' };
    const before = await recorded(IIN.carol);
    const requests = [
      ...Array.from({ length: 4 }, () => raw(bankKey, body, k1)),
      ...Array.from({ length: 4 }, () => raw(bankKey, body, k2)),
    ];
    const answers = await sendAtOnce(port, requests);
    const ids = answers.map((a) => {
      assert.equal(a.status, 200, a.body);
      return a.json<CheckAnswer>().checkId;
    });
    assert.equal(new Set(ids.slice(0, 4)).size, 1);
    assert.equal(new Set(ids.slice(4)).size, 1);
    assert.notEqual(ids[0], ids[4]);
    assert.deepEqual(await recorded(IIN.carol), { log: before.log + 2, checks: before.checks + 2 });

    // A new key sent at once with two bodies: one is recorded, the other is a conflict, never a second check.
    const k3 = freshKey();
    const mixed = await sendAtOnce(port, [
      raw(bankKey, { ...body, reference: 'MIXED-A' }, k3),
      raw(bankKey, { ...body, reference: 'MIXED-B' }, k3),
      raw(bankKey, { ...body, reference: 'MIXED-A' }, k3),
    ]);
    const statuses = mixed.map((a) => a.status);
    assert.equal(statuses.filter((s) => s === 422).length >= 1, true, statuses.join(','));
    const winners = new Set(mixed.filter((a) => a.status === 200).map((a) => a.json<CheckAnswer>().reference));
    assert.equal(winners.size, 1, 'every 200 is the one recorded request');
    assert.deepEqual(await recorded(IIN.carol), { log: before.log + 3, checks: before.checks + 3 });
  });

  it('duplicates pipelined on one connection record one check', async () => {
    const key = freshKey();
    const body: Body = { iin: IIN.dan, channel: 'remote', reference: 'PIPELINED' };
    const before = await recorded(IIN.dan);
    const answers: RawAnswer[] = await sendPipelined(
      port,
      Array.from({ length: 5 }, () => raw(mfoKey, body, key)),
    );
    assert.equal(answers.length, 5);
    for (const a of answers) assert.equal(a.status, 200, a.body);
    assert.equal(new Set(answers.map((a) => a.json<CheckAnswer>().receipt)).size, 1);
    assert.deepEqual(await recorded(IIN.dan), { log: before.log + 1, checks: before.checks + 1 });
  });

  it('a refused or failed request takes no key: its retry is recorded once', async () => {
    const key = freshKey();
    const before = await recorded(IIN.dan);
    refused(await post(bankKey, { iin: IIN.dan, channel: 'remote', reference: 'bad\u202e' }, key), 400, 'invalid_reference');
    const body: Body = { iin: IIN.dan, channel: 'remote', reference: 'AFTER-FAILURE' };
    const checks = reg.services.store.checks;
    const decideBatch = checks.decideBatch;
    checks.decideBatch = () => Promise.reject(new Error('disk full'));
    try {
      refused(await post(bankKey, body, key), 503, 'unavailable');
    } finally {
      checks.decideBatch = decideBatch;
    }
    assert.deepEqual(await recorded(IIN.dan), before);
    const first = ok(await post(bankKey, body, key));
    assert.deepEqual(ok(await post(bankKey, body, key)), first);
    assert.deepEqual(await recorded(IIN.dan), { log: before.log + 1, checks: before.checks + 1 });
  });

  it('a key keeps its answer for 24 hours; after that it makes a new check', async () => {
    const key = freshKey();
    const body: Body = { iin: IIN.bob, channel: 'remote', reference: 'WINDOW' };
    const first = ok(await post(bankKey, body, key));
    const before = await recorded(IIN.bob);

    reg.clock.advance(IDEMPOTENCY_WINDOW_MS - 1);
    assert.deepEqual(ok(await post(bankKey, body, key)), first, 'a millisecond before the 24 hours are up');
    refused(await post(bankKey, { ...body, reference: 'WINDOW-2' }, key), 422, 'idempotency_conflict');
    assert.deepEqual(await recorded(IIN.bob), before);

    reg.clock.advance(2);
    const second = ok(await post(bankKey, body, key));
    assert.notEqual(second.checkId, first.checkId, 'past the 24 hours the key makes a new check');
    assert.notEqual(second.checkedAt, first.checkedAt);
    assert.deepEqual(await recorded(IIN.bob), { log: before.log + 1, checks: before.checks + 1 });
    // …and the key now keeps the new answer.
    assert.deepEqual(ok(await post(bankKey, body, key)), second);
    refused(await post(bankKey, { ...body, reference: 'WINDOW-3' }, key), 422, 'idempotency_conflict');
    assert.deepEqual(await recorded(IIN.bob), { log: before.log + 1, checks: before.checks + 1 });

    // After another 24 hours, another body is no conflict: the key is free again.
    reg.clock.advance(IDEMPOTENCY_WINDOW_MS + 1);
    const third = ok(await post(bankKey, { ...body, reference: 'WINDOW-4' }, key));
    assert.equal(third.reference, 'WINDOW-4');
    assert.deepEqual(await recorded(IIN.bob), { log: before.log + 2, checks: before.checks + 2 });
  });

  it('is documented on the route', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json() as {
      paths: Record<string, { post?: { parameters?: { name: string; in: string }[]; responses: Record<string, unknown> } }>;
    };
    const op = doc.paths['/v1/checks']?.post;
    assert.ok(op?.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key'));
    assert.ok(op?.responses['422']);
  });
});
