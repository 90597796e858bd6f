import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { SignJWT, UnsecuredJWT } from 'jose';
import { demoIin } from '../../src/demo/seed.js';
import { digitsSpelling } from '../../src/identity/iin-in-text.js';

/*
 * What an attacker, a careless integrator or a broken client sends: the generators behind the
 * hostile-input and pipelined-lender suites. Every generator that can carry free text also carries
 * the IINs below in some spelling, so that a test looking for an IIN where none may be can fail.
 */

/** Synthetic IINs that only ever appear in hostile places: headers, paths, queries, references. */
export const VICTIMS: readonly string[] = [
  demoIin(1972, 4, 18, 'female'),
  demoIin(1999, 12, 31, 'male'),
  demoIin(2004, 2, 29, 'female'),
  demoIin(1961, 8, 3, 'male'),
];

const FULLWIDTH_ZERO = 0xff10;
const ARABIC_INDIC_ZERO = 0x0660;
const DEVANAGARI_ZERO = 0x0966;

function inDigits(iin: string, zero: number): string {
  return [...iin].map((d) => String.fromCodePoint(zero + Number(d))).join('');
}

/** An IIN in the spellings a person or a system might use, all of which the registry must recognise. */
export function spellingsOf(iin: string): string[] {
  const groups = [iin.slice(0, 4), iin.slice(4, 8), iin.slice(8)];
  return [
    iin,
    groups.join(' '),
    groups.join('-'),
    groups.join('.'),
    `${iin.slice(0, 6)}\u00a0${iin.slice(6)}`,
    inDigits(iin, FULLWIDTH_ZERO),
    inDigits(iin, ARABIC_INDIC_ZERO),
    inDigits(iin, DEVANAGARI_ZERO),
    [...iin].join('\u200b'),
    `${iin.slice(0, 6)}\u0000${iin.slice(6)}`,
  ];
}

/** A victim's IIN, in some spelling. */
export const victimIin: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...VICTIMS), fc.nat({ max: 9 }))
  .map(([iin, n]) => spellingsOf(iin)[n % 10] as string);

/** Strings that have broken text handling somewhere before. */
const NASTY: readonly string[] = [
  '\ud800',
  '\udfff',
  'a\ud800b',
  '\udc00\ud800',
  '😀'.slice(0, 1),
  `${'x'.repeat(63)}😀`,
  `${'x'.repeat(64)}😀`,
  '😀'.repeat(65),
  '👩‍👩‍👧‍👦',
  '\u202egnp.exe',
  'ref\u2066x\u2069',
  '\u200b',
  'a\u200db',
  '\ufeffref',
  '\u0000',
  'ref\u0000',
  'a\r\nb',
  '\u0085',
  '\u2028\u2029',
  '\u001b[31mred',
  '\t',
  '１２３４',
  'e\u0301\u0301\u0301',
  'ӘҒҚҢӨҰҮҺІ',
  'مرحبا',
  '\uE000',
  '\u{10FFFF}',
  '\uFFFE',
  '\uFFFD',
  '',
  ' ',
  '\u00a0',
  '%00',
  '%ff',
  '../../etc/passwd',
  '..\\..\\windows',
  '<script>alert(1)</script>',
  '{{ 7*7 }}',
  '{% raw %}',
  // A template-literal placeholder, as text.
  `$${'{'}7*7}`,
  "' OR 1=1 --",
  '"}],"x":{"',
  'null',
  '__proto__',
  'constructor',
  'toString',
  'x'.repeat(65),
  'я'.repeat(3000),
  'a'.repeat(20_000),
];

const WEIRD_UNITS: readonly string[] = [
  '\ud800',
  '\udbff',
  '\udc00',
  '\u0000',
  '\u0007',
  '\u007f',
  '\u202e',
  '\u2066',
  '\u200b',
  '\ufeff',
  '\u0301',
  '０',
  '٣',
  '😀',
  'a',
  'Z',
  '9',
  '-',
  ' ',
  '/',
  '%',
  '\\',
  '"',
  "'",
  '<',
];

/** Free text as hostile as it comes, sometimes holding a victim's IIN. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: victimIin },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('ref-', 'APP ', '№', ''), victimIin).map(([a, b]) => a + b) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...WEIRD_UNITS), minLength: 1, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
);

/** Text a check's reference must refuse: each has at least one thing the rule forbids. */
export const badReference: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(
      fc.string({ maxLength: 10 }),
      fc.constantFrom('\ud800', '\udfff', '\u0000', '\u202e', '\u2066', '\u200b', '\u0007', '\n'),
    )
    .map(([s, bad]) => `${s}${bad}${s}`),
  fc.tuple(fc.constantFrom('ref-', 'APP ', ''), victimIin).map(([a, b]) => a + b),
  fc.constantFrom('', 'x'.repeat(65), '😀'.repeat(65), '\ud800', `${'x'.repeat(63)}\ud83d`),
);

/** Numbers that break parsers and range checks. */
export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(-1, 0, 1, 1.5, -0.5, 2 ** 31, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e308, -1e308, Number.MIN_VALUE),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any JSON value of the wrong kind, including the hostile strings. */
export const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileString },
  { weight: 2, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.constantFrom(true, false, null, [], {}, [[]], { a: {} }) },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(hostileString, hostileString, { maxKeys: 3 }) },
);

/** JSON text written by hand: what JSON.stringify can never produce. */
function rawMutations(text: string, extraKey: string): string[] {
  const open = text.startsWith('{') ? text.slice(1) : null;
  return [
    open === null ? text : `{"__proto__":{"polluted":true},${open}`,
    open === null ? text : `{"constructor":{"prototype":{"polluted":true}},${open}`,
    open === null ? text : `{"prototype":{"polluted":true},${open}`,
    open === null ? text : `{"\\u005f_proto__":{"polluted":true},${open}`,
    open === null ? text : `{"${extraKey}":"first",${open.replace(/}$/, `,"${extraKey}":"second"}`)}`,
    open === null ? text : `{"iin":"${VICTIMS[0]}",${open}`,
    `\ufeff${text}`,
    `${text}garbage`,
    `${text}${text}`,
    text.slice(0, Math.max(1, Math.floor(text.length / 2))),
    text.replace(/"/g, "'"),
    `/* comment */${text}`,
    '{"iin":NaN,"channel":Infinity,"reference":undefined}',
    '{"iin":1e400,"channel":"remote","reference":-0}',
    '{"reference":"\\ud800","channel":"remote","iin":"\\udfff"}',
    '{"reference":"\\u0000\\u202e","channel":"remote"}',
    '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]',
    `${'['.repeat(5000)}${']'.repeat(5000)}`,
    `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`,
    '',
    ' ',
    'null',
    '"just a string"',
    '12',
    'true',
  ];
}

/** Bytes that are not text at all, or not UTF-8. */
const RAW_BODIES: readonly Buffer[] = [
  Buffer.from([0xff, 0xfe, 0xfd]),
  Buffer.from('{"reference":"\xed\xa0\x80","channel":"remote"}', 'latin1'), // a surrogate in CESU-8
  Buffer.from('{"reference":"\xc0\xaf","channel":"remote"}', 'latin1'), // overlong "/"
  Buffer.from('{"reference":"\xe2\x82","channel":"remote"}', 'latin1'), // truncated sequence
  Buffer.from(JSON.stringify({ iin: VICTIMS[1], channel: 'remote', reference: 'utf16' }), 'utf16le'),
  Buffer.alloc(64, 0),
];

export interface HostileBody {
  bytes: Buffer;
  /** What the body is, for a failure report. */
  kind: string;
}

/** A JSON body built from `value`, or something worse: mutated by hand, raw bytes, huge, empty. */
export function hostileJsonBody(value: fc.Arbitrary<unknown>): fc.Arbitrary<HostileBody> {
  return fc.oneof(
    { weight: 8, arbitrary: value.map((v) => ({ bytes: Buffer.from(JSON.stringify(v) ?? 'null', 'utf8'), kind: 'json' })) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(value, fc.constantFrom('iin', 'channel', 'reference', 'term', 'hours', 'lenderBin'), fc.nat())
        .map(([v, key, n]) => {
          const variants = rawMutations(JSON.stringify(v) ?? 'null', key);
          return { bytes: Buffer.from(variants[n % variants.length] as string, 'utf8'), kind: 'hand-written json' };
        }),
    },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES).map((bytes) => ({ bytes, kind: 'raw bytes' })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(16 * 1024 + 1, 64 * 1024, 1024 * 1024).map((n) => ({
        bytes: Buffer.from(JSON.stringify({ iin: VICTIMS[2], channel: 'remote', reference: 'x'.repeat(n) }), 'utf8'),
        kind: `oversized (${n})`,
      })),
    },
  );
}

/** An HTML form body (application/x-www-form-urlencoded) with hostile fields. */
export function hostileFormBody(fields: readonly string[]): fc.Arbitrary<HostileBody> {
  const field = fc.tuple(fc.constantFrom(...fields, '_csrf', '__proto__', 'constructor[prototype][x]', 'a[]'), hostileString);
  return fc.array(field, { minLength: 0, maxLength: 6 }).map((pairs) => ({
    bytes: Buffer.from(pairs.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&'), 'utf8'),
    kind: 'form',
  }));
}

/** Percent-encodes the bytes a string would have, lone surrogates as their WTF-8 bytes (invalid UTF-8). */
export function pct(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const cp = text.codePointAt(i) as number;
    if (cp > 0xffff) i++;
    const isLone = unit >= 0xd800 && unit <= 0xdfff && cp <= 0xffff;
    const bytes = isLone
      ? Buffer.from([0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)])
      : Buffer.from(String.fromCodePoint(cp), 'utf8');
    for (const b of bytes) {
      const ch = String.fromCharCode(b);
      out += /[A-Za-z0-9\-._~]/.test(ch) ? ch : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/** A path segment: well encoded, or raw, or an encoding that is itself broken. */
export const hostileSegment: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: hostileString.map((s) => pct(s.slice(0, 300))) },
  { weight: 2, arbitrary: victimIin.map((s) => pct(s)) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '..',
      '%2e%2e',
      '%2E%2E%2F%2E%2E',
      '..%2f..%2f..%2fpackage.json',
      '%2e%2e%5c%2e%2e',
      '.',
      '%ff',
      '%',
      '%zz',
      '%00',
      '%c0%ae%c0%ae',
      '%252e%252e',
      '~',
      'x'.repeat(2000),
      'тыйым',
    ),
  },
);

/** Values for a query parameter that must be a small non-negative decimal integer. */
export const countParam: fc.Arbitrary<string> = fc.oneof(
  fc.nat({ max: 600 }).map(String),
  fc.constantFrom(
    '-1',
    '-0',
    '00',
    '007',
    '1e3',
    '0x10',
    '1.5',
    'NaN',
    'Infinity',
    '',
    '%20%31',
    '1%00',
    '%EF%BC%91', // fullwidth 1
    '9007199254740993',
    '18446744073709551616',
    '9'.repeat(400),
    'null',
    'true',
  ),
  victimIin.map(pct),
);

/** Paths under /log/tile/: canonical ones, and every way of stepping outside them. */
export const tileTail: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '0/000',
    '0/001',
    '0/000.p/1',
    '0/000.p/255',
    '0/000.p/256',
    '0/000.p/0',
    '0/000.p/-1',
    '1/000',
    '1/000.p/2',
    '63/000',
    '64/000',
    '-1/000',
    '0/x000/000',
    '0/x001/000',
    '0/0',
    '0/00',
    '0/0000',
    'entries/000',
    'entries/000.p/1',
    'entries/001',
    'entries/x001/000',
    'entries/../0/000',
    '../../../etc/passwd',
    '0/../../checkpoint',
    '%2e%2e/%2e%2e/etc/passwd',
    '0%2f000',
    'entries%2f000',
    '..%2f..%2fkey',
    '0/000/',
    '0//000',
    'entries/000.p/',
    'ENTRIES/000',
    'entries/%30%30%30',
    '0/９９９',
    `0/${'x999/'.repeat(20)}999`,
  ),
  fc.tuple(fc.constantFrom('0/', 'entries/', ''), hostileSegment).map(([a, b]) => a + b),
  fc.tuple(fc.integer({ min: -2, max: 70 }), countParam).map(([l, n]) => `${l}/${n}`),
);

/** Paths under a static file route: files, and traversal out of the folder. */
export const fileTail: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'app.css',
    '../../../package.json',
    '..%2f..%2f..%2fpackage.json',
    '%2e%2e/%2e%2e/%2e%2e/package.json',
    '%2e%2e%2f%2e%2e%2ftyiym.secrets.json',
    '....//....//etc/passwd',
    '..\\..\\..\\package.json',
    '/etc/passwd',
    '%2fetc%2fpasswd',
    'x.woff2%00.css',
    'noto-sans-cyrillic-400-normal.woff2',
    'govuk-frontend.min.js',
    'index.html',
    '.git/config',
    '.env',
  ),
  hostileSegment,
);

/** Paths under the development identity provider: its real endpoints and made-up ones. */
export const devIdpTail: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '.well-known/openid-configuration',
    'jwks',
    'auth',
    'token',
    'me',
    'session/end',
    'session/end/confirm',
    'token/introspection',
    'token/revocation',
    'reg',
    'device/auth',
    'request',
    'backchannel',
    '../../log/key',
    '%2e%2e/%2e%2e/readyz',
  ),
  hostileSegment,
);

/** Values for the query of the provider's authorization endpoint, some sending the citizen off-site. */
export const authorizeQuery: fc.Arbitrary<string> = fc
  .record({
    client_id: fc.constantFrom('tyiym-mobile', 'tyiym-portal', 'evil', ''),
    redirect_uri: fc.constantFrom(
      'kz.tyiym.app:/oauth/callback',
      'https://evil.example/cb',
      'kz.tyiym.app://evil.example/',
      'http://127.0.0.1:1/auth/callback',
      'javascript:alert(1)',
      '',
    ),
    response_type: fc.constantFrom('code', 'token', 'id_token', 'code id_token', ''),
    scope: fc.constantFrom('openid', 'openid offline_access', '', 'admin'),
    code_challenge: fc.constantFrom('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', '', 'x'),
    code_challenge_method: fc.constantFrom('S256', 'plain', ''),
    state: hostileString,
    login_hint: victimIin,
    ui_locales: fc.constantFrom('kk', 'ru', 'en', 'xx', '../'),
  })
  .map((q) =>
    Object.entries(q)
      .map(([k, v]) => `${k}=${pct(v)}`)
      .join('&'),
  );

/** returnTo values meant to send the citizen elsewhere after signing in. */
export const returnTo: fc.Arbitrary<string> = fc.oneof(
  fc
    .constantFrom(
      '/history',
      '//evil.example',
      '/\\evil.example',
      '/%09/evil.example',
      '%2F%09%2Fexample.com',
      '%2F%0A%2Fx',
      'https://evil.example/',
      'javascript:alert(1)',
      '/%2e%2e//evil.example',
      'http:evil.example',
      '/\u2028/evil.example',
      '\\\\evil.example',
      '/./../..//evil.example',
    )
    .map((s) => (s.includes('%') ? s : pct(s))),
  hostileString.map(pct),
);

export const X_REQUEST_IDS: readonly string[] = [
  'req-0001',
  VICTIMS[0] as string,
  `loan-${VICTIMS[1]}`,
  `${(VICTIMS[2] as string).slice(0, 4)}.${(VICTIMS[2] as string).slice(4)}`,
  'x'.repeat(129),
  'a b',
  '<script>',
  '../../etc',
  '"}]',
  'тыйым',
  '',
  ' ',
  `${'9'.repeat(12)}`,
];

export const IDEMPOTENCY_KEYS: readonly string[] = [
  'shared-key-1',
  'shared-key-1',
  VICTIMS[0] as string,
  `idem-${VICTIMS[3]}`,
  (VICTIMS[1] as string).replace(/(\d{4})(\d{4})(\d{4})/, '$1-$2-$3'),
  'x'.repeat(255),
  'x'.repeat(256),
  '',
  ' ',
  'a b',
  'тыйым',
  '%00',
  '"',
];

/** The real credentials of the server under test, each of which is also tried where it does not belong. */
export interface Credentials {
  lenderA: string;
  lenderB: string;
  revokedLender: string;
  rotatedAwayKey: string;
  auditor: string;
  revokedAuditor: string;
  citizenA: string;
  citizenB: string;
}

/** Tokens that look like the provider's access tokens and are not: unsigned, wrongly signed, tampered, expired. */
export async function forgedTokens(issuer: string, audience: string, realToken: string, kid: string): Promise<string[]> {
  const claims = { iin: VICTIMS[0] as string };
  const now = Math.floor(Date.now() / 1000);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const base = () =>
    new SignJWT(claims)
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(now + 300);
  const [header = '', payload = '', signature = ''] = realToken.split('.');
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const realPayload = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' });
  return [
    new UnsecuredJWT(claims)
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime(now + 300)
      .encode(),
    await base().setProtectedHeader({ alg: 'HS256' }).sign(Buffer.from('secret')),
    await base().setProtectedHeader({ alg: 'HS256', kid }).sign(Buffer.from(publicPem)),
    await base().setProtectedHeader({ alg: 'RS256', kid }).sign(privateKey),
    await base().setProtectedHeader({ alg: 'RS256' }).sign(privateKey),
    await base().setProtectedHeader({ alg: 'RS256', kid, jku: 'http://127.0.0.1:1/jwks.json' }).sign(privateKey),
    await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime(now - 3600)
      .sign(privateKey),
    // The real token, its payload swapped for one naming a victim: the signature no longer matches.
    `${header}.${b64({ ...realPayload, iin: VICTIMS[1] })}.${signature}`,
    `${header}.${payload}.`,
    `${b64({ alg: 'none', typ: 'at+jwt' })}.${payload}.`,
    `${b64({ alg: 'RS256', kid, crit: ['x-unknown'], 'x-unknown': 1 })}.${payload}.${signature}`,
    `${header}.${payload}.${signature}.${signature}.${signature}`,
    `${header}.${b64({ ...realPayload, aud: 'someone-else' })}.${signature}`,
    'a.b.c',
    'eyJ.eyJ.',
    '...',
    `${header}.${'A'.repeat(6000)}.${signature}`,
  ];
}

/** An Authorization header value: real keys and tokens on the wrong routes, and malformed ones. */
export function authorization(c: Credentials, forged: readonly string[]): fc.Arbitrary<string | null> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(null) },
    {
      weight: 6,
      arbitrary: fc
        .constantFrom(
          c.lenderA,
          c.lenderB,
          c.revokedLender,
          c.rotatedAwayKey,
          c.auditor,
          c.revokedAuditor,
          c.citizenA,
          c.citizenB,
        )
        .map((k) => `Bearer ${k}`),
    },
    { weight: 3, arbitrary: fc.constantFrom(...forged).map((t) => `Bearer ${t}`) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        `Bearer ${VICTIMS[0]}`,
        `Basic ${Buffer.from(`${VICTIMS[1]}:x`).toString('base64')}`,
        'Bearer',
        'Bearer ',
        `bearer ${c.lenderA}`,
        `BEARER  ${c.lenderB}  `,
        `Bearer ${c.lenderA} ${c.lenderB}`,
        `Bearer ${c.lenderA}x`,
        `Bearer ${c.lenderA.slice(0, -1)}`,
        `Bearer tyk_${'x'.repeat(43)}`,
        `Bearer tya_${'x'.repeat(43)}`,
        `Bearer ${'A'.repeat(9000)}`,
        `Bearer ${c.auditor}тыйым`,
        `Token ${c.lenderA}`,
        `${c.lenderA}`,
        'Bearer =',
        'Bearer %00',
      ),
    },
  );
}

/** Content-Type values, right and wrong. */
export const contentType: fc.Arbitrary<string | null> = fc.constantFrom(
  null,
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16le',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/json, text/plain',
  'application/json;;;',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----x',
  'application/xml',
  'application/jsonx',
  'application/problem+json',
  'application/vnd.api+json',
  '',
  '*/*',
  ';',
  'тыйым/json',
);

/** The IINs' spellings as plain ASCII digits: any of them in text after `digitsSpelling` is a leak. */
export function findIin(text: string, iins: readonly string[]): string | null {
  const digits = digitsSpelling(text);
  for (const iin of iins) if (digits.includes(iin)) return iin;
  return null;
}

/** Runs of %XX escapes decoded as UTF-8, the rest left as it is. */
export function percentDecoded(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
}

/** Which IIN text holds, in any spelling, percent-encoded or not; null when none. */
export function iinInText(text: string, iins: readonly string[]): string | null {
  for (const iin of iins) if (text.includes(iin)) return iin;
  return findIin(text, iins) ?? (text.includes('%') ? findIin(percentDecoded(text), iins) : null);
}

/** The ways an IIN could lie in a file: ASCII/UTF-8, UTF-16LE, and a SQLite integer (big-endian, 6 bytes). */
export function iinBytes(iin: string): { name: string; bytes: Buffer }[] {
  const asInt = Buffer.alloc(8);
  asInt.writeBigUInt64BE(BigInt(iin));
  return [
    { name: 'ASCII', bytes: Buffer.from(iin, 'latin1') },
    { name: 'UTF-16LE', bytes: Buffer.from(iin, 'utf16le') },
    { name: 'big-endian integer', bytes: asInt.subarray(2) },
    ...spellingsOf(iin)
      .slice(1)
      .map((s, i) => ({ name: `spelling ${i + 1}`, bytes: Buffer.from(s, 'utf8') })),
  ];
}

/** Where an IIN (of `iins`, in any spelling the generators use) lies in these bytes, with what surrounds it; null when nowhere. */
export function iinInBytes(bytes: Buffer, iins: readonly string[]): string | null {
  const around = (at: number, length: number) =>
    bytes.toString('latin1', Math.max(0, at - 60), Math.min(bytes.length, at + length + 60)).replace(/[^\x20-\x7e]/g, '.');
  for (const iin of iins) {
    for (const e of iinBytes(iin)) {
      const at = bytes.indexOf(e.bytes);
      if (at >= 0) return `${iin} as ${e.name}, in ${JSON.stringify(around(at, e.bytes.length))}`;
    }
  }
  const text = findIin(bytes.toString('utf8'), iins);
  return text === null ? null : `${text} in some spelling`;
}
