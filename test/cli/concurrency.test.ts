import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { demoBin, demoIin } from '../../src/demo/seed.js';
import { type CliResult, type HttpAnswer, type LenderAdded, postCheck, type RecordJson, Sandbox } from '../helpers/cli.js';

/**
 * Operators change one citizen's ban from the CLI while lenders check that citizen through a
 * running server on the same SQLite file. Scope A = {bank, remote}; scope B = {mfo, in_person}.
 * A bank checking in person, or an MFO checking remotely, is free under A and under B; only a
 * torn state mixing the two (bank from A with in_person from B, or mfo from B with remote from A)
 * would answer restricted.
 */

const IIN = demoIin(1987, 4, 21, 'female');
const OPERATOR = 'Concurrency Operator';
const SCOPE_A = ['--lender-types', 'bank', '--channels', 'remote'];
const SCOPE_B = ['--lender-types', 'mfo', '--channels', 'in_person'];
const CHANGES = 20; // CLI runs after the first placement: B, A, B, A, …, ending on A
const MIN_CHECKS = 300;
const IN_FLIGHT = 8;
const PACE_MS = 20;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Sent {
  lender: 'bank' | 'mfo';
  channel: 'in_person' | 'remote';
  answer: HttpAnswer;
}

describe('changing a ban from the CLI while the server answers checks', () => {
  const box = new Sandbox();
  let bank: LenderAdded;
  let mfo: LenderAdded;
  let url = '';

  before(async () => {
    bank = await box.addLender('Torn Bank', demoBin('99014000001'), 'bank');
    mfo = await box.addLender('Torn Micro', demoBin('99024000002'), 'mfo');
    await box.json(['restriction', 'place', '--iin', IIN, ...SCOPE_A, '--indefinite', '--operator', OPERATOR]);
    url = (await box.serve()).url;
  });
  after(() => box.cleanup());

  test('every check is answered 200, none is torn, and history and checks are complete', async () => {
    const runs: CliResult[] = [];
    const scopes: string[][] = [];
    const sent: Sent[] = [];
    const failures: unknown[] = [];
    let cliDone = false;

    const changer = (async () => {
      try {
        for (let i = 0; i < CHANGES; i++) {
          const scope = i % 2 === 0 ? SCOPE_B : SCOPE_A;
          scopes.push(scope);
          runs.push(
            await box.run(['restriction', 'place', '--iin', IIN, ...scope, '--indefinite', '--operator', `${OPERATOR} ${i}`]),
          );
        }
      } finally {
        cliDone = true;
      }
    })();

    const checker = async (worker: number) => {
      // Keep checking for as long as the CLI is changing the ban, and at least MIN_CHECKS in all.
      while (!cliDone || sent.length < MIN_CHECKS) {
        const n = sent.length;
        const asBank = (n + worker) % 2 === 0;
        const channel = asBank ? 'in_person' : 'remote';
        try {
          const answer = await postCheck(url, asBank ? bank.apiKey : mfo.apiKey, {
            iin: IIN,
            channel,
            reference: `c-${worker}-${n}`,
          });
          sent.push({ lender: asBank ? 'bank' : 'mfo', channel, answer });
        } catch (e) {
          failures.push(e);
          if (failures.length > 5) return;
        }
        // Paced, so that the checks spread over every change without swamping the machine.
        await sleep(PACE_MS);
      }
    };

    await Promise.all([changer, ...Array.from({ length: IN_FLIGHT }, (_, w) => checker(w))]);

    assert.deepEqual(failures, [], 'every request got an answer');
    for (const [i, r] of runs.entries()) {
      assert.equal(r.code, 0, `CLI run ${i} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    }
    assert.equal(runs.length, CHANGES);
    assert.ok(sent.length >= MIN_CHECKS, `${sent.length} checks`);

    const bad = sent.filter((s) => s.answer.status !== 200);
    assert.deepEqual(
      bad.map((s) => [s.answer.status, s.answer.body]),
      [],
      'every check is answered 200 (no 500 or 503 from lock contention)',
    );
    const torn = sent.filter((s) => s.answer.body.restricted !== false);
    assert.deepEqual(
      torn.map((s) => [s.lender, s.channel, s.answer.body]),
      [],
      'no check saw a mix of two versions of the ban',
    );
    assert.equal(new Set(sent.map((s) => s.answer.body.checkId)).size, sent.length, 'every check has its own id');

    // The ban really is in force: the last change left scope A, which does cover a bank checking remotely.
    const control = await postCheck(url, bank.apiKey, { iin: IIN, channel: 'remote', reference: 'control-a' });
    assert.equal(control.status, 200);
    assert.equal(control.body.restricted, true, 'scope A restricts a bank on the remote channel');
    const controlB = await postCheck(url, mfo.apiKey, { iin: IIN, channel: 'in_person', reference: 'control-b' });
    assert.equal(controlB.body.restricted, false, 'scope B is no longer in force');

    const rec = await box.json<RecordJson>(['restriction', 'show', '--iin', IIN, '--operator', OPERATOR]);

    // History: the first placement, then one version per CLI run, in order, each with its operator.
    assert.equal(rec.history.length, CHANGES + 1);
    assert.deepEqual(
      rec.history.map((h) => h.version),
      Array.from({ length: CHANGES + 1 }, (_, i) => i + 1),
      'versions strictly increase by one',
    );
    assert.equal(new Set(rec.history.map((h) => h.restrictionId)).size, 1, 'one ban, changed in place');
    assert.equal(rec.history[0]?.action, 'placed');
    for (const [i, scope] of scopes.entries()) {
      const h = rec.history[i + 1];
      assert.equal(h?.action, 'changed');
      assert.equal(h?.actor.name, `${OPERATOR} ${i}`);
      assert.deepEqual(h?.lenderTypes, [scope[1]]);
      assert.deepEqual(h?.channels, [scope[3]]);
    }
    assert.equal(rec.restriction?.version, CHANGES + 1);
    assert.deepEqual(rec.restriction?.lenderTypes, ['bank']);
    assert.deepEqual(rec.restriction?.channels, ['remote']);

    // Checks: every one that was answered is recorded, exactly as answered.
    const recorded = new Map(rec.checks.map((c) => [c.checkId, c]));
    assert.equal(rec.checks.length, sent.length + 2, 'the checks list holds every check answered, and nothing else');
    for (const s of [...sent.map((x) => x.answer), control, controlB]) {
      const c = recorded.get(s.body.checkId as string);
      assert.ok(c, `check ${s.body.checkId} is recorded`);
      assert.equal(c.restricted, s.body.restricted);
      assert.equal(c.channel, s.body.channel);
      assert.equal(c.reference, s.body.reference);
      assert.equal(c.checkedAt, s.body.checkedAt);
    }
  });
});
