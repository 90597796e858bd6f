import assert from 'node:assert/strict';
import { after, before, describe, it, mock } from 'node:test';
import type { AdapterPayload } from 'oidc-provider';
import { createDevProvider } from '../../src/idp/dev-idp.js';
import type { DevIdpRepository } from '../../src/idp/dev-idp.repository.js';
import { devIdpAdapter, devIdpIdHash, devIdpStateKey, openPayload, sealPayload } from '../../src/idp/dev-idp-adapter.js';
import { IIN } from '../helpers/people.js';
import { openTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { devIdpSecrets } from '../portal/portal-app.js';

const SECRET = 'test-dev-idp-client-secret-0123456789abcdef';

describe('the development provider’s state in the store', () => {
  let reg: TestRegistry;
  let repository: DevIdpRepository;
  let ms = Date.parse('2026-03-10T06:00:00Z');
  const now = () => ms;
  const adapter = (model: string, secret = SECRET) => devIdpAdapter(repository, secret, now)(model);
  before(async () => {
    reg = await openTestRegistry();
    repository = reg.services.store.devIdp;
  });
  after(() => reg.close());

  it('keeps a payload sealed, and gives it back whole', async () => {
    const sessions = adapter('Session');
    const payload: AdapterPayload = { accountId: IIN.alice, uid: 'uid-1', kind: 'Session', jti: 'session-1', exp: 1 };
    await sessions.upsert('session-1', payload, 600);
    assert.deepEqual(await sessions.find('session-1'), payload);
    assert.deepEqual(await sessions.findByUid('uid-1'), payload);
    assert.equal(await sessions.find('session-2'), undefined);
    assert.equal(await adapter('Interaction').find('session-1'), undefined, 'each model apart');

    const stored = await repository.find('Session', devIdpIdHash('session-1'), new Date(ms));
    assert.ok(stored);
    assert.equal(stored.payload.indexOf(IIN.alice), -1, 'no IIN in the stored bytes');
    assert.equal(stored.payload.indexOf('session-1'), -1);
    assert.equal(
      await repository.find('Session', Buffer.from('session-1'), new Date(ms)),
      null,
      'found by the hash of its id only',
    );
    assert.equal(await adapter('Session', 'another secret, another key').find('session-1'), undefined);
  });

  it('binds a sealed payload to its model and id', () => {
    const key = devIdpStateKey(SECRET);
    const idHash = devIdpIdHash('a');
    const sealed = sealPayload(key, 'Grant', idHash, { accountId: IIN.bob });
    assert.deepEqual(openPayload(key, 'Grant', idHash, sealed), { accountId: IIN.bob });
    assert.equal(openPayload(key, 'Grant', devIdpIdHash('b'), sealed), null, 'under another id');
    assert.equal(openPayload(key, 'Session', idHash, sealed), null, 'under another model');
    const altered = Buffer.from(sealed);
    altered[20] = (altered[20] as number) ^ 1;
    assert.equal(openPayload(key, 'Grant', idHash, altered), null, 'altered');
    assert.equal(openPayload(key, 'Grant', idHash, sealed.subarray(0, 10)), null, 'cut short');
  });

  it('marks a code consumed, on every node, until it is saved again', async () => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('code-1', { accountId: IIN.carol, grantId: 'grant-1' }, 60);
    await codes.consume('code-1');
    assert.equal((await adapter('AuthorizationCode').find('code-1'))?.consumed, Math.floor(ms / 1000));
    await codes.upsert('code-1', { accountId: IIN.carol, grantId: 'grant-1' }, 60);
    assert.equal((await codes.find('code-1'))?.consumed, undefined);
  });

  it('finds a device code by its user code', async () => {
    const devices = adapter('DeviceCode');
    await devices.upsert('device-1', { userCode: 'ABCD-EFGH', accountId: IIN.dan }, 600);
    assert.equal((await devices.findByUserCode('ABCD-EFGH'))?.accountId, IIN.dan);
    assert.equal(await devices.findByUserCode('ZZZZ-ZZZZ'), undefined);
  });

  it('revoking a grant deletes what was issued under it, and nothing else', async () => {
    await adapter('AccessToken').upsert('token-1', { grantId: 'grant-9' }, 600);
    await adapter('AuthorizationCode').upsert('code-9', { grantId: 'grant-9' }, 60);
    await adapter('AccessToken').upsert('token-2', { grantId: 'grant-8' }, 600);
    await adapter('Grant').upsert('grant-9', { accountId: IIN.alice }, 600);
    await adapter('AccessToken').revokeByGrantId('grant-9');
    assert.equal(await adapter('AccessToken').find('token-1'), undefined);
    assert.equal(await adapter('AuthorizationCode').find('code-9'), undefined);
    assert.ok(await adapter('AccessToken').find('token-2'));
    assert.ok(await adapter('Grant').find('grant-9'), 'the grant itself is destroyed by the provider, not here');
    await adapter('Grant').destroy('grant-9');
    assert.equal(await adapter('Grant').find('grant-9'), undefined);
  });

  it('never reads an expired record, and purge deletes the expired ones only', async () => {
    const interactions = adapter('Interaction');
    await interactions.upsert('i-short', { accountId: IIN.bob }, 60);
    await interactions.upsert('i-long', { accountId: IIN.bob }, 3600);
    ms += 61_000;
    assert.equal(await interactions.find('i-short'), undefined);
    assert.ok(await interactions.find('i-long'));
    const purged = await repository.purge(new Date(ms));
    assert.ok(purged >= 1, `${purged} purged`);
    assert.equal(await repository.find('Interaction', devIdpIdHash('i-short'), new Date(0)), null, 'gone, not just hidden');
    assert.ok(await interactions.find('i-long'));
  });

  it('the provider is built on the store, with no warning about an in-memory adapter', () => {
    const warn = mock.method(console, 'warn', () => undefined);
    try {
      createDevProvider(reg.services.config, devIdpSecrets(), repository, 'http://127.0.0.1:1');
      const said = warn.mock.calls.map((c) => String(c.arguments[0]));
      assert.ok(!said.some((s) => /in-memory adapter/.test(s)), said.join('\n'));
    } finally {
      warn.mock.restore();
    }
  });
});
