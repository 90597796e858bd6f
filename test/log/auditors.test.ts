import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { demoBin, demoIin } from '../../src/demo/seed.js';
import { parseEntryBundle } from '../../src/log/tiles.js';
import { decodeEntry } from '../../src/verify/index.js';
import { type CliResult, type LenderAdded, postCheck, Sandbox, type ServerProcess } from '../helpers/cli.js';

/*
 * The entry bundles link entries to one pseudonymous citizen, so only auditors read them; everything
 * else about the log (checkpoints, hash tiles, proofs, the key) stays public. Auditor keys are issued,
 * listed and revoked with `tyiym auditor`, and a running server refuses a revoked one within a second.
 */

const IIN = demoIin(1958, 3, 14, 'female');

interface AuditorJson {
  id: string;
  name: string;
  status: 'active' | 'revoked';
  keyPrefix: string;
  createdAt: string;
  revokedAt: string | null;
}

function assertOk(r: CliResult): void {
  assert.equal(r.code, 0, `expected exit 0\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

function assertFails(r: CliResult, pattern: RegExp): void {
  assert.notEqual(r.code, 0, `expected a non-zero exit\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.match(r.stderr, pattern);
}

describe('auditor keys and the entry bundles', () => {
  const box = new Sandbox();
  let server: ServerProcess;
  let bank: LenderAdded;
  let auditor: { id: string; apiKey: string };
  let size = 0;

  /** GET a log path with an optional bearer key; returns the status, the challenge and the body. */
  const get = async (path: string, key: string | null, method = 'GET') => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: key === null ? {} : { authorization: `Bearer ${key}` },
    });
    const body = Buffer.from(await res.arrayBuffer());
    return { status: res.status, challenge: res.headers.get('www-authenticate'), body, cache: res.headers.get('cache-control') };
  };
  const bundle = () => `/log/tile/entries/000.p/${size}`;

  before(async () => {
    bank = await box.addLender('Audit Bank JSC', demoBin('99014000001'), 'bank');
    assertOk(await box.run(['restriction', 'place', '--iin', IIN, '--operator', 'Audit Operator']));
    server = await box.serve();
    for (let i = 0; i < 3; i++) {
      const r = await postCheck(server.url, bank.apiKey, { iin: IIN, channel: 'remote', reference: `AUD-${i}` });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    size = Number((await (await fetch(`${server.url}/log/checkpoint`)).text()).split('\n')[1]);
    assert.equal(size, 4);
    auditor = await box.json<{ id: string; apiKey: string }>(['auditor', 'add', '--name', 'Regulator audit team']);
  });
  after(() => box.cleanup());

  test('auditor add --json prints the id and a key, once; auditor keys look unlike lenders’ keys', () => {
    assert.deepEqual(Object.keys(auditor).sort(), ['apiKey', 'id']);
    assert.match(auditor.apiKey, /^tya_[A-Za-z0-9_-]{43}$/);
    assert.match(bank.apiKey, /^tyk_/);
  });

  test('an auditor key reads the entry bundles, which hold the log’s entries, never cached by a shared cache', async () => {
    const r = await get(bundle(), auditor.apiKey);
    assert.equal(r.status, 200);
    assert.equal(r.cache, 'private, no-store');
    const entries = parseEntryBundle(r.body).map((e) => decodeEntry(e));
    assert.deepEqual(
      entries.map((e) => e.type),
      ['restriction_event', 'check', 'check', 'check'],
    );
    assert.equal((await get(bundle(), auditor.apiKey, 'HEAD')).status, 200);
  });

  test('without an auditor key the entry bundles answer 401 with a Bearer challenge', async () => {
    const anonymous = await get(bundle(), null);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.challenge, 'Bearer realm="tyiym"');
    const body = JSON.parse(anonymous.body.toString('utf8')) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'unauthorized');
    assert.match(body.error.message, /auditor/);

    for (const [who, key] of [
      ['a lender’s key', bank.apiKey],
      ['an unknown auditor-looking key', `tya_${'A'.repeat(43)}`],
      ['an unknown key', 'not-a-key'],
      ['a lender key with the auditor prefix', `tya_${bank.apiKey.slice(4)}`],
    ] as const) {
      const r = await get(bundle(), key);
      assert.equal(r.status, 401, who);
      assert.equal(r.challenge, 'Bearer realm="tyiym", error="invalid_token"', who);
      assert.equal(r.body.includes(Buffer.from('check')), false, `${who}: no entry is in the answer`);
    }
    assert.equal((await get(bundle(), null, 'HEAD')).status, 401);
    // Another scheme, or the key without a scheme, is no key.
    for (const authorization of [`Basic ${auditor.apiKey}`, auditor.apiKey, 'Bearer']) {
      const res = await fetch(`${server.url}${bundle()}`, { headers: { authorization } });
      assert.equal(res.status, 401, authorization);
    }
  });

  test('no spelling of the path reaches an entry bundle without the key', async () => {
    for (const path of [
      '/log/tile/%65ntries/000.p/4',
      '/log/tile/entries%2F000.p%2F4',
      '/log/tile/entries/000.p/4?x=1',
      '/log/tile//entries/000.p/4',
      '/log/tile/./entries/000.p/4',
      '/log/tile/ENTRIES/000.p/4',
      '/log/tile/entries/000.p/4/',
    ]) {
      const r = await get(path, null);
      assert.ok([401, 404].includes(r.status), `${path}: ${r.status}`);
      assert.equal(r.body.includes(Buffer.from('check')), false, path);
    }
  });

  test('hash tiles, checkpoints, proofs and the key stay public', async () => {
    for (const path of [
      `/log/tile/0/000.p/${size}`,
      `/log/tile/0/000.p/${size - 1}`,
      '/log/checkpoint',
      '/log/key',
      `/log/proof/inclusion?index=1&size=${size}`,
      `/log/proof/consistency?from=1&to=${size}`,
    ]) {
      const r = await get(path, null);
      assert.equal(r.status, 200, path);
      assert.equal(r.challenge, null, path);
    }
  });

  test('an auditor key is not a lender key: it makes no check', async () => {
    const r = await postCheck(server.url, auditor.apiKey, { iin: IIN, channel: 'remote', reference: 'AUDITOR' });
    assert.equal(r.status, 401);
  });

  test('auditor add and list, as text and as JSON', async () => {
    const added = await box.run(['auditor', 'add', '--name', 'Court expert Ә. Қасымов']);
    assertOk(added);
    const m = added.stdout.match(/^Auditor Court expert Ә\. Қасымов\n {2}id: +(\S+)\n {2}API key: (tya_\S+)\n/);
    assert.ok(m, added.stdout);
    assert.match(added.stdout, /shown only this once/);
    const [, id, apiKey] = m as RegExpMatchArray;
    assert.equal((await get(bundle(), apiKey as string)).status, 200, 'the key printed as text works too');

    const list = await box.json<AuditorJson[]>(['auditor', 'list']);
    const mine = list.find((a) => a.id === id);
    assert.ok(mine);
    assert.equal(mine.name, 'Court expert Ә. Қасымов');
    assert.equal(mine.status, 'active');
    assert.equal(mine.revokedAt, null);
    assert.ok((apiKey as string).startsWith(mine.keyPrefix) && mine.keyPrefix.length < (apiKey as string).length);
    assert.ok(Math.abs(Date.parse(mine.createdAt) - Date.now()) < 60_000);
    const first = list.find((a) => a.id === auditor.id);
    assert.equal(first?.name, 'Regulator audit team');
    // The list never shows a key.
    const listed = await box.run(['auditor', 'list']);
    assertOk(listed);
    assert.ok(!listed.stdout.includes(apiKey as string) && !listed.stdout.includes(auditor.apiKey));
    assert.match(listed.stdout, new RegExp(`^${id}\\s+active\\s+${mine.keyPrefix}…\\s+Court expert Ә\\. Қасымов$`, 'm'));
    assert.ok(!JSON.stringify(list).includes(auditor.apiKey));

    assertFails(await box.run(['auditor', 'add', '--name', 'Line\nbreak']), /auditor name must not contain control/);
    assertFails(await box.run(['auditor', 'add', '--name', 'Evil \u202Eeman']), /auditor name must not contain control/);
    assertFails(await box.run(['auditor', 'add', '--name', '   ']), /auditor name is required/);
    assertFails(await box.run(['auditor', 'add']), /--name/);
  });

  test('a revoked auditor key is refused by the running server within a second', async () => {
    const victim = await box.json<{ id: string; apiKey: string }>(['auditor', 'add', '--name', 'Temporary witness']);
    // Warm the server's key cache, so that the revocation has to get past it.
    assert.equal((await get(bundle(), victim.apiKey)).status, 200);

    const r = await box.run(['auditor', 'revoke', victim.id]);
    assertOk(r);
    assert.match(r.stdout, /Revoked auditor Temporary witness/);
    let refusedAfter = Number.POSITIVE_INFINITY;
    for (;;) {
      const status = (await get(bundle(), victim.apiKey)).status;
      const elapsed = Date.now() - r.exitedAt;
      if (status === 401) {
        refusedAfter = elapsed;
        break;
      }
      assert.equal(status, 200);
      if (elapsed > 3000) break;
      await new Promise((res) => setTimeout(res, 25));
    }
    assert.ok(refusedAfter <= 1100, `the revoked key still worked ${refusedAfter} ms after the revocation`);
    for (let i = 0; i < 3; i++) assert.equal((await get(bundle(), victim.apiKey)).status, 401);
    assert.equal((await get(bundle(), auditor.apiKey)).status, 200, 'another auditor is unaffected');

    const listed = await box.json<AuditorJson[]>(['auditor', 'list']);
    const v = listed.find((a) => a.id === victim.id);
    assert.equal(v?.status, 'revoked');
    assert.ok(v?.revokedAt && Date.parse(v.revokedAt) <= r.exitedAt);

    assertFails(await box.run(['auditor', 'revoke', victim.id]), /already revoked/);
    assertFails(await box.run(['auditor', 'revoke', '00000000-0000-7000-8000-000000000000']), /No auditor has the id/);
  });

  test('auditor revoke --json prints the revoked auditor', async () => {
    const other = await box.json<{ id: string; apiKey: string }>(['auditor', 'add', '--name', 'Second witness']);
    const revoked = await box.json<AuditorJson>(['auditor', 'revoke', other.id]);
    assert.equal(revoked.id, other.id);
    assert.equal(revoked.name, 'Second witness');
    assert.equal(revoked.status, 'revoked');
    assert.ok(revoked.revokedAt);
  });
});
