import assert from 'node:assert/strict';
import type net from 'node:net';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { ERRORS } from '../../src/errors.js';
import { validateIin } from '../../src/identity/iin.js';
import { type AnyCheckEntry, verifyReceipt } from '../../src/verify/index.js';
import { countChecks } from '../helpers/registry.js';
import { badReference, contentType, hostileJsonBody, VICTIMS, victimIin, wrongValue } from './hostile.js';
import { connect, exchange, jsonOf, type RawRequest, type RawResponse, send } from './raw-http.js';
import { type SecurityServer, startSecurityServer } from './server.js';

/*
 * Two lenders on one server. Lender B sends nothing but hostile checks (lone surrogates, control
 * and bidi characters, IINs in references, bad JSON, wrong types, oversized bodies); lender A sends
 * good checks. Each lender pipelines its requests on one keep-alive connection, and both write in
 * the same event-loop tick, so that their checks arrive together and would share a batch. Every one
 * of A's checks must answer 200 with a receipt that verifies; every one of B's a 4xx in the
 * catalogue's shape, with nothing recorded.
 */

const SEED = Number(process.env.SECURITY_SEED ?? 20261202);
const ROUNDS = 8;
const PER_ROUND = 8;
const FETCH_ROUNDS = 3;
const PER_FETCH_ROUND = 10;
const TIMEOUT_MS = 15_000;

/** What lender B sends: each body is refused for at least one reason, before anything is recorded. */
const hostileCheck: fc.Arbitrary<{ body: Buffer; type: string | null; why: string }> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({ iin: fc.constantFrom(...VICTIMS), channel: fc.constantFrom('remote', 'in_person'), reference: badReference })
      .map((v) => ({ body: Buffer.from(JSON.stringify(v)), type: 'application/json', why: 'bad reference' })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        // Anything but a valid IIN in 12 ASCII digits: other spellings of one included.
        iin: fc.oneof(victimIin, wrongValue).filter((v) => typeof v !== 'string' || !validateIin(v).ok),
        channel: fc.constant('remote'),
        reference: fc.constant('B-1'),
      })
      .map((v) => ({ body: Buffer.from(JSON.stringify(v)), type: 'application/json', why: 'bad iin' })),
  },
  {
    weight: 2,
    arbitrary: hostileJsonBody(fc.record({ iin: wrongValue, channel: wrongValue, reference: badReference })).map((b) => ({
      body: b.bytes,
      type: 'application/json',
      why: b.kind,
    })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        contentType.filter((t) => t === null || !/^application\/json\b/i.test(t)),
        fc.constantFrom(...VICTIMS),
      )
      .map(([type, iin]) => ({
        body: Buffer.from(JSON.stringify({ iin, channel: 'remote', reference: 'B-type' })),
        type,
        why: 'wrong content type',
      })),
  },
);

interface CheckAnswer {
  checkId: string;
  restricted: boolean;
  logIndex: number;
  entry: string;
  receipt: string;
  reference: string;
}

function checkRequest(apiKey: string, body: Buffer, type: string | null): RawRequest {
  const headers: [string, string][] = [['Authorization', `Bearer ${apiKey}`]];
  if (type !== null) headers.push(['Content-Type', type]);
  return { method: 'POST', target: '/v1/checks', headers, body };
}

/** Exactly `{ error: { code, message } }`, with a 4xx code of the catalogue that matches the status. */
function catalogueProblem(res: RawResponse): string | null {
  if (res.status < 400 || res.status >= 500) return `status ${res.status}`;
  const parsed = jsonOf(res) as { error?: { code?: unknown; message?: unknown } } | undefined;
  if (parsed === undefined || parsed === null || Object.keys(parsed).join() !== 'error') return `not the catalogue's shape`;
  const { error } = parsed;
  if (error === undefined || Object.keys(error).sort().join() !== 'code,message') return `not the catalogue's shape`;
  if (typeof error.code !== 'string' || typeof error.message !== 'string') return 'code and message are not strings';
  if (!Object.hasOwn(ERRORS, error.code)) return `${error.code} is not in the catalogue`;
  if (ERRORS[error.code as keyof typeof ERRORS].status !== res.status) return `${error.code} does not go with ${res.status}`;
  return null;
}

/**
 * Sends the requests pipelined on `socket`. If the server closes the connection after an answer
 * that said `Connection: close` (as it may after a body too large to read), the rest go again, on
 * a new connection; any other early close is a failure. Returns the answers and the socket to go on with.
 */
async function pipelined(
  port: number,
  socket: net.Socket,
  requests: RawRequest[],
): Promise<{ responses: RawResponse[]; socket: net.Socket; reconnects: number }> {
  const responses: RawResponse[] = [];
  let current = socket;
  let rest = requests;
  let reconnects = 0;
  for (let attempts = 0; rest.length > 0; attempts++) {
    if (attempts > requests.length) throw new Error('the server kept closing the connection');
    const got = await exchange(port, rest, { socket: current, keepAlive: true, timeoutMs: TIMEOUT_MS });
    responses.push(...got.responses);
    rest = rest.slice(got.responses.length);
    const saidClose = /close/i.test(got.responses.at(-1)?.headers.connection ?? '');
    if (rest.length > 0 && !saidClose) {
      throw new Error(`the server closed the connection after ${got.responses.length} answers without saying so`);
    }
    // A connection the server said it would close is not used again, even if it has not closed yet.
    if (got.closed || saidClose) {
      current.destroy();
      current = await connect(port);
      reconnects++;
    }
  }
  return { responses, socket: current, reconnects };
}

describe('two lenders pipelined on one server, one of them hostile', () => {
  let s: SecurityServer;
  let verifierKey: string;
  const answersA: CheckAnswer[] = [];
  const sentA: string[] = [];
  const failures: string[] = [];
  let bRefused = 0;
  let checksBefore = 0;

  before(async () => {
    s = await startSecurityServer();
    const res = await fetch(`${s.origin}/log/key`);
    assert.equal(res.status, 200);
    verifierKey = await res.text();
    checksBefore = await countChecks(s.services);
  });
  after(async () => {
    await s?.close();
  });

  const goodCheck = (n: number) => {
    const reference = `A-${String(n).padStart(4, '0')}`;
    sentA.push(reference);
    return checkRequest(
      s.lenderA.apiKey,
      Buffer.from(JSON.stringify({ iin: VICTIMS[n % VICTIMS.length], channel: n % 2 ? 'remote' : 'in_person', reference })),
      'application/json',
    );
  };

  const judgeA = (res: RawResponse | undefined, reference: string) => {
    if (res === undefined) return void failures.push(`A ${reference}: no answer`);
    if (res.status !== 200) return void failures.push(`A ${reference}: ${res.status} ${res.body.toString('utf8', 0, 300)}`);
    const answer = jsonOf(res) as CheckAnswer;
    if (answer.reference !== reference) failures.push(`A ${reference}: answered for ${answer.reference}`);
    answersA.push(answer);
  };

  const judgeB = (res: RawResponse | undefined, why: string) => {
    if (res === undefined) return void failures.push(`B (${why}): no answer`);
    const problem = catalogueProblem(res);
    if (problem !== null) failures.push(`B (${why}): ${problem}: ${res.status} ${res.body.toString('utf8', 0, 300)}`);
    else bRefused++;
  };

  test(`A's good checks and B's hostile ones, pipelined on one connection each, written in the same tick (seed ${SEED})`, async (t) => {
    const hostile = fc.sample(hostileCheck, { seed: SEED, numRuns: ROUNDS * PER_ROUND + FETCH_ROUNDS * PER_FETCH_ROUND });
    let socketA = await connect(s.port);
    let socketB = await connect(s.port);
    let n = 0;
    let h = 0;
    let reconnectsB = 0;
    const started = Date.now();
    for (let round = 0; round < ROUNDS; round++) {
      const fromA = Array.from({ length: PER_ROUND }, () => goodCheck(n++));
      const refsA = sentA.slice(-PER_ROUND);
      const fromB = hostile.slice(h, h + PER_ROUND);
      h += PER_ROUND;
      // Both exchanges write their whole pipeline synchronously, in this same tick.
      const [a, b] = await Promise.all([
        pipelined(s.port, socketA, fromA),
        pipelined(
          s.port,
          socketB,
          fromB.map((x) => checkRequest(s.lenderB.apiKey, x.body, x.type)),
        ),
      ]);
      if (a.reconnects > 0) failures.push(`A's connection was closed in round ${round}`);
      reconnectsB += b.reconnects;
      socketA = a.socket;
      socketB = b.socket;
      for (const [i, ref] of refsA.entries()) judgeA(a.responses[i], ref);
      for (const [i, x] of fromB.entries()) judgeB(b.responses[i], x.why);
    }
    socketA.destroy();
    socketB.destroy();

    // Interleaved request by request, through ordinary clients, all started in one tick.
    for (let round = 0; round < FETCH_ROUNDS; round++) {
      const jobs: Promise<void>[] = [];
      for (let i = 0; i < PER_FETCH_ROUND; i++) {
        const good = goodCheck(n++);
        const ref = sentA.at(-1) as string;
        jobs.push(send(s.port, good, TIMEOUT_MS).then((res) => judgeA(res ?? undefined, ref)));
        const bad = hostile[h++] as (typeof hostile)[number];
        jobs.push(
          send(s.port, checkRequest(s.lenderB.apiKey, bad.body, bad.type), TIMEOUT_MS).then((res) =>
            judgeB(res ?? undefined, bad.why),
          ),
        );
      }
      await Promise.all(jobs);
    }
    const elapsed = Date.now() - started;
    const pipelinedA = answersA.slice(0, ROUNDS * PER_ROUND);
    const batches = new Set(
      pipelinedA.map((a) => verifyReceipt(a.receipt, Buffer.from(a.entry, 'base64'), verifierKey).checkpoint.size),
    ).size;
    t.diagnostic(
      `${sentA.length} good checks from A, ${hostile.length} hostile from B, in ${elapsed} ms; ` +
        `B's connection closed by the server ${reconnectsB} times; A's ${pipelinedA.length} pipelined checks committed in ${batches} batches`,
    );

    assert.deepEqual(
      failures.slice(0, 20),
      [],
      `${failures.length} failures (seed ${SEED}):\n${failures.slice(0, 20).join('\n')}`,
    );
    assert.equal(answersA.length, sentA.length);
    assert.equal(bRefused, hostile.length);
    assert.ok(elapsed < 30_000, `took ${elapsed} ms`);
  });

  test('every one of A’s answers carries a receipt that verifies against the log’s key', () => {
    for (const answer of answersA) {
      const entry = Buffer.from(answer.entry, 'base64');
      const verified = verifyReceipt(answer.receipt, entry, verifierKey);
      assert.equal(verified.index, answer.logIndex);
      const e = verified.entry as AnyCheckEntry;
      assert.equal(e.type, 'check');
      assert.equal(e.checkId, answer.checkId);
    }
  });

  test('A’s checks are all in the log, and fetched again they verify; nothing of B’s was recorded', async () => {
    for (const answer of answersA) {
      const [stored] = await s.services.store.log.entries(answer.logIndex, answer.logIndex + 1);
      assert.ok(stored?.equals(Buffer.from(answer.entry, 'base64')), `entry ${answer.logIndex} is A's check ${answer.checkId}`);
    }
    for (const answer of answersA.slice(0, 10)) {
      const res = await fetch(`${s.origin}/v1/checks/${answer.checkId}`, {
        headers: { authorization: `Bearer ${s.lenderA.apiKey}` },
      });
      const again = (await res.json()) as CheckAnswer;
      assert.equal(res.status, 200);
      verifyReceipt(again.receipt, Buffer.from(again.entry, 'base64'), verifierKey);
      assert.equal(again.logIndex, answer.logIndex);
    }
    assert.equal((await countChecks(s.services)) - checksBefore, answersA.length, 'only A’s checks were recorded');
    const alive = await send(s.port, { method: 'GET', target: '/healthz', headers: [] });
    assert.equal(alive?.status, 200);
  });
});
