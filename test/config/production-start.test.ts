import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { demoBin, demoIin } from '../../src/demo/seed.js';
import { type CliResult, type Env, postCheck, Sandbox } from '../helpers/cli.js';

// The built `tyiym` in production: it refuses weak settings at start, naming them, and serves with good ones.

function parseAssignments(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .trimEnd()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

function assertRefused(r: CliResult, setting: string): void {
  assert.equal(r.code, 1, `expected exit 1\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.match(r.stderr, /^configuration error: /m);
  assert.ok(r.stderr.includes(setting), r.stderr);
  assert.doesNotMatch(r.stdout, /listening|serving/i);
}

describe('tyiym secrets generate', () => {
  const box = new Sandbox();
  after(() => box.cleanup());

  it('prints shell assignments of fresh random values, without any configuration', async () => {
    const first = await box.run(['secrets', 'generate'], { NODE_ENV: 'production' });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stderr, '');
    assert.match(
      first.stdout,
      /^TYIYM_PEPPER=[A-Za-z0-9+/]{43}=\nTYIYM_SESSION_SECRET=[A-Za-z0-9+/]{43}=\nTYIYM_LOG_KEY=[A-Za-z0-9+/]{43}=\n$/,
    );
    const second = await box.run(['secrets', 'generate']);
    const [a, b] = [parseAssignments(first.stdout), parseAssignments(second.stdout)];
    for (const name of Object.keys(a)) assert.notEqual(a[name], b[name]);
    assert.equal(new Set(Object.values(a)).size, 3);
  });
});

describe('tyiym in production', () => {
  const box = new Sandbox();
  let production: Env;

  before(async () => {
    const generated = parseAssignments((await box.run(['secrets', 'generate'])).stdout);
    production = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      ...generated,
      OIDC_ISSUER: 'https://idp.example.test',
      OIDC_CLIENT_SECRET: randomBytes(32).toString('base64'),
      PUBLIC_URL: 'https://tyiym.example.test',
      TRUST_PROXY: '127.0.0.1',
    };
  });
  after(() => box.cleanup());

  it('refuses to serve without TYIYM_LOG_KEY, rather than answer every check with 503', async () => {
    assertRefused(await box.run(['serve', '--port', '0'], { ...production, TYIYM_LOG_KEY: undefined }), 'TYIYM_LOG_KEY');
  });

  it('refuses a weak pepper, session secret or log key, naming it', async () => {
    assertRefused(await box.run(['serve', '--port', '0'], { ...production, TYIYM_PEPPER: 'x'.repeat(43) }), 'TYIYM_PEPPER');
    assertRefused(await box.run(['lender', 'list'], { ...production, TYIYM_PEPPER: '0'.repeat(64) }), 'TYIYM_PEPPER');
    const passphrase = Buffer.from('correct horse battery staple, twice over').toString('base64');
    assertRefused(
      await box.run(['serve', '--port', '0'], { ...production, TYIYM_SESSION_SECRET: passphrase }),
      'TYIYM_SESSION_SECRET',
    );
    const zeroSeed = Buffer.alloc(32).toString('base64');
    assertRefused(await box.run(['serve', '--port', '0'], { ...production, TYIYM_LOG_KEY: zeroSeed }), 'TYIYM_LOG_KEY');
  });

  it('refuses an identity provider that is not https', async () => {
    assertRefused(
      await box.run(['serve', '--port', '0'], { ...production, OIDC_ISSUER: 'http://idp.example.test' }),
      'OIDC_ISSUER',
    );
  });

  it('serves with the generated secrets: ready, and a check is answered with its receipt', async () => {
    const lender = await box.json<{ apiKey: string }>(
      ['lender', 'add', '--name', 'Prod Bank', '--bin', demoBin('99214000021'), '--type', 'bank'],
      production,
    );
    const server = await box.serve({ env: production });
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    const answer = await postCheck(server.url, lender.apiKey, {
      iin: demoIin(1980, 1, 2, 'male'),
      channel: 'remote',
      reference: 'P-1',
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(typeof answer.body.receipt, 'string');
  });
});

describe('tyiym outside production', () => {
  const box = new Sandbox();
  after(() => box.cleanup());

  it('warns of a weak pepper on stderr but works, so a development setup is not broken', async () => {
    const r = await box.run(['lender', 'list', '--json'], { TYIYM_PEPPER: 'x'.repeat(43) });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), []);
    assert.match(r.stderr, /^configuration warning: TYIYM_PEPPER .*secrets generate/m);
    assert.ok(!r.stderr.includes('x'.repeat(20)), 'the secret is not repeated');
  });
});
