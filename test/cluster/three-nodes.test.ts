import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { demoBin, demoIin } from '../../src/demo/seed.js';
import { appendLeaves, EMPTY_TREE, stateRoot, type TreeState } from '../../src/log/merkle.js';
import { loadLogKey } from '../../src/log/note.js';
import { entriesTilePath, parseEntryBundle, TILE_WIDTH } from '../../src/log/tiles.js';
import {
  type AnyEntry,
  type Checkpoint,
  decodeEntry,
  leafHash,
  parseProof,
  rootFromLeaves,
  verifyCheckpoint,
  verifyConsistency,
  verifyReceipt,
} from '../../src/verify/index.js';
import { type CliResult, type LenderAdded, pool, runCli } from '../helpers/cli.js';
import { Cluster, type JsonAnswer, requestJson } from '../helpers/cluster.js';
import { ENGINE, type TestDatabase, testDatabase } from '../helpers/engine.js';
import { FakeIdentityProvider } from '../helpers/fake-idp.js';
import { mintToken, testSigningKey } from '../me/tokens.js';

/**
 * Three `tyiym serve` nodes on one PostgreSQL schema, on loopback. Lenders check and citizens change their
 * bans through all three at once; one node is killed with SIGKILL mid-load and started again on the same
 * store, and the load goes on through all three. Afterwards every acknowledged check and change must be
 * recorded exactly once, the log must hold entries 0..N-1 with no gap and no duplicate, every checkpoint
 * any node issued must be consistent with the final one, and `tyiym log verify` (replay included) must pass.
 *
 * What counts as acknowledged: a 2xx answer. A request that got no answer (its node was killed) may or may
 * not have been recorded. Changes always carry an Idempotency-Key and are retried on another node until
 * answered, so every change is eventually acknowledged exactly once and each citizen's history is known
 * exactly. A quarter of the checks carry a key too and are retried the same way (half of those are sent to
 * two nodes at once), then sent once more after their answer: every answer to one key must be the first one.
 */

const NODES = 3;
const KILLED = 2; // the node killed mid-load
const ORIGIN = 'tyiym.kz/log';
const CITIZENS = 48;
const CHECK_WORKERS = 6;
const CHANGE_WORKERS = 4;
const KEYED_EVERY = 4; // one check in four carries an Idempotency-Key
/**
 * Each phase of the load (before the kill, after the restart) lasts at least MIN_PHASE_MS, then ends once
 * PHASE_CHECKS checks and PHASE_CHANGES changes were acknowledged in it, or at MAX_PHASE_MS: on a machine busy
 * with other work a phase does less, rather than take longer.
 */
const MIN_PHASE_MS = 2_000;
const MAX_PHASE_MS = 6_000;
const PHASE_CHECKS = 100;
const PHASE_CHANGES = 20;
/** How long one change or keyed check is retried across nodes before the test gives up on it. */
const RETRY_FOR_MS = 30_000;
const SLOW_MS = 60_000;
const AUDIENCE = 'urn:tyiym:api';

/** How many acknowledged checks are read back by id, and how many checkpoints are proven consistent by a node. */
const READ_BACK = 60;
const PROOFS = 40;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** At most `n` of `items`, spread evenly from the first to the last. */
function spread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.round((i * (items.length - 1)) / (n - 1))] as T);
}

type LenderType = 'bank' | 'mfo';
interface Lender extends LenderAdded {
  name: string;
  bin: string;
  type: LenderType;
}

interface Citizen {
  index: number;
  iin: string;
  token: string;
  /** The next operation of the cycle, counted from 0. */
  step: number;
  /** The ban in force as the last acknowledged change left it. */
  ban: { id: string; version: number } | null;
}

interface CheckAnswer {
  checkId: string;
  restricted: boolean;
  checkedAt: string;
  channel: string;
  reference: string;
  logIndex: number;
  entry: string;
  receipt: string;
}

interface AckedCheck {
  answer: CheckAnswer;
  lender: Lender;
  citizen: Citizen;
  node: number;
  /** Sent with an Idempotency-Key. */
  keyed: boolean;
}

interface AckedChange {
  citizen: number;
  op: string;
  restrictionId: string;
  version: number;
  action: string;
  node: number;
}

interface HistoryJson {
  restrictionId: string;
  version: number;
  action: string;
  actor: { kind: string };
}

/** One citizen's cycle through the mobile API: place, exempt a bank, narrow, replace, lift; then again. */
function cycle(bankBin: string) {
  return [
    {
      op: 'place',
      method: 'PUT',
      path: '/v1/me/restriction',
      body: { lenderTypes: ['bank', 'mfo'], channels: ['remote', 'in_person'], term: { indefinite: true } },
      action: 'placed',
    },
    {
      op: 'exempt',
      method: 'POST',
      path: '/v1/me/exemptions',
      body: { lenderBin: bankBin, hours: 2 },
      action: 'exemption_opened',
    },
    { op: 'narrow', method: 'PATCH', path: '/v1/me/restriction', body: { channels: ['remote'] }, action: 'changed' },
    {
      op: 'replace',
      method: 'PUT',
      path: '/v1/me/restriction',
      body: { lenderTypes: ['mfo'], channels: ['remote', 'in_person'], term: { months: 3 } },
      action: 'changed',
    },
    { op: 'lift', method: 'POST', path: '/v1/me/restriction/lift', body: undefined, action: 'lift_requested' },
  ] as const;
}

describe('three nodes on one PostgreSQL, one killed mid-load', {
  skip: ENGINE === 'postgres' ? false : 'needs PostgreSQL (TYIYM_TEST_ENGINE=postgres)',
}, () => {
  let dir = '';
  let db: TestDatabase | null = null;
  let idp: FakeIdentityProvider | null = null;
  let cluster: Cluster | null = null;
  let env: Record<string, string> = {};

  const cli = (args: readonly string[]): Promise<CliResult> => runCli(args, { cwd: dir, env, timeoutMs: SLOW_MS });
  const json = async <T>(args: readonly string[]): Promise<T> => {
    const r = await cli([...args, '--json']);
    assert.equal(r.code, 0, `tyiym ${args.join(' ')} failed\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };

  let lenders: Lender[] = [];
  let auditorKey = '';
  let citizens: Citizen[] = [];
  let verifierKey = '';

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tyiym-cluster-'));
    db = await testDatabase(dir);
    const key = await testSigningKey();
    idp = new FakeIdentityProvider(key.jwks);
    await idp.start();
    env = {
      DATABASE_URL: db.url,
      // Every node of a cluster shares one pepper, one log key and one session secret.
      TYIYM_SECRETS_FILE: path.join(dir, 'tyiym.secrets.json'),
      OIDC_ISSUER: idp.issuer,
      OIDC_API_AUDIENCE: AUDIENCE,
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
    };

    // The first command creates the schema and the secrets file; the others may then run at once.
    const spec: [string, string, LenderType][] = [
      ['Cluster Bank One JSC', demoBin('99014000001'), 'bank'],
      ['Cluster Micro LLP', demoBin('99024000002'), 'mfo'],
      ['Cluster Bank Two JSC', demoBin('99034000003'), 'bank'],
    ];
    const add = async ([name, bin, type]: [string, string, LenderType]): Promise<Lender> => ({
      ...(await json<LenderAdded>(['lender', 'add', '--name', name, '--bin', bin, '--type', type])),
      name,
      bin,
      type,
    });
    const first = await add(spec[0] as [string, string, LenderType]);
    cluster = new Cluster(NODES, dir, env, SLOW_MS);
    const [rest, auditor] = await Promise.all([
      Promise.all(spec.slice(1).map(add)),
      json<{ id: string; apiKey: string }>(['auditor', 'add', '--name', 'Cluster Auditor']),
      cluster.startAll(),
    ]);
    lenders = [first, ...rest];
    auditorKey = auditor.apiKey;
    const secrets = JSON.parse(fs.readFileSync(env.TYIYM_SECRETS_FILE as string, 'utf8')) as { logKeySeed: string };
    verifierKey = loadLogKey(ORIGIN, secrets.logKeySeed).verifierKey;

    citizens = await Promise.all(
      Array.from({ length: CITIZENS }, async (_, index) => {
        const iin = demoIin(1950 + index, (index % 12) + 1, (index % 28) + 1, index % 2 === 0 ? 'female' : 'male');
        const token = await mintToken(key, { iin }, { issuer: idp?.issuer as string, audience: AUDIENCE });
        return { index, iin, token, step: 0, ban: null };
      }),
    );
  });

  after(async () => {
    await cluster?.stopAll();
    await idp?.stop();
    await db?.drop();
    if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
  });

  test('loses no acknowledged check or change, records none twice, and keeps one consistent log', async (t) => {
    const nodes = cluster as Cluster;
    const addresses = Array.from({ length: NODES }, (_, i) => nodes.url(i) as string);
    const bankOne = lenders[0] as Lender;
    const ops = cycle(bankOne.bin);

    // Every node serves the same log, under the same key.
    for (const url of addresses) {
      const res = await fetch(`${url}/log/key`);
      assert.equal(await res.text(), verifierKey, `${url} serves the log key of the shared secrets file`);
    }

    const ackedChecks: AckedCheck[] = [];
    const ackedChanges: AckedChange[] = [];
    /** Checks sent without a key that got no 200: they may or may not be in the log. */
    let unansweredChecks = 0;
    /** Answers that are neither success nor an outage of the node asked: each one is a failure of the test. */
    const unexpected: string[] = [];
    /** Idempotent replays of a check whose answer was not the first one. */
    const replayMismatches: string[] = [];
    let replaysMatched = 0;
    const statuses = new Map<string, number>();
    const issued: { node: number | 'receipt'; note: string }[] = [];
    const inFlight = Array.from({ length: NODES }, () => 0);
    const perNode = Array.from({ length: NODES }, () => ({ checks: 0, changes: 0, afterRestart: 0 }));
    const share = (node: number) => perNode[node] as { checks: number; changes: number; afterRestart: number };
    let stopping = false;
    let restarted = false;

    const tally = (node: number, what: string) => {
      const k = `node ${node}: ${what}`;
      statuses.set(k, (statuses.get(k) ?? 0) + 1);
    };

    /** One request to one node; null when no answer came (the node is down, or died while answering). */
    const send = async (
      node: number,
      route: string,
      options: { method: string; headers: Record<string, string>; body?: unknown },
    ): Promise<JsonAnswer | null> => {
      inFlight[node] = (inFlight[node] ?? 0) + 1;
      try {
        const answer = await requestJson(`${addresses[node]}${route}`, options);
        tally(node, String(answer.status));
        return answer;
      } catch {
        tally(node, 'no answer');
        return null;
      } finally {
        inFlight[node] = (inFlight[node] ?? 0) - 1;
      }
    };

    // A 503 is the registry saying "nothing was recorded, try again"; no answer is a node going down.
    const retryable = (a: JsonAnswer | null) => a === null || a.status === 503;

    const check = async (w: number, n: number): Promise<void> => {
      const node = (w + n) % NODES;
      const lender = lenders[Math.floor(Math.random() * lenders.length)] as Lender;
      const citizen = citizens[Math.floor(Math.random() * citizens.length)] as Citizen;
      const body = { iin: citizen.iin, channel: Math.random() < 0.5 ? 'remote' : 'in_person', reference: `cl-${w}-${n}` };
      const keyed = n % KEYED_EVERY === 0;
      const key = `ck-${w}-${n}`;
      const headers: Record<string, string> = {
        authorization: `Bearer ${lender.apiKey}`,
        ...(keyed ? { 'idempotency-key': key } : {}),
      };
      const post = (to: number) => send(to, '/v1/checks', { method: 'POST', headers, body });

      if (!keyed) {
        const answer = await post(node);
        if (answer?.status === 200) {
          ackedChecks.push({ answer: answer.body as unknown as CheckAnswer, lender, citizen, node, keyed });
          share(node).checks++;
          if (restarted && node === KILLED) share(node).afterRestart++;
          return;
        }
        if (answer !== null && answer.status !== 503) unexpected.push(`check on node ${node}: ${answer.status} ${answer.text}`);
        unansweredChecks++;
        if (answer === null) await sleep(20); // the node is down; do not spin on it
        return;
      }

      /** The same request with the same key, on the next node and the next, until one answers. */
      const untilAnswered = async (from: number): Promise<{ at: number; answer: JsonAnswer | null }> => {
        const deadline = Date.now() + RETRY_FOR_MS;
        let at = from;
        let answer = await post(at);
        while (retryable(answer) && Date.now() < deadline) {
          await sleep(20);
          at = (at + 1) % NODES;
          answer = await post(at);
        }
        return { at, answer };
      };
      // Every other keyed check is sent to two nodes at once, as a client that hedges its request does.
      const hedged = n % (2 * KEYED_EVERY) === 0;
      const tries = await Promise.all(hedged ? [untilAnswered(node), untilAnswered((node + 1) % NODES)] : [untilAnswered(node)]);
      const answered = tries.filter((x) => x.answer?.status === 200);
      for (const { at, answer } of tries) {
        if (answer?.status !== 200)
          unexpected.push(
            `keyed check ${key} on node ${at}: ${answer === null ? 'never answered' : `${answer.status} ${answer.text}`}`,
          );
      }
      const first = answered[0];
      if (first === undefined) return;
      const acked = first.answer?.body as unknown as CheckAnswer;
      ackedChecks.push({ answer: acked, lender, citizen, node: first.at, keyed });
      share(first.at).checks++;
      if (restarted && first.at === KILLED) share(first.at).afterRestart++;
      // A client that did not see the answer sends it again: the first answer comes back, from any node.
      const again = await post((first.at + 1) % NODES);
      const answers = [...answered.slice(1).map((x) => x.answer), ...(again !== null && again.status !== 503 ? [again] : [])];
      for (const a of answers) {
        const replay = a?.body as unknown as CheckAnswer;
        if (
          a?.status !== 200 ||
          replay.checkId !== acked.checkId ||
          replay.entry !== acked.entry ||
          replay.receipt !== acked.receipt
        )
          replayMismatches.push(`${key}: first ${JSON.stringify(acked)}, then ${a?.status} ${a?.text}`);
        else replaysMatched++;
      }
    };

    const checker = async (w: number) => {
      for (let n = 1; !stopping; n++) await check(w, n);
    };

    /** The citizen's next change, with its own Idempotency-Key, sent to node after node until one answers. */
    const change = async (citizen: Citizen, firstNode: number): Promise<boolean> => {
      const step = ops[citizen.step % ops.length] as (typeof ops)[number];
      const headers = { authorization: `Bearer ${citizen.token}`, 'idempotency-key': `chg-${citizen.index}-${citizen.step}` };
      const deadline = Date.now() + RETRY_FOR_MS;
      let at = firstNode;
      let answer = await send(at, step.path, { method: step.method, headers, body: step.body });
      while (retryable(answer) && Date.now() < deadline) {
        await sleep(20);
        at = (at + 1) % NODES;
        answer = await send(at, step.path, { method: step.method, headers, body: step.body });
      }
      if (answer === null || answer.status < 200 || answer.status > 299) {
        unexpected.push(
          `${step.op} for citizen ${citizen.index} (step ${citizen.step}) on node ${at}: ${answer === null ? 'never answered' : `${answer.status} ${answer.text}`}`,
        );
        return false;
      }
      const ban = (answer.body as { restriction: { id: string; version: number } | null }).restriction;
      let acked: { id: string; version: number };
      if (step.op === 'lift') {
        // No delay: the ban ends at once and the answer holds none; the lift is the version after the last.
        if (citizen.ban === null || ban !== null) {
          unexpected.push(`lift for citizen ${citizen.index}: ${answer.text}`);
          return false;
        }
        acked = { id: citizen.ban.id, version: citizen.ban.version + 1 };
        citizen.ban = null;
      } else {
        if (ban === null) {
          unexpected.push(`${step.op} for citizen ${citizen.index} left no ban: ${answer.text}`);
          return false;
        }
        acked = { id: ban.id, version: ban.version };
        citizen.ban = acked;
      }
      ackedChanges.push({
        citizen: citizen.index,
        op: step.op,
        restrictionId: acked.id,
        version: acked.version,
        action: step.action,
        node: at,
      });
      share(at).changes++;
      if (restarted && at === KILLED) share(at).afterRestart++;
      citizen.step++;
      return true;
    };

    const changer = async (w: number) => {
      const mine = citizens.filter((c) => c.index % CHANGE_WORKERS === w);
      for (let n = 0; !stopping; n++) {
        // A change that cannot be acknowledged leaves the citizen's state unknown: this worker stops.
        if (!(await change(mine[n % mine.length] as Citizen, (w + n) % NODES))) return;
      }
    };

    /** Every node's latest checkpoint, every 100 ms, for as long as the load runs. */
    const poller = async () => {
      while (!stopping) {
        await Promise.all(
          addresses.map(async (url, node) => {
            try {
              const res = await fetch(`${url}/log/checkpoint`, { signal: AbortSignal.timeout(5_000) });
              const text = await res.text();
              if (res.status === 200) issued.push({ node, note: text });
            } catch {
              // the node is down
            }
          }),
        );
        await sleep(100);
      }
    };

    const started = Date.now();
    const load = Promise.all([
      ...Array.from({ length: CHECK_WORKERS }, (_, w) => checker(w)),
      ...Array.from({ length: CHANGE_WORKERS }, (_, w) => changer(w)),
      poller(),
    ]);

    /**
     * Waits out one phase of the load (see MIN_PHASE_MS); `done` must also hold, however long that takes on a slow
     * machine (up to RETRY_FOR_MS): it says whether every node took its share.
     */
    const phase = async (done: () => boolean) => {
      const from = { checks: ackedChecks.length, changes: ackedChanges.length, at: Date.now() };
      for (;;) {
        const elapsed = Date.now() - from.at;
        if (elapsed > RETRY_FOR_MS) return;
        if (done()) {
          if (elapsed >= MAX_PHASE_MS) return;
          const targets = ackedChecks.length - from.checks >= PHASE_CHECKS && ackedChanges.length - from.changes >= PHASE_CHANGES;
          if (elapsed >= MIN_PHASE_MS && targets) return;
        }
        await sleep(50);
      }
    };

    // Mid-load: SIGKILL while the node has requests in flight, then start it again on the same store.
    let inFlightAtKill = 0;
    let acksBeforeKill = { checks: 0, changes: 0 };
    let signal: NodeJS.Signals | null = null;
    let downMs = 0;
    try {
      await phase(() => perNode.every((n) => n.checks > 0 && n.changes > 0));
      const busyBy = Date.now() + 2_000;
      while (inFlight[KILLED] === 0 && Date.now() < busyBy) await sleep(1);
      inFlightAtKill = inFlight[KILLED] as number;
      acksBeforeKill = { checks: ackedChecks.length, changes: ackedChanges.length };
      signal = await nodes.kill(KILLED);
      const killedAt = Date.now();
      addresses[KILLED] = (await nodes.start(KILLED)).url;
      restarted = true;
      downMs = Date.now() - killedAt;
      await phase(() => share(KILLED).afterRestart >= 10);
    } finally {
      // Even when a start failed: no worker may go on sending once the test is over.
      stopping = true;
      await load;
    }
    const loadMs = Date.now() - started;

    t.diagnostic(
      `load: ${loadMs} ms; ${ackedChecks.length} checks and ${ackedChanges.length} changes acknowledged ` +
        `(${acksBeforeKill.checks} and ${acksBeforeKill.changes} before the kill); node ${KILLED} killed with ` +
        `${inFlightAtKill} requests in flight, down ${downMs} ms; ${unansweredChecks} checks unanswered; ` +
        `${replaysMatched} idempotent replays; per node ${JSON.stringify(perNode)}`,
    );
    t.diagnostic(`answers: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);

    assert.equal(signal, 'SIGKILL');
    assert.ok(inFlightAtKill > 0, 'the node was killed while requests to it were in flight');
    assert.deepEqual(unexpected, [], `every request was answered 2xx, 503 or not at all\n${nodes.output()}`);
    assert.deepEqual(replayMismatches, [], 'a retried check with its Idempotency-Key gets its first answer back');
    assert.ok(replaysMatched > 0, 'idempotent replays were sent');
    for (const [node, n] of perNode.entries()) {
      assert.ok(n.checks > 0 && n.changes > 0, `node ${node} took a share of the load: ${JSON.stringify(n)}`);
    }
    assert.ok(perNode[KILLED]?.afterRestart, 'the restarted node answered again');
    assert.ok(
      ackedChanges.length > acksBeforeKill.changes && ackedChecks.length > acksBeforeKill.checks,
      'the load went on after the kill',
    );

    const checking = Date.now();
    // The final checkpoint: every node serves the same one now that the load has stopped.
    const finals = await Promise.all(addresses.map(async (url) => (await fetch(`${url}/log/checkpoint`)).text()));
    assert.equal(new Set(finals).size, 1, `every node serves the same latest checkpoint:\n${finals.join('\n')}`);
    const finalNote = finals[0] as string;
    const final = verifyCheckpoint(finalNote, verifierKey, { origin: ORIGIN });
    const size = final.size;

    // The whole log, read back through the auditors' entry bundles, spread over the three nodes.
    const bundles = await pool(
      Array.from({ length: Math.ceil(size / TILE_WIDTH) }, (_, i) => i),
      6,
      async (i) => {
        const width = Math.min(TILE_WIDTH, size - i * TILE_WIDTH);
        const url = `${addresses[i % NODES]}/log/${entriesTilePath(i, width)}`;
        const res = await fetch(url, { headers: { authorization: `Bearer ${auditorKey}` } });
        assert.equal(res.status, 200, `${url}: ${res.status}`);
        const entries = parseEntryBundle(Buffer.from(await res.arrayBuffer()));
        assert.equal(entries.length, width, `entry bundle ${i} holds ${width} entries`);
        return entries;
      },
    );
    const entries = bundles.flat();
    assert.equal(entries.length, size, 'the log holds entries 0..N-1, with no gap');
    assert.ok(rootFromLeaves(entries).equals(final.root), 'the entries hash to the final checkpoint’s root');
    assert.equal(new Set(entries.map((e) => e.toString('base64'))).size, size, 'no leaf is logged twice');
    const decoded: AnyEntry[] = entries.map((e) => decodeEntry(e));
    const checkIndex = new Map<string, number[]>();
    const eventIndex = new Map<string, number[]>();
    const eventIds = new Set<string>();
    for (const [i, e] of decoded.entries()) {
      const k = e.type === 'check' ? e.checkId : `${e.restrictionId}/${e.version}`;
      const into = e.type === 'check' ? checkIndex : eventIndex;
      into.set(k, [...(into.get(k) ?? []), i]);
      if (e.type === 'restriction_event') eventIds.add(e.eventId);
    }
    for (const [k, at] of [...checkIndex, ...eventIndex])
      assert.equal(at.length, 1, `${k} is logged once, not at ${at.join(', ')}`);
    assert.equal(eventIds.size, eventIndex.size, 'every change has its own event id');

    // Every acknowledged check: once in the log, at the index its answer gave, with a receipt that verifies offline.
    const ackedIds = new Set(ackedChecks.map((a) => a.answer.checkId));
    assert.equal(ackedIds.size, ackedChecks.length, 'no two acknowledged checks share an id');
    for (const { answer, lender } of ackedChecks) {
      const bytes = Buffer.from(answer.entry, 'base64');
      assert.deepEqual(checkIndex.get(answer.checkId), [answer.logIndex], `check ${answer.checkId} is logged once, at its index`);
      assert.ok(entries[answer.logIndex]?.equals(bytes), `entry ${answer.logIndex} is the one answered`);
      const r = verifyReceipt(answer.receipt, bytes, verifierKey, { origin: ORIGIN });
      assert.equal(r.index, answer.logIndex);
      assert.ok(r.entry.type === 'check' && r.entry.checkId === answer.checkId && r.entry.lenderId === lender.id);
      assert.equal(r.entry.type === 'check' && r.entry.restricted, answer.restricted);
      issued.push({ node: 'receipt', note: parseProof(answer.receipt).checkpoint });
    }
    const loggedChecks = decoded.filter((e) => e.type === 'check').length;
    assert.ok(
      loggedChecks >= ackedChecks.length && loggedChecks - ackedChecks.length <= unansweredChecks,
      `${loggedChecks} checks logged: the ${ackedChecks.length} acknowledged, and at most the ${unansweredChecks} unanswered`,
    );

    // ... and the lender reads them back, through any node, each proven against a later checkpoint.
    await pool(spread(ackedChecks, READ_BACK), 8, async ({ answer, lender }, i) => {
      const url = `${addresses[i % NODES]}/v1/checks/${answer.checkId}`;
      const got = await requestJson<CheckAnswer>(url, { headers: { authorization: `Bearer ${lender.apiKey}` } });
      assert.equal(got.status, 200, `${url}: ${got.text}`);
      assert.equal(got.body.logIndex, answer.logIndex);
      assert.equal(got.body.entry, answer.entry);
      assert.equal(got.body.restricted, answer.restricted);
      verifyReceipt(got.body.receipt, Buffer.from(got.body.entry, 'base64'), verifierKey, { origin: ORIGIN });
      issued.push({ node: 'receipt', note: parseProof(got.body.receipt).checkpoint });
    });

    // Every acknowledged change: once in the log, and the citizen's history is exactly the changes acknowledged.
    const events = new Map(
      decoded.flatMap((e) => (e.type === 'restriction_event' ? [[`${e.restrictionId}/${e.version}`, e] as const] : [])),
    );
    const ackedKeys = ackedChanges.map((c) => `${c.restrictionId}/${c.version}`);
    assert.equal(new Set(ackedKeys).size, ackedChanges.length, 'every acknowledged change made its own version');
    for (const c of ackedChanges) {
      const e = events.get(`${c.restrictionId}/${c.version}`);
      assert.ok(e?.type === 'restriction_event', `change ${JSON.stringify(c)} is logged`);
      assert.equal(e.action, c.action, `change ${JSON.stringify(c)} is logged as ${c.action}`);
      assert.equal(e.actorKind, 'citizen');
    }
    assert.equal(events.size, ackedChanges.length, 'the log holds no change that was not acknowledged');

    await pool(citizens, 6, async (citizen, i) => {
      const auth = { authorization: `Bearer ${citizen.token}` };
      const url = addresses[i % NODES] as string;
      const history = await requestJson<{ history: HistoryJson[] }>(`${url}/v1/me/history`, { headers: auth });
      assert.equal(history.status, 200, history.text);
      assert.deepEqual(
        history.body.history.map((h) => `${h.restrictionId}/${h.version} ${h.action} by ${h.actor.kind}`),
        ackedChanges
          .filter((c) => c.citizen === citizen.index)
          .map((c) => `${c.restrictionId}/${c.version} ${c.action} by citizen`),
        `citizen ${citizen.index}: the history is every acknowledged change, once, in order`,
      );
      const seen = await requestJson<{ checks: { checkId: string }[] }>(`${url}/v1/me/checks`, { headers: auth });
      assert.equal(seen.status, 200, seen.text);
      const ids = seen.body.checks.map((c) => c.checkId);
      assert.equal(new Set(ids).size, ids.length, `citizen ${citizen.index}: no check is listed twice`);
      const listed = new Set(ids);
      for (const a of ackedChecks.filter((x) => x.citizen === citizen)) {
        assert.ok(listed.has(a.answer.checkId), `citizen ${citizen.index} sees check ${a.answer.checkId}`);
      }
    });

    // Every checkpoint any node issued (polled, or carried by a receipt) is signed, and consistent with the final one.
    const bySize = new Map<number, Checkpoint>();
    for (const { node, note } of issued) {
      const cp = verifyCheckpoint(note, verifierKey, { origin: ORIGIN });
      assert.ok(cp.size <= size, `a checkpoint from ${node} is beyond the final size`);
      const known = bySize.get(cp.size);
      if (known === undefined) bySize.set(cp.size, cp);
      else assert.ok(known.root.equals(cp.root), `two checkpoints of size ${cp.size} with different roots (from ${node})`);
    }
    assert.ok(bySize.size > 10, `${bySize.size} distinct checkpoints were collected`);
    // Polled one after another, a node's checkpoints never go back, across its restart too.
    for (let node = 0; node < NODES; node++) {
      const polled = issued.filter((x) => x.node === node).map((x) => verifyCheckpoint(x.note, verifierKey).size);
      assert.ok(polled.length > 0, `node ${node}'s checkpoint was polled`);
      assert.ok(
        polled.every((n, i) => i === 0 || n >= (polled[i - 1] as number)),
        `node ${node}'s checkpoints never go back: ${polled.join(' ')}`,
      );
    }
    // Each one's root is the root of the first `size` entries of the final log: recomputed here, from the entries...
    const sizes = [...bySize.keys()].sort((a, b) => a - b);
    let tree: TreeState = EMPTY_TREE;
    for (const n of sizes) {
      tree = appendLeaves(
        tree,
        entries.slice(tree.size, n).map((e) => leafHash(e)),
      ).newState;
      assert.ok(
        stateRoot(tree).equals((bySize.get(n) as Checkpoint).root),
        `the checkpoint of size ${n} is a prefix of the final log`,
      );
    }
    // ... and proven by the nodes, with RFC 9162 consistency proofs checked offline.
    const proven = spread(
      sizes.filter((n) => n < size),
      PROOFS,
    );
    await pool(proven, 8, async (n, i) => {
      const cp = bySize.get(n) as Checkpoint;
      const url = `${addresses[i % NODES]}/log/proof/consistency?from=${cp.size}&to=${size}`;
      const got = await requestJson<{ proof: string[] }>(url);
      assert.equal(got.status, 200, `${url}: ${got.text}`);
      const proof = got.body.proof.map((h) => Buffer.from(h, 'base64'));
      assert.equal(verifyConsistency(cp.size, size, proof, cp.root, final.root), true);
    });
    t.diagnostic(
      `${issued.length} checkpoints collected, ${sizes.length} sizes, each a prefix of the final tree of size ${size}; ` +
        `${proven.length} consistency proofs checked`,
    );

    // Offline, with the CLI: a receipt from before the kill, from the killed node, and from after the restart.
    const sample = [ackedChecks[0], ackedChecks.find((a) => a.node === KILLED), ackedChecks.at(-1)] as AckedCheck[];
    const files = sample.map((a, i) => {
      const file = path.join(dir, `answer-${i}.json`);
      fs.writeFileSync(file, JSON.stringify(a.answer));
      return file;
    });

    t.diagnostic(`answers checked in ${Date.now() - checking} ms`);
    const stopped = Date.now();
    // The nodes stop; the log, audited from the store alone, replays every check against the changes before it.
    const running = Array.from({ length: NODES }, (_, i) => nodes.server(i));
    const codes = await Promise.all(running.map((s) => s?.stop()));
    assert.deepEqual(codes, [0, 0, 0], 'the nodes shut down cleanly');
    const [verify, ...receipts] = await Promise.all([
      cli(['log', 'verify', '--json', '--no-progress', '--key', verifierKey]),
      ...files.map((f) => cli(['receipt', 'verify', f, '--key', verifierKey])),
    ]);
    assert.equal(verify?.code, 0, `log verify failed\nstdout: ${verify?.stdout}\nstderr: ${verify?.stderr}`);
    const report = JSON.parse(verify?.stdout as string) as { verified: boolean; entries: number; root: string };
    assert.equal(report.verified, true);
    assert.equal(report.entries, size);
    assert.equal(report.root, final.root.toString('base64'));
    for (const [i, r] of receipts.entries()) {
      assert.equal(r.code, 0, `receipt verify ${files[i]} failed\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    }
    t.diagnostic(`nodes stopped and the log verified in ${Date.now() - stopped} ms`);
  });
});
