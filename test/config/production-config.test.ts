import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateSecrets } from '../../src/cli/secrets.js';
import { assertServable, ConfigError, endpointAllowed, isLoopbackHost, loadConfig } from '../../src/config.js';
import { readSecret } from '../../src/secret-strength.js';
import { loadSecrets } from '../../src/secrets.js';

// Production refuses weak configuration at start, naming the setting; elsewhere the same settings only warn.

const random = (n = 32) => randomBytes(n);
const twice = (b: Buffer) => Buffer.concat([b, b]);

/** Everything production needs, each secret made the documented way (32 random bytes, base64). */
function productionEnv(): Record<string, string> {
  return {
    NODE_ENV: 'production',
    TYIYM_PEPPER: random().toString('base64'),
    TYIYM_SESSION_SECRET: random().toString('base64'),
    TYIYM_LOG_KEY: random().toString('base64'),
    OIDC_ISSUER: 'https://idp.example.test',
    OIDC_CLIENT_SECRET: random().toString('base64'),
    PUBLIC_URL: 'https://tyiym.example.test',
    TRUST_PROXY: '127.0.0.1',
    DATABASE_URL: '/nonexistent/tyiym.db',
  };
}

/** Secrets a person might paste that no random generator gives. */
const WEAK: readonly { label: string; value: string }[] = [
  { label: '64 zeros (hex)', value: '0'.repeat(64) },
  { label: "'x' × 43", value: 'x'.repeat(43) },
  { label: "'ab' × 32 (one byte repeated)", value: 'ab'.repeat(32) },
  { label: 'a hex alphabet repeated', value: '0123456789abcdef'.repeat(4) },
  { label: '16 random bytes twice', value: twice(random(16)).toString('hex') },
  { label: 'a passphrase', value: 'correct horse battery staple and then a few more words here' },
  { label: 'a passphrase in base64', value: Buffer.from('correct horse battery staple, one more time!').toString('base64') },
  { label: 'a passphrase in hex', value: Buffer.from('correct horse battery staple once').toString('hex') },
  { label: 'letters only, long enough to pass for base64', value: 'correcthorsebatterystaplecorrecthorsebatterystaple' },
  { label: 'bytes 0 to 7 over and over', value: Buffer.from(Array.from({ length: 32 }, (_, i) => i % 8)).toString('base64') },
];

describe('secret strength', () => {
  it('takes random values in every documented form: base64, base64url, hex, longer ones', () => {
    for (let i = 0; i < 2_000; i++) {
      const bytes = random(i % 3 === 0 ? 64 : 32);
      for (const text of [
        bytes.toString('base64'),
        bytes.toString('base64url'),
        bytes.toString('hex'),
        ` ${bytes.toString('base64')}\n`,
      ]) {
        const read = readSecret(text);
        assert.equal(read.weakness, null, text);
        assert.ok(read.bytes.equals(bytes));
      }
    }
  });

  it('finds each weak value weak', () => {
    for (const { label, value } of WEAK) assert.notEqual(readSecret(value).weakness, null, label);
  });

  it('takes what `tyiym secrets generate` prints', () => {
    const lines = generateSecrets().trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => l.split('=')[0]),
      ['TYIYM_PEPPER', 'TYIYM_SESSION_SECRET', 'TYIYM_LOG_KEY'],
    );
    const env = {
      ...productionEnv(),
      ...Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])),
    };
    for (const l of lines) assert.match(l, /^[A-Z_]+=[A-Za-z0-9+/]{43}=$/, 'base64 needs no quoting in a shell');
    const config = loadConfig(env);
    assert.deepEqual(config.warnings, []);
    assertServable(config);
    assert.notEqual(loadSecrets(config).logKey, null);
    assert.notEqual(generateSecrets(), generateSecrets());
  });
});

describe('in production', () => {
  it('starts with good settings, with no warning', () => {
    const config = loadConfig(productionEnv());
    assert.deepEqual(config.warnings, []);
    assertServable(config);
  });

  for (const name of ['TYIYM_PEPPER', 'TYIYM_SESSION_SECRET']) {
    it(`refuses a weak ${name}, naming it`, () => {
      for (const { label, value } of WEAK) {
        assert.throws(
          () => loadConfig({ ...productionEnv(), [name]: value }),
          (e: unknown) => e instanceof ConfigError && e.message.includes(name) && /secrets generate|openssl rand/.test(e.message),
          label,
        );
      }
      assert.throws(
        () => loadConfig({ ...productionEnv(), [name]: random(31).toString('base64') }),
        (e: unknown) => e instanceof ConfigError && e.message.includes(name) && /32/.test(e.message),
      );
    });
  }

  it('refuses to serve without TYIYM_LOG_KEY, naming it', () => {
    const { TYIYM_LOG_KEY: _, ...env } = productionEnv();
    assert.throws(
      () => assertServable(loadConfig(env)),
      (e: unknown) => e instanceof ConfigError && e.message.includes('TYIYM_LOG_KEY'),
    );
  });

  it('refuses a TYIYM_LOG_KEY that is malformed or whose seed is weak, naming it', () => {
    for (const value of ['not a key', Buffer.alloc(32).toString('base64'), Buffer.from('x'.repeat(32)).toString('base64')]) {
      assert.throws(
        () => loadSecrets(loadConfig({ ...productionEnv(), TYIYM_LOG_KEY: value })),
        (e: unknown) => e instanceof ConfigError && e.message.includes('TYIYM_LOG_KEY'),
        value,
      );
    }
  });

  it('refuses an OIDC_ISSUER that is not https, even on this machine', () => {
    for (const issuer of [
      'http://idp.example.test',
      'http://127.0.0.1:8080/dev-idp',
      'http://localhost/idp',
      'ftp://idp.example.test',
      'idp',
    ]) {
      assert.throws(
        () => loadConfig({ ...productionEnv(), OIDC_ISSUER: issuer }),
        (e: unknown) => e instanceof ConfigError && e.message.includes('OIDC_ISSUER') && e.message.includes('https'),
        issuer,
      );
    }
  });
});

describe('outside production', () => {
  it('only warns of a weak pepper or session secret, so a development setup keeps working', () => {
    for (const name of ['TYIYM_PEPPER', 'TYIYM_SESSION_SECRET']) {
      for (const { label, value } of WEAK) {
        const config = loadConfig({ [name]: value });
        assert.equal(config.warnings.length, 1, label);
        assert.match(config.warnings[0] as string, new RegExp(`^${name} `));
        assert.doesNotMatch(config.warnings[0] as string, new RegExp(value.slice(0, 16)), 'the secret itself is never repeated');
      }
    }
    assert.throws(() => loadConfig({ TYIYM_PEPPER: 'ab'.repeat(8) }), /TYIYM_PEPPER must hold at least 32 random bytes/);
  });

  it('takes a plain-http issuer on this machine silently, and warns of one elsewhere', () => {
    assert.deepEqual(loadConfig({ OIDC_ISSUER: 'http://127.0.0.1:8080/dev-idp' }).warnings, []);
    assert.deepEqual(loadConfig({ DEV_IDP: 'true' }).warnings, [], 'the demo');
    const lan = loadConfig({ OIDC_ISSUER: 'http://192.168.1.20:8080/dev-idp' });
    assert.equal(lan.warnings.length, 1);
    assert.match(lan.warnings[0] as string, /OIDC_ISSUER/);
    assert.throws(() => loadConfig({ OIDC_ISSUER: 'file:///etc/passwd' }), /OIDC_ISSUER must be an https URL/);
  });
});

describe('identity provider addresses', () => {
  it('loopback is localhost, 127.0.0.0/8 and ::1 only', () => {
    for (const host of ['localhost', 'LOCALHOST', 'app.localhost', '127.0.0.1', '127.1.2.3', '[::1]'])
      assert.ok(isLoopbackHost(host), host);
    for (const host of [
      'localhost.example.test',
      '128.0.0.1',
      '0.0.0.0',
      '10.0.0.1',
      '[::2]',
      'idp.example.test',
      '127.0.0.1.nip.io',
    ]) {
      assert.equal(isLoopbackHost(host), false, host);
    }
  });

  it('an endpoint from discovery is https, or http only when the issuer itself is', () => {
    assert.ok(endpointAllowed('https://idp.example.test/jwks', 'https://idp.example.test'));
    assert.equal(endpointAllowed('http://idp.example.test/jwks', 'https://idp.example.test'), false);
    assert.equal(endpointAllowed('http://127.0.0.1/token', 'https://idp.example.test'), false);
    assert.ok(endpointAllowed('http://127.0.0.1:8080/dev-idp/jwks', 'http://127.0.0.1:8080/dev-idp'));
    assert.equal(endpointAllowed('file:///jwks', 'http://127.0.0.1'), false);
    assert.equal(endpointAllowed('not a url', 'https://idp.example.test'), false);
  });
});
