import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ENGINE } from '../helpers/engine.js';
import { BIN } from '../helpers/people.js';
import { type Node, type Nodes, openNodes, postCheck, sleep } from './nodes.js';

/*
 * A key revoked or rotated away through one node is refused by every other node within one second: each node
 * trusts a key lookup from memory for at most LENDER_CACHE_MS, here at its ceiling of 1000 ms, the worst case.
 * Times are read off the real clock, which the key caches use.
 */

const BOUND_MS = 1_000;

/** A request for an API key, answered 401 once the key is refused; anything else means it was taken. */
type Probe = (node: Node, key: string) => Promise<number>;

const lenderProbe: Probe = async (node, key) =>
  (await node.app.inject({ method: 'GET', url: '/v1/checks/no-such-check', headers: { authorization: `Bearer ${key}` } }))
    .statusCode;

const auditorProbe: Probe = async (node, key) =>
  (await node.app.inject({ method: 'GET', url: '/log/tile/entries/000.p/1', headers: { authorization: `Bearer ${key}` } }))
    .statusCode;

/**
 * Asks `node` with the key every 25 ms until it is refused, failing if a request sent more than the bound after
 * `since` was still taken; then checks that the key stays refused.
 */
async function assertRefusedWithinBound(probe: Probe, node: Node, key: string, since: number): Promise<void> {
  for (;;) {
    const sent = Date.now();
    const status = await probe(node, key);
    if (status === 401) {
      for (let i = 0; i < 3; i++) {
        await sleep(20);
        assert.equal(await probe(node, key), 401, 'a refused key stays refused');
      }
      return;
    }
    assert.ok(sent - since <= BOUND_MS, `still taken ${sent - since} ms after the change (answered ${status})`);
    await sleep(25);
  }
}

describe(`revocation reaches every node within one second (${ENGINE})`, () => {
  let nodes: Nodes;
  let a: Node;
  let b: Node;
  before(async () => {
    nodes = await openNodes(2, { env: { LENDER_CACHE_MS: String(BOUND_MS), RATE_LIMIT_PER_MINUTE: '0' } });
    [a, b] = nodes.nodes as [Node, Node];
  });
  after(() => nodes.close());

  it('lender revoke through node A: node B refuses the key within a second', async () => {
    const { lender, apiKey } = await a.services.lenders.register({ name: 'Bank', bin: BIN.bank, type: 'bank' });
    // B has just looked the key up, so its cache holds it for the whole bound.
    assert.equal(await lenderProbe(b, apiKey), 404);
    assert.equal(await lenderProbe(a, apiKey), 404);
    await a.services.lenders.revoke(lender.id);
    const revokedAt = Date.now();
    assert.equal(await lenderProbe(a, apiKey), 401, 'the node that revoked refuses at once');
    await assertRefusedWithinBound(lenderProbe, b, apiKey, revokedAt);
  });

  it('rotate-key without overlap through node A: node B refuses the old key within a second and takes the new one', async () => {
    const { lender, apiKey: oldKey } = await a.services.lenders.register({ name: 'MFO', bin: BIN.mfo, type: 'mfo' });
    assert.equal((await postCheck(b, oldKey, 'ROT-1')).statusCode, 200);
    const { apiKey: newKey } = await a.services.lenders.rotateKey(lender.id);
    const rotatedAt = Date.now();
    assert.equal(await lenderProbe(b, newKey), 404, 'the new key is taken by the other node at once');
    assert.equal(await lenderProbe(a, oldKey), 401);
    await assertRefusedWithinBound(lenderProbe, b, oldKey, rotatedAt);
    assert.equal((await postCheck(b, newKey, 'ROT-2')).statusCode, 200);
  });

  it('a rotation with overlap keeps the old key on every node until the overlap ends, then neither takes it', async () => {
    const { lender, apiKey: oldKey } = await a.services.lenders.register({
      name: 'Other Bank',
      bin: BIN.otherBank,
      type: 'bank',
    });
    assert.equal(await lenderProbe(b, oldKey), 404);
    await a.services.lenders.rotateKey(lender.id, 60_000);
    await sleep(BOUND_MS + 50);
    assert.equal(await lenderProbe(b, oldKey), 404, 'within the overlap the old key is still taken');
    nodes.clock.advance(60_000);
    const endedAt = Date.now();
    await assertRefusedWithinBound(lenderProbe, b, oldKey, endedAt);
  });

  it('auditor revoke through node A: node B refuses the auditor key within a second', async () => {
    const lender = (await a.services.lenders.list()).find((l) => l.status === 'active');
    assert.ok(lender);
    const { apiKey } = await a.services.lenders.rotateKey(lender.id);
    assert.equal((await postCheck(a, apiKey, 'AUD-1')).statusCode, 200);
    const { auditor, apiKey: auditorKey } = await a.services.auditors.add({ name: 'Audit team' });
    assert.equal(await auditorProbe(b, auditorKey), 200, 'B reads the entry bundle with the auditor key');
    await a.services.auditors.revoke(auditor.id);
    const revokedAt = Date.now();
    assert.equal(await auditorProbe(a, auditorKey), 401);
    await assertRefusedWithinBound(auditorProbe, b, auditorKey, revokedAt);
  });
});
