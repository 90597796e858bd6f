import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { SignJWT, UnsecuredJWT } from 'jose';
import { demoBin } from '../../src/demo/seed.js';
import { BIN, IIN } from '../helpers/people.js';
import type { TestRegistry } from '../helpers/registry.js';
import { type Api, assertError, call, ISSUER, ok, setup } from './api.js';
import { mintToken, testSigningKey } from './tokens.js';

describe('the mobile API: a citizen’s own ban', () => {
  let api: Api;
  let alice: string;
  let bank: Awaited<ReturnType<TestRegistry['services']['lenders']['register']>>;
  let mfo: typeof bank;

  before(async () => {
    api = await setup();
    alice = await api.token(IIN.alice);
    bank = await api.reg.services.lenders.register({ name: 'Halyk Test Bank', bin: BIN.bank, type: 'bank' });
    mfo = await api.reg.services.lenders.register({ name: 'Quick Money MFO', bin: BIN.mfo, type: 'mfo' });
  });
  after(() => api.close());

  it('places, reads, changes, exempts, is checked, and lifts at once', async () => {
    const { app, reg } = api;
    const empty = await call(app, 'GET', '/v1/me/restriction', alice);
    assert.deepEqual(ok(empty), { restriction: null });
    assert.equal(empty.headers['cache-control'], 'no-store', 'personal data is never cached');

    const placed = ok(
      await call(app, 'PUT', '/v1/me/restriction', alice, { lenderTypes: ['mfo'], channels: ['remote'], term: { months: 3 } }),
    ).restriction;
    assert.equal(placed.version, 1);
    assert.equal(placed.status, 'active');
    assert.deepEqual(placed.lenderTypes, ['mfo']);
    assert.deepEqual(placed.channels, ['remote']);
    assert.equal(placed.startsAt, '2026-03-10T06:00:00.000Z');
    assert.equal(placed.lastDay, '2026-06-10');
    assert.deepEqual(placed.exemptions, []);
    assert.deepEqual(ok(await call(app, 'GET', '/v1/me/restriction', alice)).restriction, placed);

    const changed = ok(
      await call(app, 'PUT', '/v1/me/restriction', alice, {
        lenderTypes: ['mfo', 'bank'],
        channels: ['in_person', 'remote'],
        term: { until: '2026-08-31' },
      }),
    ).restriction;
    assert.equal(changed.id, placed.id, 'a change is a new version of the same ban');
    assert.equal(changed.version, 2);
    assert.deepEqual(changed.lenderTypes, ['bank', 'mfo'], 'PUT replaces the scope with the one given, in canonical order');
    assert.deepEqual(changed.channels, ['remote', 'in_person']);
    assert.equal(changed.lastDay, '2026-08-31');

    const exempted = ok(await call(app, 'POST', '/v1/me/exemptions', alice, { lenderBin: BIN.bank, hours: 24 }), 201).restriction;
    assert.equal(exempted.version, 3);
    assert.equal(exempted.exemptions.length, 1);
    assert.deepEqual(exempted.exemptions[0].lender, { id: bank.lender.id, name: 'Halyk Test Bank', bin: BIN.bank, type: 'bank' });
    assert.equal(exempted.exemptions[0].startsAt, '2026-03-10T06:00:00.000Z');
    assert.equal(exempted.exemptions[0].endsAt, '2026-03-11T06:00:00.000Z');
    assert.deepEqual(exempted.exemptions[0].actor, { kind: 'citizen' });

    const byBank = await reg.services.checks.check(bank.lender, { iin: IIN.alice, channel: 'remote', reference: 'B-1' });
    const byMfo = await reg.services.checks.check(mfo.lender, { iin: IIN.alice, channel: 'remote', reference: 'M-1' });
    assert.equal(byBank.restricted, false, 'the exempted bank is let through');
    assert.equal(byMfo.restricted, true);
    const { checks } = ok(await call(app, 'GET', '/v1/me/checks', alice));
    assert.deepEqual(
      checks.map((c: { checkId: string; lender: { name: string }; restricted: boolean; reference: string }) => [
        c.checkId,
        c.lender.name,
        c.reference,
        c.restricted,
      ]),
      [
        [byBank.checkId, 'Halyk Test Bank', 'B-1', false],
        [byMfo.checkId, 'Quick Money MFO', 'M-1', true],
      ],
    );

    const lifted = ok(await call(app, 'POST', '/v1/me/restriction/lift', alice));
    assert.deepEqual(lifted, { restriction: null, liftEffectiveAt: '2026-03-10T06:00:00.000Z' });
    assert.deepEqual(ok(await call(app, 'GET', '/v1/me/restriction', alice)), { restriction: null });
    const again = await reg.services.checks.check(mfo.lender, { iin: IIN.alice, channel: 'remote', reference: 'M-2' });
    assert.equal(again.restricted, false);

    const { history } = ok(await call(app, 'GET', '/v1/me/history', alice));
    assert.deepEqual(
      history.map((e: { action: string; version: number }) => [e.action, e.version]),
      [
        ['placed', 1],
        ['changed', 2],
        ['exemption_opened', 3],
        ['lift_requested', 4],
      ],
    );
    for (const e of history) assert.deepEqual(e.actor, { kind: 'citizen' });
    assert.deepEqual(history[2].exemption, { lenderId: bank.lender.id, endsAt: '2026-03-11T06:00:00.000Z' });

    assertError(await call(app, 'POST', '/v1/me/restriction/lift', alice), 409, 'no_restriction');
    assertError(await call(app, 'DELETE', '/v1/me/restriction/lift', alice), 409, 'no_pending_lift');
    assertError(await call(app, 'POST', '/v1/me/exemptions', alice, { lenderBin: BIN.bank, hours: 1 }), 409, 'no_restriction');
  });

  it('a ban for the policy’s maximum, then an indefinite one; a PUT without a term is refused, never defaulted', async () => {
    const carol = await api.token(IIN.carol);
    const all = { lenderTypes: ['bank', 'mfo'], channels: ['remote', 'in_person'] };
    assertError(await call(api.app, 'PUT', '/v1/me/restriction', carol, all), 400, 'invalid_request');
    assertError(await call(api.app, 'PUT', '/v1/me/restriction', carol, {}), 400, 'invalid_request');
    assert.deepEqual(ok(await call(api.app, 'GET', '/v1/me/restriction', carol)), { restriction: null });
    const max = ok(await call(api.app, 'PUT', '/v1/me/restriction', carol, { ...all, term: { months: 6 } })).restriction;
    assert.equal(max.lastDay, '2026-09-10');
    const forever = ok(
      await call(api.app, 'PUT', '/v1/me/restriction', carol, { ...all, term: { indefinite: true } }),
    ).restriction;
    assert.equal(forever.version, 2);
    assert.equal(forever.endsAt, null);
    assert.equal(forever.lastDay, null);
    assert.equal(forever.daysLeft, null);
  });

  it('bad input answers 400 with its catalogue code and changes nothing', async () => {
    const { app } = api;
    const dan = await api.token(IIN.dan);
    const whole = { lenderTypes: ['mfo'], channels: ['remote', 'in_person'], term: { months: 2 } };
    ok(await call(app, 'PUT', '/v1/me/restriction', dan, whole));
    const revoked = await api.reg.services.lenders.register({ name: 'Gone Bank', bin: BIN.otherBank, type: 'bank' });
    await api.reg.services.lenders.revoke(revoked.lender.id);
    const before = {
      restriction: ok(await call(app, 'GET', '/v1/me/restriction', dan)),
      history: ok(await call(app, 'GET', '/v1/me/history', dan)),
    };

    // Each body is the whole ban with one part wrong, so the answer is about that part alone.
    const put: [unknown, number, string][] = [
      [{ ...whole, term: { months: 0 } }, 400, 'invalid_term'],
      [{ ...whole, term: { months: 7 } }, 400, 'invalid_term'],
      [{ ...whole, term: { until: '2020-01-01' } }, 400, 'invalid_term'],
      [{ ...whole, term: { until: '2026-02-30' } }, 400, 'invalid_term'],
      [{ ...whole, term: { until: 'next week' } }, 400, 'invalid_term'],
      [{ ...whole, lenderTypes: [] }, 400, 'invalid_scope'],
      [{ ...whole, channels: [] }, 400, 'invalid_scope'],
      [{ ...whole, lenderTypes: ['insurer'] }, 400, 'invalid_request'],
      [{ ...whole, channels: ['phone'] }, 400, 'invalid_request'],
      [{ ...whole, term: { months: 2.5 } }, 400, 'invalid_request'],
      [{ ...whole, term: { months: '3' } }, 400, 'invalid_request'],
      [{ ...whole, term: { months: 3, until: '2026-05-01' } }, 400, 'invalid_request'],
      [{ ...whole, term: { indefinite: false } }, 400, 'invalid_request'],
      [{ ...whole, term: { weeks: 2 } }, 400, 'invalid_request'],
      [{ ...whole, term: 3 }, 400, 'invalid_request'],
      [{ ...whole, iin: IIN.alice }, 400, 'invalid_request'],
      [{ ...whole, extra: true }, 400, 'invalid_request'],
      ['[]', 400, 'invalid_request'],
      ['{"term":', 400, 'invalid_request'],
    ];
    for (const [body, status, code] of put) {
      assertError(await call(app, 'PUT', '/v1/me/restriction', dan, body), status, code);
    }

    const exemptions: [unknown, number, string][] = [
      [{ lenderBin: BIN.bank, hours: 0 }, 400, 'invalid_exemption'],
      [{ lenderBin: BIN.bank, hours: 73 }, 400, 'invalid_exemption'],
      [{ lenderBin: '123456789012', hours: 1 }, 400, 'invalid_bin'],
      [{ lenderBin: '990140000099', hours: 1 }, 400, 'invalid_bin'],
      [{ lenderBin: demoBin('99054000005'), hours: 1 }, 404, 'lender_not_found'],
      [{ lenderBin: BIN.otherBank, hours: 1 }, 409, 'lender_inactive'],
      [{ lenderBin: BIN.bank, hours: 1.5 }, 400, 'invalid_request'],
      [{ lenderBin: BIN.bank }, 400, 'invalid_request'],
      [{ lenderBin: BIN.bank, hours: 1, iin: IIN.alice }, 400, 'invalid_request'],
    ];
    for (const [body, status, code] of exemptions) {
      assertError(await call(app, 'POST', '/v1/me/exemptions', dan, body), status, code);
    }

    const text = await app.inject({
      method: 'PUT',
      url: '/v1/me/restriction',
      headers: { authorization: `Bearer ${dan}`, 'content-type': 'text/plain' },
      payload: 'term=3',
    });
    assertError(text, 415, 'unsupported_media_type');

    assert.deepEqual(ok(await call(app, 'GET', '/v1/me/restriction', dan)), before.restriction);
    assert.deepEqual(ok(await call(app, 'GET', '/v1/me/history', dan)), before.history);
  });

  it('lists active lenders, filtered by name or BIN ignoring case', async () => {
    const { app } = api;
    const all = ok(await call(app, 'GET', '/v1/me/lenders', alice)).lenders;
    assert.deepEqual(all, [
      { name: 'Halyk Test Bank', bin: BIN.bank, type: 'bank' },
      { name: 'Quick Money MFO', bin: BIN.mfo, type: 'mfo' },
    ]);
    assert.deepEqual(
      ok(await call(app, 'GET', '/v1/me/lenders?q=money', alice)).lenders.map((l: { bin: string }) => l.bin),
      [BIN.mfo],
    );
    assert.deepEqual(
      ok(await call(app, 'GET', '/v1/me/lenders?q=HALYK', alice)).lenders.map((l: { bin: string }) => l.bin),
      [BIN.bank],
    );
    assert.deepEqual(
      ok(await call(app, 'GET', `/v1/me/lenders?q=${BIN.mfo.slice(2, 7)}`, alice)).lenders.map((l: { bin: string }) => l.bin),
      [BIN.mfo],
    );
    assert.deepEqual(ok(await call(app, 'GET', '/v1/me/lenders?q=gone', alice)).lenders, [], 'a revoked lender is not offered');
    assert.deepEqual(ok(await call(app, 'GET', '/v1/me/lenders?q=nothing-like-it', alice)).lenders, []);
    assertError(await call(app, 'GET', `/v1/me/lenders?q=${'x'.repeat(201)}`, alice), 400, 'invalid_request');
    assertError(await call(app, 'GET', '/v1/me/lenders', null), 401, 'unauthorized');
  });

  it('appears in the OpenAPI document under "me", with the citizen token and no route naming a citizen', async () => {
    const doc = (await api.app.inject({ url: '/openapi.json' })).json();
    const mine = Object.entries(doc.paths as Record<string, Record<string, Record<string, unknown>>>).filter(([p]) =>
      p.startsWith('/v1/me'),
    );
    assert.deepEqual(mine.map(([p, ops]) => `${p} ${Object.keys(ops).sort().join(',')}`).sort(), [
      '/v1/me/checks get',
      '/v1/me/exemptions post',
      '/v1/me/history get',
      '/v1/me/lenders get',
      '/v1/me/restriction get,patch,put',
      '/v1/me/restriction/lift delete,post',
    ]);
    for (const [path, ops] of mine) {
      assert.ok(!path.includes('{'), `${path} takes no path parameter`);
      for (const op of Object.values(ops)) {
        assert.deepEqual(op.tags, ['me']);
        assert.deepEqual(op.security, [{ citizenToken: [] }]);
        assert.equal(typeof op.summary, 'string');
        assert.equal(typeof op.description, 'string');
        assert.ok((op.responses as Record<string, unknown>)['401'], `${path} documents 401`);
      }
    }
  });
});

describe('a pending lift (LIFT_DELAY=2d)', () => {
  it('holds the ban until it takes effect, and DELETE cancels it', async () => {
    const api = await setup({ LIFT_DELAY: '2d' });
    try {
      const { app, reg } = api;
      const alice = await api.token(IIN.alice);
      ok(
        await call(app, 'PUT', '/v1/me/restriction', alice, {
          lenderTypes: ['bank', 'mfo'],
          channels: ['remote'],
          term: { months: 1 },
        }),
      );
      const lift = ok(await call(app, 'POST', '/v1/me/restriction/lift', alice));
      assert.equal(lift.restriction.status, 'lift_pending');
      assert.equal(lift.restriction.liftEffectiveAt, lift.liftEffectiveAt);
      assert.equal(lift.restriction.liftRequestedAt, '2026-03-10T06:00:00.000Z');
      assert.ok(Date.parse(lift.liftEffectiveAt) > Date.parse('2026-03-11T06:00:00Z'), 'not before the second calendar day');
      assertError(await call(app, 'POST', '/v1/me/restriction/lift', alice), 409, 'lift_pending');

      const kept = ok(await call(app, 'DELETE', '/v1/me/restriction/lift', alice)).restriction;
      assert.equal(kept.status, 'active');
      assert.equal(kept.liftEffectiveAt, null);
      assert.equal(kept.version, 3);
      assertError(await call(app, 'DELETE', '/v1/me/restriction/lift', alice), 409, 'no_pending_lift');

      // Asked again and left to run: once the day comes, the ban is gone.
      const second = ok(await call(app, 'POST', '/v1/me/restriction/lift', alice));
      reg.clock.set(second.liftEffectiveAt);
      assert.deepEqual(ok(await call(app, 'GET', '/v1/me/restriction', alice)), { restriction: null });
      const actions = ok(await call(app, 'GET', '/v1/me/history', alice)).history.map((e: { action: string }) => e.action);
      assert.deepEqual(actions, ['placed', 'lift_requested', 'lift_cancelled', 'lift_requested']);
    } finally {
      await api.close();
    }
  });
});

describe('access tokens', () => {
  let api: Api;
  before(async () => {
    api = await setup();
  });
  after(() => api.close());

  async function refused(token: string | null, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const res = await api.app.inject({
      url: '/v1/me/restriction',
      headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...headers },
    });
    assertError(res, 401, 'unauthorized');
    assert.match(String(res.headers['www-authenticate']), /^Bearer realm="tyiym"/);
    assert.equal(res.headers['cache-control'], 'no-store');
    return res;
  }

  it('accepts a valid token, and an expiry within the clock tolerance', async () => {
    ok(await call(api.app, 'GET', '/v1/me/restriction', await api.token(IIN.alice)));
    const justExpired = await api.token(IIN.alice, { exp: Math.floor(Date.now() / 1000) - 2 });
    ok(await call(api.app, 'GET', '/v1/me/restriction', justExpired));
  });

  it('401 without a bearer token', async () => {
    const res = await refused(null);
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="tyiym"');
    await refused(null, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` });
    await refused(null, { authorization: 'Bearer' });
    await refused(null, { authorization: 'Bearer two tokens' });
  });

  it('401 for an expired token, or one without an expiry', async () => {
    const expired = await refused(await api.token(IIN.alice, { exp: Math.floor(Date.now() / 1000) - 60 }));
    assert.match(expired.json().error.message, /expired/);
    assert.match(String(expired.headers['www-authenticate']), /error="invalid_token"/);
    await refused(await api.token(IIN.alice, { exp: null }));
  });

  it('401 for the wrong audience (an ID token for the portal) or the wrong issuer', async () => {
    const { clientId } = api.reg.services.config.portal.oidc;
    await refused(await api.token(IIN.alice, { audience: clientId }));
    await refused(await api.token(IIN.alice, { issuer: 'https://evil.example.test' }));
    await refused(await api.token(IIN.alice, { issuer: `${ISSUER}/` }));
  });

  it('401 for a token signed by another key, under our key id or its own', async () => {
    const other = await testSigningKey('other-key');
    const claims = { iin: IIN.alice };
    await refused(await mintToken(other, claims, { issuer: ISSUER, audience: api.audience, kid: api.key.kid }));
    await refused(await mintToken(other, claims, { issuer: ISSUER, audience: api.audience }));
  });

  it('401 unauthorized, not invalid_iin, when the token carries no valid IIN; the IIN is not echoed', async () => {
    const mint = (claims: Record<string, unknown>) => mintToken(api.key, claims, { issuer: ISSUER, audience: api.audience });
    await refused(await mint({}));
    await refused(await mint({ iin: '' }));
    await refused(await mint({ iin: Number(IIN.alice) }));
    await refused(await mint({ iin: [IIN.alice] }));
    await refused(await mint({ national_id: IIN.alice }));
    const badCheckDigit = `${IIN.alice.slice(0, 11)}${(Number(IIN.alice[11]) + 1) % 10}`;
    const res = await refused(await mint({ iin: badCheckDigit }));
    assert.ok(!res.body.includes(badCheckDigit));
    assert.match(res.json().error.message, /does not identify a citizen/);
  });

  it('401 for unsigned (alg none) and shared-secret (HS256) tokens', async () => {
    const claims = { iin: IIN.alice };
    const none = new UnsecuredJWT(claims)
      .setIssuer(ISSUER)
      .setAudience(api.audience)
      .setIssuedAt()
      .setExpirationTime('5m')
      .encode();
    await refused(none);
    const secret = new TextEncoder().encode('a shared secret of thirty-two bytes!');
    const hs = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: api.key.kid })
      .setIssuer(ISSUER)
      .setAudience(api.audience)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(secret);
    await refused(hs);
    await refused('not.a.jwt');
    await refused('eyJhbGciOiJSUzI1NiJ9.e30.c2ln');
  });

  it('a refused token changes nothing', async () => {
    const expired = await api.token(IIN.bob, { exp: Math.floor(Date.now() / 1000) - 60 });
    const whole = { lenderTypes: ['bank', 'mfo'], channels: ['remote', 'in_person'], term: { months: 1 } };
    assertError(await call(api.app, 'PUT', '/v1/me/restriction', expired, whole), 401, 'unauthorized');
    assertError(await call(api.app, 'PUT', '/v1/me/restriction', null, whole), 401, 'unauthorized');
    assertError(await call(api.app, 'PATCH', '/v1/me/restriction', expired, { term: { months: 2 } }), 401, 'unauthorized');
    assert.deepEqual(ok(await call(api.app, 'GET', '/v1/me/history', await api.token(IIN.bob))), { history: [] });
  });

  it('a citizen token is no lender key: /v1/checks still refuses it', async () => {
    const res = await call(api.app, 'POST', '/v1/checks', await api.token(IIN.alice), {
      iin: IIN.bob,
      channel: 'remote',
      reference: 'R',
    });
    assertError(res, 401, 'unauthorized');
  });
});

describe('two citizens', () => {
  it('never see or change each other’s record', async () => {
    const api = await setup();
    try {
      const { app, reg } = api;
      const [a, b] = [await api.token(IIN.alice), await api.token(IIN.bob)];
      const bank = await reg.services.lenders.register({ name: 'Bank', bin: BIN.bank, type: 'bank' });
      const placedA = ok(
        await call(app, 'PUT', '/v1/me/restriction', a, {
          lenderTypes: ['bank', 'mfo'],
          channels: ['remote', 'in_person'],
          term: { indefinite: true },
        }),
      ).restriction;
      ok(await call(app, 'POST', '/v1/me/exemptions', a, { lenderBin: BIN.bank, hours: 2 }), 201);
      await reg.services.checks.check(bank.lender, { iin: IIN.alice, channel: 'in_person', reference: 'A-1' });

      assert.deepEqual(ok(await call(app, 'GET', '/v1/me/restriction', b)), { restriction: null });
      assert.deepEqual(ok(await call(app, 'GET', '/v1/me/history', b)), { history: [] });
      assert.deepEqual(ok(await call(app, 'GET', '/v1/me/checks', b)), { checks: [] });
      assertError(await call(app, 'POST', '/v1/me/restriction/lift', b), 409, 'no_restriction');
      assertError(await call(app, 'PATCH', '/v1/me/restriction', b, { channels: ['remote'] }), 409, 'no_restriction');

      const placedB = ok(
        await call(app, 'PUT', '/v1/me/restriction', b, { lenderTypes: ['bank'], channels: ['remote'], term: { months: 6 } }),
      ).restriction;
      assert.notEqual(placedB.id, placedA.id);
      assert.equal(placedB.version, 1);
      ok(await call(app, 'POST', '/v1/me/restriction/lift', b));

      const aNow = ok(await call(app, 'GET', '/v1/me/restriction', a)).restriction;
      assert.equal(aNow.id, placedA.id);
      assert.equal(aNow.version, 2, 'only A’s own exemption changed A’s ban');
      assert.equal(aNow.status, 'active');
      assert.equal(ok(await call(app, 'GET', '/v1/me/history', a)).history.length, 2);
      assert.equal(ok(await call(app, 'GET', '/v1/me/checks', a)).checks.length, 1);
      assert.equal(ok(await call(app, 'GET', '/v1/me/history', b)).history.length, 2);
      assert.deepEqual(ok(await call(app, 'GET', '/v1/me/checks', b)), { checks: [] });
    } finally {
      await api.close();
    }
  });
});
