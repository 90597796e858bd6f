import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { AppError, ERRORS } from '../../src/errors.js';
import { acceptsJson } from '../../src/http/accept.js';
import { capturedLogger } from '../helpers/captured-log.js';
import { BIN, IIN } from '../helpers/people.js';
import { countChecks, openTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { testSigningKey, testVerifier } from '../me/tokens.js';
import { openPortal, type PortalApp } from '../portal/portal-app.js';

/**
 * Every error, from every route and from Fastify itself, has the catalogue's shape; every 401
 * carries a Bearer challenge; every response carries a request id, which every log line of
 * that request carries too.
 */

const ISSUER = 'https://idp.example.test';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface LogLine {
  reqId?: string;
  msg?: string;
  level: number;
  [key: string]: unknown;
}

/** The app with a pino logger writing into memory, so that tests can read every log line. */
async function setup() {
  const reg = await openTestRegistry({ env: { OIDC_ISSUER: ISSUER } });
  const key = await testSigningKey();
  const verifier = testVerifier(key, reg.services.config);
  const { logger, text: logged } = capturedLogger();
  const app = await buildApp(reg.services, { logger, verifier });
  await app.ready();
  const bank = await reg.services.lenders.register({ name: 'Bank', bin: BIN.bank, type: 'bank' });
  return {
    reg,
    app,
    bankKey: bank.apiKey,
    logText: logged,
    logLines: (): LogLine[] =>
      logged()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as LogLine),
  };
}

/** Exactly `{ error: { code, message } }`, with the catalogue's code for this status. */
function assertError(res: { statusCode: number; body: string }, status: number, code: string): { code: string; message: string } {
  assert.equal(res.statusCode, status, res.body);
  const body = JSON.parse(res.body) as { error: { code: string; message: string } };
  assert.deepEqual(Object.keys(body), ['error'], res.body);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message'], res.body);
  assert.equal(typeof body.error.code, 'string');
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
  assert.equal(body.error.code, code, res.body);
  assert.equal(ERRORS[code as keyof typeof ERRORS]?.status, status, `${code} is in the catalogue with status ${status}`);
  return body.error;
}

function json(key: string | null, payload: string, headers: Record<string, string> = {}): InjectOptions {
  return {
    method: 'POST',
    url: '/v1/checks',
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), 'content-type': 'application/json', ...headers },
    payload,
  };
}

const requestIdOf = (res: LightMyRequestResponse) => res.headers['x-request-id'] as string | undefined;

describe('one error shape everywhere', () => {
  let reg: TestRegistry;
  let app: FastifyInstance;
  let bankKey: string;
  let logText: () => string;
  let logLines: () => LogLine[];
  const valid = () => JSON.stringify({ iin: IIN.bob, channel: 'remote', reference: 'R-1' });

  before(async () => {
    ({ reg, app, bankKey, logText, logLines } = await setup());
  });
  after(async () => {
    await app.close();
    await reg.close();
  });

  it('a malformed percent-encoding in the path, which the router refuses before any hook', async () => {
    for (const url of ['/v1/checks/%ff', '/v1/checks/%E0%A4%A', '/log/tile/%zz', '/%ff']) {
      const res = await app.inject({ url, headers: { authorization: `Bearer ${bankKey}` } });
      const error = assertError(res, 400, 'invalid_request');
      assert.match(error.message, /URL/);
      assert.match(requestIdOf(res) ?? '', UUID);
    }
  });

  it('a body that is not JSON, is empty, or is not valid JSON', async () => {
    assert.match(assertError(await app.inject(json(bankKey, '{"iin": ')), 400, 'invalid_request').message, /not valid JSON/);
    assert.match(assertError(await app.inject(json(bankKey, '')), 400, 'invalid_request').message, /empty/);
    assertError(await app.inject(json(bankKey, 'iin=1', { 'content-type': 'text/plain' })), 415, 'unsupported_media_type');
    assertError(await app.inject(json(bankKey, '<a/>', { 'content-type': 'application/xml' })), 415, 'unsupported_media_type');
    const big = JSON.stringify({ iin: IIN.bob, channel: 'remote', reference: 'R', pad: 'x'.repeat(17 * 1024) });
    assertError(await app.inject(json(bankKey, big)), 413, 'payload_too_large');
  });

  it('a body with a __proto__ or constructor key is refused with a true message', async () => {
    const poisoned = [
      '{"__proto__": {"admin": true}, "iin": "1", "channel": "remote", "reference": "R"}',
      '{"iin": "1", "channel": "remote", "reference": "R", "x": [{"__proto__": null}]}',
      '{"constructor": {"prototype": {"admin": true}}}',
      '{"constructor": 1}',
      '{"\\u005f_proto__": {}}',
    ];
    for (const payload of poisoned) {
      const error = assertError(await app.inject(json(bankKey, payload)), 400, 'invalid_request');
      assert.equal(error.message, 'The body must not contain the keys __proto__ or constructor.', payload);
    }
    const before = await countChecks(reg.services);
    const ok = await app.inject(json(bankKey, JSON.stringify({ iin: IIN.bob, channel: 'remote', reference: 'constructor' })));
    assert.equal(ok.statusCode, 200, 'the words are fine as values');
    assert.equal(await countChecks(reg.services), before + 1);
  });

  it('a deeply nested body is parsed or refused without a fault', async () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    assertError(await app.inject(json(bankKey, deep)), 400, 'invalid_request');
    const deepObject = `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`;
    assertError(await app.inject(json(bankKey, deepObject)), 400, 'invalid_request');
  });

  it('406 not_acceptable for a caller of the JSON API that accepts no JSON, and nothing is recorded', async () => {
    const before = await countChecks(reg.services);
    assertError(await app.inject(json(bankKey, valid(), { accept: 'text/html' })), 406, 'not_acceptable');
    assertError(await app.inject(json(bankKey, valid(), { accept: 'application/json;q=0, */*' })), 406, 'not_acceptable');
    assert.equal(await countChecks(reg.services), before);
    for (const accept of [
      'application/json',
      '*/*',
      'application/*',
      'text/html, */*;q=0.1',
      'application/json; charset=utf-8',
    ]) {
      assert.equal((await app.inject(json(bankKey, valid(), { accept }))).statusCode, 200, accept);
    }
  });

  it('acceptsJson follows the most specific range', () => {
    assert.equal(acceptsJson(undefined), true);
    assert.equal(acceptsJson(''), true);
    assert.equal(acceptsJson('text/plain'), false);
    assert.equal(acceptsJson('*/*;q=0'), false);
    assert.equal(acceptsJson('application/json;q=0.5'), true);
    assert.equal(acceptsJson('application/*;q=0, application/json'), true);
    assert.equal(acceptsJson('application/json;q=0, application/*'), false);
    assert.equal(acceptsJson('application/json;q=nonsense'), false);
  });

  it('404 not_found for unknown routes, in every part of the service', async () => {
    for (const [method, url] of [
      ['GET', '/v1/nothing'],
      ['GET', '/v1/me/nothing'],
      ['POST', '/nothing'],
      ['GET', '/log/nothing'],
      ['GET', '/docs/nothing'],
      ['GET', '/docs/static/nothing.js'],
      ['DELETE', '/nothing/at/all'],
    ] as const) {
      const res = await app.inject({ method, url });
      assertError(res, 404, 'not_found');
      assert.match(requestIdOf(res) ?? '', UUID);
    }
    const masked = await app.inject({ method: 'POST', url: `/v1/nothing/${IIN.bob}` });
    assertError(masked, 404, 'not_found');
    assert.ok(!masked.body.includes(IIN.bob), 'a 12-digit run in the path is not echoed');
  });

  it('405 method_not_allowed with Allow when the path exists for other methods', async () => {
    for (const [method, url, allow] of [
      ['DELETE', '/v1/checks', 'POST'],
      ['GET', '/v1/checks', 'POST'],
      ['PUT', '/v1/checks/abc', 'GET, HEAD'],
      ['POST', '/healthz', 'GET, HEAD'],
      ['POST', '/readyz', 'GET, HEAD'],
      ['POST', '/openapi.json', 'GET, HEAD'],
      ['PATCH', '/log/checkpoint', 'GET, HEAD'],
    ] as const) {
      const res = await app.inject({ method, url });
      assertError(res, 405, 'method_not_allowed');
      assert.equal(res.headers.allow, allow, `${method} ${url}`);
    }
  });

  it('schema failures and rule failures keep their codes', async () => {
    assertError(await app.inject(json(bankKey, '{}')), 400, 'invalid_request');
    assertError(await app.inject(json(bankKey, '[]')), 400, 'invalid_request');
    assertError(
      await app.inject(json(bankKey, JSON.stringify({ iin: '12345', channel: 'remote', reference: 'R' }))),
      400,
      'invalid_iin',
    );
    assertError(await app.inject({ url: '/log/proof/inclusion?index=x&size=1' }), 400, 'invalid_request');
  });

  it('401 carries WWW-Authenticate: Bearer, with error="invalid_token" when a credential was refused', async () => {
    const bare = 'Bearer realm="tyiym"';
    const refused = 'Bearer realm="tyiym", error="invalid_token"';
    const cases: [InjectOptions, string][] = [
      [json(null, valid()), bare],
      [json(null, valid(), { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }), bare],
      [json('tyk_unknown-key', valid()), refused],
      [{ url: '/v1/checks/abc' }, bare],
      [{ url: '/v1/checks/abc', headers: { authorization: 'Bearer tyk_unknown-key' } }, refused],
      [{ url: '/v1/me/restriction' }, bare],
      [{ url: '/v1/me/restriction', headers: { authorization: 'Bearer not.a.jwt' } }, refused],
      [{ method: 'PUT', url: '/v1/me/restriction', headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.e30.' } }, refused],
    ];
    for (const [request, challenge] of cases) {
      const res = await app.inject(request);
      assertError(res, 401, 'unauthorized');
      assert.equal(res.headers['www-authenticate'], challenge, `${request.method ?? 'GET'} ${request.url}`);
    }
  });

  it('a 500 shows nothing internal, and its log line carries the request id', async () => {
    const original = reg.services.checks.find;
    reg.services.checks.find = async () => {
      throw new TypeError('cannot read x of undefined at /srv/secret/check.ts:1');
    };
    try {
      const res = await app.inject({
        url: '/v1/checks/any',
        headers: { authorization: `Bearer ${bankKey}`, 'x-request-id': 'fault-1' },
      });
      const error = assertError(res, 500, 'internal_error');
      assert.equal(error.message, ERRORS.internal_error.message);
      assert.ok(!res.body.includes('secret') && !res.body.includes('undefined'));
      assert.equal(requestIdOf(res), 'fault-1');
      const errorLine = logLines().find((l) => l.reqId === 'fault-1' && l.level >= 50);
      assert.ok(errorLine, 'the error is logged under the request id');
      assert.match(JSON.stringify(errorLine), /secret/, 'the log, not the answer, holds the detail');
    } finally {
      reg.services.checks.find = original;
    }
  });

  it('X-Request-Id: a well-formed id is kept on the response and in every log line of the request', async () => {
    const id = 'lender-42:app.7_x-1';
    const res = await app.inject(json(bankKey, valid(), { 'x-request-id': id }));
    assert.equal(res.statusCode, 200);
    assert.equal(requestIdOf(res), id);
    const lines = logLines().filter((l) => l.reqId === id);
    assert.ok(lines.some((l) => l.msg === 'incoming request'));
    assert.ok(lines.some((l) => l.msg === 'request completed'));
    // Every line about this request (its req or res) names it.
    for (const line of logLines().filter((l) => JSON.stringify(l).includes(id))) assert.equal(line.reqId, id);

    for (const kept of ['a', 'x'.repeat(128), '0123.abc:DEF_ghi-JKL']) {
      assert.equal(requestIdOf(await app.inject({ url: '/healthz', headers: { 'x-request-id': kept } })), kept);
    }
  });

  it('X-Request-Id: a hostile or malformed id is replaced by a fresh one, never echoed or logged', async () => {
    const hostile = [
      'x'.repeat(10 * 1024),
      'x'.repeat(129),
      'идентификатор',
      'evil\tid',
      'evil id',
      '<script>alert(1)</script>',
      'a,b',
      '',
    ];
    const seen = new Set<string>();
    for (const value of hostile) {
      for (const url of ['/healthz', '/v1/nothing', '/v1/checks/%ff']) {
        const res = await app.inject({ url, headers: { 'x-request-id': value } });
        const id = requestIdOf(res) ?? '';
        assert.match(id, UUID, `${url} with ${value.slice(0, 20)}`);
        assert.ok(!seen.has(id), 'a fresh id each time');
        seen.add(id);
        if (value.length > 3) assert.ok(!res.body.includes(value), 'not echoed in the body');
      }
    }
    const logs = logText();
    for (const value of hostile.filter((v) => v.length > 3))
      assert.ok(!logs.includes(value), `not logged: ${value.slice(0, 20)}`);
  });

  it('a request id on every kind of response: 401, 404, 405, 413, 415, 500 and the portal’s pages', async () => {
    const cases: InjectOptions[] = [
      json(null, valid(), { 'x-request-id': 'every-1' }),
      { url: '/v1/nothing', headers: { 'x-request-id': 'every-2' } },
      { method: 'DELETE', url: '/v1/checks', headers: { 'x-request-id': 'every-3' } },
      json(bankKey, 'x'.repeat(20_000), { 'x-request-id': 'every-4' }),
      json(bankKey, 'a=1', { 'content-type': 'text/plain', 'x-request-id': 'every-5' }),
      { url: '/', headers: { 'x-request-id': 'every-6' } },
      { url: '/no-such-page', headers: { 'x-request-id': 'every-7' } },
      { url: '/assets/app.css', headers: { 'x-request-id': 'every-8' } },
      { url: '/openapi.json', headers: { 'x-request-id': 'every-9' } },
    ];
    for (const request of cases) {
      const res = await app.inject(request);
      assert.equal(requestIdOf(res), (request.headers as Record<string, string>)['x-request-id'], request.url as string);
    }
    const page = await app.inject({ url: '/no-such-page' });
    assert.equal(page.statusCode, 404);
    assert.match(String(page.headers['content-type']), /text\/html/, 'the portal keeps its own error page');
  });
});

/** Sends raw bytes on a fresh connection and returns everything the server wrote before closing. */
function rawExchange(port: number, request: Buffer | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (s: string) => {
      text += s;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer; got ${text}`)));
    socket.end(request);
  });
}

function parseRaw(text: string): { status: number; headers: Record<string, string>; body: string } {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

describe('over a real listening port', () => {
  let reg: TestRegistry;
  let app: FastifyInstance;
  let bankKey: string;
  let logText: () => string;
  let logLines: () => LogLine[];
  let port: number;

  before(async () => {
    ({ reg, app, bankKey, logText, logLines } = await setup());
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as net.AddressInfo).port;
  });
  after(async () => {
    await app.close();
    await reg.close();
  });

  it('a control character in a header: the parser refuses it, answered in the catalogue shape with a fresh id', async () => {
    const text = await rawExchange(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: evil\x01id\r\n\r\n');
    const res = parseRaw(text);
    assertError({ statusCode: res.status, body: res.body }, 400, 'invalid_request');
    assert.match(res.headers['x-request-id'] ?? '', UUID);
    assert.ok(!text.includes('evil'));
    const line = logLines().find((l) => l.reqId === res.headers['x-request-id']);
    assert.ok(line, 'the refusal is logged under the same id');
    assert.ok(!logText().includes('evil'));
  });

  it('non-ASCII bytes in X-Request-Id are replaced, never echoed', async () => {
    const request = Buffer.concat([
      Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Request-Id: caf'),
      Buffer.from([0xe9, 0xff, 0x80]),
      Buffer.from('\r\n\r\n'),
    ]);
    const res = parseRaw(await rawExchange(port, request));
    assert.equal(res.status, 200);
    assert.match(res.headers['x-request-id'] ?? '', UUID);
  });

  it('headers over the limit: 431 headers_too_large', async () => {
    const res = parseRaw(
      await rawExchange(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${'a'.repeat(20 * 1024)}\r\n\r\n`),
    );
    assertError({ statusCode: res.status, body: res.body }, 431, 'headers_too_large');
    assert.match(res.headers['x-request-id'] ?? '', UUID);
  });

  it('a request that is not HTTP: 400 invalid_request', async () => {
    const res = parseRaw(await rawExchange(port, 'HELLO\r\n\r\n'));
    assertError({ statusCode: res.status, body: res.body }, 400, 'invalid_request');
  });

  it('a malformed percent-encoding and a well-formed id, over the wire', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/checks/%ff`, { headers: { 'x-request-id': 'wire-1' } });
    assertError({ statusCode: res.status, body: await res.text() }, 400, 'invalid_request');
    assert.equal(res.headers.get('x-request-id'), 'wire-1');
    assert.ok(logLines().some((l) => l.reqId === 'wire-1'));
  });

  it('a request that arrives while the server shuts down: 503 unavailable in the catalogue shape', async () => {
    // A first request is held in its handler, so the connection stays open while close() begins;
    // a second one then arrives on the same connection.
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered = false;
    reg.services.checks.find = async () => {
      entered = true;
      await gate;
      throw new AppError('not_found');
    };
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (s: string) => {
      text += s;
    });
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(`GET /v1/checks/held HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${bankKey}\r\n\r\n`);
    while (!entered) await new Promise((r) => setTimeout(r, 5));
    const closed = app.close();
    await new Promise((r) => setTimeout(r, 20));
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: late-1\r\n\r\n');
    await new Promise((r) => setTimeout(r, 20));
    release();
    await ended;
    await closed;
    const second = text.split('HTTP/1.1 ')[2] ?? '';
    const res = parseRaw(`HTTP/1.1 ${second}`);
    assertError({ statusCode: res.status, body: res.body }, 503, 'unavailable');
    assert.equal(res.headers['x-request-id'], 'late-1');
  });
});

describe('the development identity provider and the portal', () => {
  let portal: PortalApp;
  before(async () => {
    portal = await openPortal();
  });
  after(async () => {
    await portal.close();
  });

  it('JSON errors where Fastify answers for the provider, and request ids on its pages', async () => {
    // The provider's own pages answer their errors in HTML; the router's refusals are JSON.
    const badUrl = await portal.app.inject({ url: '/dev-idp/interaction/%ff', headers: { 'x-request-id': 'idp-0' } });
    assertError(badUrl, 400, 'invalid_request');
    assert.equal(requestIdOf(badUrl), 'idp-0');
    const expired = await portal.app.inject({
      method: 'POST',
      url: '/dev-idp/interaction/no-such-interaction/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': 'idp-1' },
      payload: `iin=${IIN.alice}`,
    });
    assert.ok(expired.statusCode >= 400 && expired.statusCode < 500, expired.body);
    assert.equal(requestIdOf(expired), 'idp-1');
    assert.ok(!expired.body.includes(IIN.alice));

    const discovery = await portal.app.inject({
      url: '/dev-idp/.well-known/openid-configuration',
      headers: { 'x-request-id': 'idp-2' },
    });
    assert.equal(discovery.statusCode, 200);
    assert.equal(requestIdOf(discovery), 'idp-2', 'a reply handed over to the provider carries the id too');

    const page = await portal.app.inject({ url: '/', headers: { 'x-request-id': 'page-1' } });
    assert.equal(page.statusCode, 200);
    assert.equal(requestIdOf(page), 'page-1');
  });
});
