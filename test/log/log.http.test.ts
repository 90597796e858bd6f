import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { CheckAnswer } from '../../src/checks/check.service.js';
import { citizenKeyOf } from '../../src/identity/citizen-key.js';
import type { Lender } from '../../src/lenders/lender.js';
import { acceptsGzip } from '../../src/log/log.routes.js';
import { treeRoot } from '../../src/log/merkle.js';
import { hashFromTiles, parseEntryBundle, TILE_WIDTH, tileWidth } from '../../src/log/tiles.js';
import type { RestrictionEvent } from '../../src/registry/restriction.js';
import {
  type AnyEntry,
  type Checkpoint,
  decodeEntry,
  leafHash,
  operatorHash,
  parseProof,
  referenceHash,
  rootFromLeaves,
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
} from '../../src/verify/index.js';
import { BIN, IIN } from '../helpers/people.js';
import { openTestRegistry, TEST_PEPPER, type TestRegistry, testLogKey } from '../helpers/registry.js';

const OPERATOR_NAME = 'Test operator';
const operator = { kind: 'operator' as const, name: OPERATOR_NAME };
const citizen = { kind: 'citizen' as const };
const CHECKS = 300;

/** What the test made, by log index: the entries the log must hold, in this order. */
type Made = { kind: 'event'; event: RestrictionEvent } | { kind: 'check'; answer: CheckAnswer };

function assertError(res: LightMyRequestResponse, status: number, code: string): void {
  assert.equal(res.statusCode, status, `${res.statusCode} ${res.body}`);
  const body = res.json() as { error: { code: string; message: string } };
  assert.equal(body.error.code, code);
  assert.ok(body.error.message.length > 0);
}

describe('the log read API', () => {
  let reg: TestRegistry;
  let app: FastifyInstance;
  let bank: Lender;
  let mfo: Lender;
  const made = new Map<number, Made>();
  /** Signed checkpoints seen on the way, by size: from check receipts and from GET /log/checkpoint. */
  const earlier = new Map<number, { note: string; checkpoint: Checkpoint }>();
  /** Every body the log endpoints answered with, raw (before any gzip), for the privacy test. */
  const served: { url: string; body: Buffer }[] = [];
  let verifierKey: string;
  /** An auditor's key: entry bundles are served to auditors only. */
  let auditor: Record<string, string>;
  /** Every reference a check was made with, which the log must hold only as a commitment. */
  const references: string[] = [];

  const get = async (url: string, headers: Record<string, string> = {}) => {
    const res = await app.inject({ url, headers });
    if (res.statusCode === 200)
      served.push({ url, body: res.headers['content-encoding'] === 'gzip' ? gunzipSync(res.rawPayload) : res.rawPayload });
    return res;
  };

  const recordEvents = (events: RestrictionEvent[]) => {
    for (const event of events) {
      assert.equal(typeof event.logIndex, 'number');
      made.set(event.logIndex as number, { kind: 'event', event });
    }
  };
  const recordCheck = (answer: CheckAnswer) => {
    made.set(answer.logIndex, { kind: 'check', answer });
    const note = parseProof(answer.receipt).checkpoint;
    const checkpoint = verifyCheckpoint(note, verifierKey);
    earlier.set(checkpoint.size, { note, checkpoint });
  };
  const check = (lender: Lender, iin: string, channel: 'remote' | 'in_person', reference: string) => {
    references.push(reference);
    return reg.services.checks.check(lender, { iin, channel, reference });
  };

  /** The latest checkpoint over HTTP, verified with the key served at /log/key. */
  const latest = async () => {
    const res = await get('/log/checkpoint');
    assert.equal(res.statusCode, 200);
    return { note: res.body, checkpoint: verifyCheckpoint(res.body, verifierKey, { origin: reg.services.log.origin }) };
  };

  /** Every tile of every level for a tree of `size`, fetched over HTTP, keyed "L/N". */
  const fetchTiles = async (size: number) => {
    const tiles = new Map<string, Buffer>();
    for (let level = 0; tileWidth(level, 0, size) > 0; level++) {
      for (let index = 0; tileWidth(level, index, size) > 0; index++) {
        const width = tileWidth(level, index, size);
        const url = `/log/tile/${level}/${String(index).padStart(3, '0')}${width < TILE_WIDTH ? `.p/${width}` : ''}`;
        const res = await get(url);
        assert.equal(res.statusCode, 200, url);
        assert.equal(res.headers['content-type'], 'application/octet-stream');
        assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
        assert.equal(res.rawPayload.length, width * 32, url);
        tiles.set(`${level}/${index}`, res.rawPayload);
      }
    }
    return tiles;
  };

  /** The root of a tree of `size` computed from its tiles alone. */
  const rootFromTiles = (size: number, tiles: Map<string, Buffer>) =>
    treeRoot(
      size,
      hashFromTiles((level, index) => {
        const tile = tiles.get(`${level}/${index}`);
        assert.ok(tile, `tile ${level}/${index} was fetched`);
        return tile;
      }),
    );

  /** Every entry of a tree of `size`, from its entry bundles over HTTP, read with the auditor's key. */
  const fetchEntries = async (size: number) => {
    const entries: Buffer[] = [];
    for (let index = 0; tileWidth(0, index, size) > 0; index++) {
      const width = tileWidth(0, index, size);
      const url = `/log/tile/entries/${String(index).padStart(3, '0')}${width < TILE_WIDTH ? `.p/${width}` : ''}`;
      const res = await get(url, auditor);
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.headers['content-type'], 'application/octet-stream');
      assert.equal(res.headers['cache-control'], 'private, no-store', 'no shared cache keeps an entry bundle');
      const bundle = parseEntryBundle(res.rawPayload);
      assert.equal(bundle.length, width, url);
      entries.push(...bundle);
    }
    return entries;
  };

  before(async () => {
    reg = await openTestRegistry({ env: { LIFT_DELAY: '2d' } });
    app = await buildApp(reg.services, { logger: false });
    bank = (await reg.services.lenders.register({ name: 'Bank', bin: BIN.bank, type: 'bank' })).lender;
    mfo = (await reg.services.lenders.register({ name: 'MFO', bin: BIN.mfo, type: 'mfo' })).lender;
    auditor = { authorization: `Bearer ${(await reg.services.auditors.add({ name: 'Test auditor' })).apiKey}` };
    const key = await app.inject({ url: '/log/key' });
    verifierKey = key.body;

    // One at a time, in a known order: changes and checks interleaved. Each change signs a checkpoint too.
    const change = async (mutation: Promise<{ events: RestrictionEvent[] }>) => {
      recordEvents((await mutation).events);
      const c = await latest();
      earlier.set(c.checkpoint.size, c);
    };
    const { restrictions } = reg.services;
    await change(
      restrictions.place(IIN.alice, { scope: { lenderTypes: ['mfo'], channels: ['remote'] }, term: { kind: 'max' } }, operator),
    );
    recordCheck(await check(mfo, IIN.alice, 'remote', 'SEQ-1'));
    await change(restrictions.exempt(IIN.alice, { lenderBin: BIN.mfo, hours: 24 }, citizen));
    recordCheck(await check(mfo, IIN.alice, 'remote', 'SEQ-2'));
    await change(restrictions.place(IIN.bob, { term: { kind: 'max' } }, citizen));
    await change(restrictions.lift(IIN.alice, citizen));
    await change(restrictions.cancelLift(IIN.alice, citizen));
    recordCheck(await check(bank, IIN.bob, 'in_person', 'SEQ-3'));

    // Many at once, in three waves: each wave group-commits, and together they fill more than one tile.
    const people = [IIN.alice, IIN.bob, IIN.carol, IIN.dan];
    for (let wave = 0; wave < 3; wave++) {
      const answers = await Promise.all(
        Array.from({ length: CHECKS / 3 }, (_, j) => {
          const i = wave * (CHECKS / 3) + j;
          return check(i % 2 === 0 ? bank : mfo, people[i % 4] as string, i % 3 === 0 ? 'in_person' : 'remote', `BULK-${i}`);
        }),
      );
      for (const a of answers) recordCheck(a);
    }
    recordCheck(await check(bank, IIN.carol, 'remote', 'SEQ-4'));
  });

  after(async () => {
    await app.close();
    await reg.close();
  });

  it('GET /log/key serves the verifier key of the log’s origin', async () => {
    const res = await get('/log/key');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(res.body, reg.services.log.verifierKey);
    assert.equal(res.body, testLogKey(reg.services.log.origin).verifierKey);
    assert.ok(res.body.startsWith(`${reg.services.log.origin}+`));
    assert.match(res.body, /^[^+\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/);
  });

  it('GET /log/checkpoint serves the latest signed checkpoint, never cached, verifiable with the key', async () => {
    const res = await get('/log/checkpoint');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-store');
    const c = verifyCheckpoint(res.body, verifierKey, { origin: reg.services.log.origin });
    assert.equal(c.size, made.size, 'every change and every check is in the tree');
    assert.equal(res.body, await reg.services.log.checkpoint());
    assert.throws(() => verifyCheckpoint(res.body.replace(String(c.size), String(c.size + 1)), verifierKey));
  });

  it('the hash tiles rebuild the checkpoint’s root, and the earlier partial tiles rebuild earlier roots', async () => {
    const { checkpoint } = await latest();
    assert.ok(checkpoint.size > TILE_WIDTH, 'at least one full tile');
    const tiles = await fetchTiles(checkpoint.size);
    assert.ok(tiles.has('1/0'), 'a level-1 tile holds the hash of the full level-0 tile');
    assert.deepEqual(rootFromTiles(checkpoint.size, tiles), checkpoint.root);

    // Level 0 holds the leaf hashes; level 1 the root of each full level-0 tile.
    const entries = await fetchEntries(checkpoint.size);
    const level0 = Buffer.concat([tiles.get('0/0') as Buffer, tiles.get('0/1') as Buffer]);
    for (const [i, e] of entries.entries()) assert.deepEqual(level0.subarray(i * 32, (i + 1) * 32), leafHash(e), `leaf ${i}`);
    assert.deepEqual((tiles.get('1/0') as Buffer).subarray(0, 32), rootFromLeaves(entries.slice(0, TILE_WIDTH)));

    // The log serves the partial tiles of every size it signed a checkpoint for.
    const sizes = [...earlier.keys()];
    assert.ok(sizes.length > 8, `several checkpoints were captured (${sizes.join(', ')})`);
    assert.ok(
      sizes.some((s) => s < TILE_WIDTH && s > 2 * 8 && !Number.isInteger(Math.log2(s))),
      'one ends inside the first tile',
    );
    for (const [size, { checkpoint: old }] of earlier) {
      const oldTiles = await fetchTiles(size);
      assert.deepEqual(rootFromTiles(size, oldTiles), old.root, `root of size ${size}`);
    }
  });

  it('the entry bundles decode into exactly the changes and checks made, in order', async () => {
    const { checkpoint } = await latest();
    const entries = await fetchEntries(checkpoint.size);
    assert.equal(entries.length, made.size);
    assert.deepEqual(
      [...made.keys()].sort((a, b) => a - b),
      entries.map((_, i) => i),
    );
    const decoded: AnyEntry[] = entries.map((e) => decodeEntry(e));
    let checks = 0;
    decoded.forEach((entry, i) => {
      const expected = made.get(i) as Made;
      assert.equal(entry.entryVersion, 2, `entry ${i} is written in format version 2`);
      if (expected.kind === 'check') {
        checks++;
        assert.equal(entry.type, 'check', `entry ${i}`);
        assert.deepEqual(entries[i], Buffer.from(expected.answer.entry, 'base64'), `entry ${i} is the check's receipted bytes`);
        assert.ok(entry.type === 'check' && entry.checkId === expected.answer.checkId);
        assert.ok(entry.type === 'check' && entry.restricted === expected.answer.restricted);
        // The lender's reference is in the entry only as a commitment, which the answer's reference opens.
        assert.ok(
          entry.type === 'check' &&
            entry.entryVersion === 2 &&
            referenceHash(entry.checkId, expected.answer.reference).equals(entry.referenceHash),
        );
        assert.ok(!(entries[i] as Buffer).includes(expected.answer.reference), `entry ${i} holds no reference text`);
      } else {
        assert.equal(entry.type, 'restriction_event', `entry ${i}`);
        assert.ok(entry.type === 'restriction_event' && entry.eventId === expected.event.id);
        assert.ok(entry.type === 'restriction_event' && entry.action === expected.event.action);
        assert.ok(entry.type === 'restriction_event' && entry.version === expected.event.version);
        assert.ok(
          entry.type === 'restriction_event' &&
            entry.entryVersion === 2 &&
            (expected.event.actor.kind === 'operator'
              ? operatorHash(entry.eventId, OPERATOR_NAME).equals(entry.operatorHash ?? Buffer.alloc(0))
              : entry.operatorHash === null),
          `entry ${i}: the operator is in the entry only as a commitment to the name`,
        );
      }
    });
    assert.equal(checks, CHECKS + 4);

    // The sequential steps are in the log in the order they were made.
    const seq = (label: string) =>
      decoded.findIndex((e) =>
        e.type === 'check'
          ? e.entryVersion === 2 && referenceHash(e.checkId, label).equals(e.referenceHash)
          : `${e.action}:${e.actorKind}` === label,
      );
    const order = [
      'placed:operator',
      'SEQ-1',
      'exemption_opened:citizen',
      'SEQ-2',
      'placed:citizen',
      'lift_requested:citizen',
      'lift_cancelled:citizen',
      'SEQ-3',
      'SEQ-4',
    ].map(seq);
    assert.ok(
      order.every((at, i) => at >= 0 && (i === 0 || at > (order[i - 1] as number))),
      `in order: ${order.join(', ')}`,
    );
    assert.equal(order.at(-1), decoded.length - 1, 'the last check is the last entry');
  });

  it('entry bundles are gzip-compressed for clients that accept it', async () => {
    const plain = await get('/log/tile/entries/000', auditor);
    const zipped = await get('/log/tile/entries/000', { ...auditor, 'accept-encoding': 'gzip, identity' });
    assert.equal(zipped.statusCode, 200);
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(zipped.headers.vary, 'Accept-Encoding');
    assert.ok(zipped.rawPayload.length < plain.rawPayload.length);
    assert.deepEqual(gunzipSync(zipped.rawPayload), plain.rawPayload);
    assert.equal(plain.headers['content-encoding'], undefined);
    const refused = await get('/log/tile/entries/000', { ...auditor, 'accept-encoding': 'gzip;q=0, identity' });
    assert.equal(refused.headers['content-encoding'], undefined);
    assert.deepEqual(refused.rawPayload, plain.rawPayload);
    const hashTile = await get('/log/tile/0/000', { 'accept-encoding': 'gzip' });
    assert.equal(hashTile.headers['content-encoding'], undefined, 'hash tiles do not compress; they are sent as they are');

    assert.equal(acceptsGzip('gzip'), true);
    assert.equal(acceptsGzip('br;q=1.0, gzip;q=0.8'), true);
    assert.equal(acceptsGzip('*'), true);
    assert.equal(acceptsGzip('*;q=0.5, gzip;q=0'), false);
    assert.equal(acceptsGzip('identity'), false);
    assert.equal(acceptsGzip(undefined), false);
  });

  it('inclusion proofs verify against the roots of earlier checkpoints and of the latest', async () => {
    const { checkpoint: head } = await latest();
    const entries = await fetchEntries(head.size);
    const all = [...earlier.values()].map((e) => e.checkpoint).concat(head);
    for (const c of all) {
      for (const index of new Set([0, Math.floor(c.size / 2), c.size - 1])) {
        const res = await get(`/log/proof/inclusion?index=${index}&size=${c.size}`);
        assert.equal(res.statusCode, 200);
        assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
        const body = res.json() as { index: number; size: number; root: string; proof: string[] };
        assert.deepEqual(Object.keys(body).sort(), ['index', 'proof', 'root', 'size']);
        assert.equal(body.index, index);
        assert.equal(body.size, c.size);
        assert.equal(body.root, c.root.toString('base64'), 'the root is the signed one');
        const proof = body.proof.map((h) => Buffer.from(h, 'base64'));
        assert.equal(verifyInclusion(index, c.size, leafHash(entries[index] as Buffer), proof, c.root), true);
        if (index > 0) assert.throws(() => verifyInclusion(index - 1, c.size, leafHash(entries[index] as Buffer), proof, c.root));
      }
    }
  });

  it('consistency proofs verify between every earlier checkpoint and the latest', async () => {
    const { checkpoint: head } = await latest();
    const sizes = [...earlier.keys()].sort((a, b) => a - b);
    for (const [i, from] of sizes.entries()) {
      const old = (earlier.get(from) as { checkpoint: Checkpoint }).checkpoint;
      for (const to of [head.size, sizes[i + 1]].filter((s): s is number => s !== undefined)) {
        const newer = to === head.size ? head : (earlier.get(to) as { checkpoint: Checkpoint }).checkpoint;
        const res = await get(`/log/proof/consistency?from=${from}&to=${to}`);
        assert.equal(res.statusCode, 200);
        const body = res.json() as { from: number; to: number; proof: string[] };
        assert.deepEqual(Object.keys(body).sort(), ['from', 'proof', 'to']);
        assert.equal(body.from, from);
        assert.equal(body.to, to);
        const proof = body.proof.map((h) => Buffer.from(h, 'base64'));
        assert.equal(verifyConsistency(from, to, proof, old.root, newer.root), true, `${from} → ${to}`);
      }
    }
    const same = (await get(`/log/proof/consistency?from=${head.size}&to=${head.size}`)).json() as { proof: string[] };
    assert.deepEqual(same.proof, []);
  });

  it('400 invalid_request for bad parameters', async () => {
    const { checkpoint: head } = await latest();
    for (const query of [
      '',
      'index=0',
      'size=1',
      'index=-1&size=1',
      'index=abc&size=1',
      'index=1.5&size=3',
      'index=01&size=3',
      'index=1e2&size=300',
      'index=%200&size=1',
      'index=0&size=0',
      'index=1&size=1',
      `index=${head.size}&size=${head.size}`,
      'index=0&index=1&size=2',
      'index=0&size=99999999999999999',
      'index=0&size=9999999999999999',
    ])
      assertError(await get(`/log/proof/inclusion?${query}`), 400, 'invalid_request');
    for (const query of [
      '',
      'from=1',
      'to=1',
      'from=0&to=1',
      'from=2&to=1',
      'from=-1&to=1',
      'from=1&to=x',
      'from=1&to=2.0',
      'from=1&to=9999999999999999',
    ])
      assertError(await get(`/log/proof/consistency?${query}`), 400, 'invalid_request');
  });

  it('404 not_found beyond the tree and for paths that are not canonical tiles', async () => {
    const { checkpoint: head } = await latest();
    const width = head.size % TILE_WIDTH;
    assert.ok(width > 0 && head.size < 2 * TILE_WIDTH, `the test expects one full and one partial tile (${head.size})`);
    assertError(await get(`/log/proof/inclusion?index=0&size=${head.size + 1}`), 404, 'not_found');
    assertError(await get(`/log/proof/inclusion?index=${head.size}&size=${head.size + 1}`), 404, 'not_found');
    assertError(await get(`/log/proof/consistency?from=1&to=${head.size + 1}`), 404, 'not_found');
    for (const path of [
      '0/001', // the second level-0 tile is not full yet
      `0/001.p/${width + 1}`,
      '0/002.p/1',
      'x001/000',
      '1/000', // level 1 holds one hash
      '1/000.p/2',
      '2/000.p/1',
      'entries/001',
      `entries/001.p/${width + 1}`,
      'entries/x001/000',
      // not canonical
      '0/1',
      '0/0001',
      '0/000.p/256',
      '0/000.p/0',
      '0/000.p/01',
      '00/000',
      '64/000.p/1',
      'entries/000/',
      'data/000',
      '',
    ]) {
      const res = await get(`/log/tile/${path}`, path.startsWith('entries') ? auditor : {});
      assertError(res, 404, 'not_found');
      assert.equal(res.headers['cache-control'], undefined, `a missing tile (${path}) may appear later, so it is not cached`);
    }
    // What does exist at this size is served.
    assert.equal((await get(`/log/tile/0/001.p/${width}`)).statusCode, 200);
    assert.equal((await get(`/log/tile/0/001.p/${width - 1}`)).statusCode, 200);
    assert.equal((await get('/log/tile/1/000.p/1')).statusCode, 200);
    assert.equal((await get('/log/tile/entries/000', auditor)).statusCode, 200);
    assert.equal((await get(`/log/tile/entries/001.p/${width}`, auditor)).statusCode, 200);
    assert.equal((await app.inject({ method: 'HEAD', url: '/log/tile/0/000' })).statusCode, 200);
  });

  it('entry bundles need an auditor key; hash tiles, checkpoints and proofs do not', async () => {
    const { checkpoint: head } = await latest();
    const lenderKey = (await reg.services.lenders.register({ name: 'Curious Bank', bin: BIN.otherBank, type: 'bank' })).apiKey;
    for (const url of ['/log/tile/entries/000', `/log/tile/entries/001.p/${head.size % TILE_WIDTH}`]) {
      const refused: Record<string, string>[] = [
        {},
        { authorization: `Bearer ${lenderKey}` },
        { authorization: 'Bearer tya_unknown' },
      ];
      for (const headers of refused) {
        const res = await get(url, headers);
        assertError(res, 401, 'unauthorized');
        assert.match(String(res.headers['www-authenticate']), /^Bearer realm="tyiym"/);
      }
      assert.equal((await get(url, auditor)).statusCode, 200);
    }
    for (const url of ['/log/tile/0/000', '/log/checkpoint', '/log/key', `/log/proof/inclusion?index=0&size=${head.size}`])
      assert.equal((await get(url)).statusCode, 200, `${url} is public`);
  });

  it('privacy: no IIN, reference or operator name in any entry, tile, checkpoint or proof served; the citizen key is in the entries', async () => {
    const { checkpoint: head } = await latest();
    await get('/log/key');
    await fetchTiles(head.size);
    const entries = await fetchEntries(head.size);
    await get('/log/tile/entries/000', { ...auditor, 'accept-encoding': 'gzip' });
    for (let index = 0; index < head.size; index++) await get(`/log/proof/inclusion?index=${index}&size=${head.size}`);
    for (const from of earlier.keys()) await get(`/log/proof/consistency?from=${from}&to=${head.size}`);
    for (const { note } of earlier.values()) served.push({ url: 'a receipt’s checkpoint', body: Buffer.from(note) });
    assert.ok(served.length > head.size, `many responses were looked at (${served.length})`);
    assert.ok(served.some((s) => s.url.startsWith('/log/tile/entries/')));
    assert.equal(references.length, CHECKS + 4);
    for (const text of [...Object.values(IIN), ...references, OPERATOR_NAME]) {
      for (const form of [Buffer.from(text, 'utf8'), Buffer.from(text, 'utf16le')])
        for (const { url, body } of served) assert.ok(!body.includes(form), `${url} holds ${JSON.stringify(text)}`);
    }
    const bundles = Buffer.concat(served.filter((s) => s.url.startsWith('/log/tile/entries/')).map((s) => s.body));
    for (const iin of Object.values(IIN)) {
      const key = citizenKeyOf(TEST_PEPPER, iin);
      assert.ok(bundles.includes(key), 'the citizen key is what the entries carry');
      assert.ok(entries.some((e) => e.includes(key)));
    }
  });

  it('is documented in the OpenAPI document under the log tag', async () => {
    const doc = (await get('/openapi.json')).json() as {
      paths: Record<string, { get?: { tags?: string[]; description?: string; security?: unknown } }>;
    };
    for (const path of ['/log/checkpoint', '/log/key', '/log/tile/{*}', '/log/proof/inclusion', '/log/proof/consistency']) {
      const op = doc.paths[path]?.get;
      assert.ok(op, path);
      assert.deepEqual(op.tags, ['log']);
      assert.ok((op.description ?? '').length > 40, path);
      // Hash tiles are public and entry bundles are for auditors, under one path: either, as OpenAPI says it.
      if (path === '/log/tile/{*}') assert.deepEqual(op.security, [{}, { auditorKey: [] }], path);
      else assert.equal(op.security, undefined, `${path} is public`);
    }
    assert.match(doc.paths['/log/tile/{*}']?.get?.description ?? '', /Entry bundles need an auditor key/);
    assert.ok(doc.paths['/log/key']?.get?.description?.includes(reg.services.log.origin), 'the origin line is documented');
  });
});

describe('the log read API on an empty log', () => {
  it('answers 404 for the checkpoint, the tiles and the proofs', async () => {
    const reg = await openTestRegistry();
    const app = await buildApp(reg.services, { logger: false });
    const auditor = { authorization: `Bearer ${(await reg.services.auditors.add({ name: 'Auditor' })).apiKey}` };
    for (const url of [
      '/log/checkpoint',
      '/log/tile/0/000.p/1',
      '/log/tile/entries/000.p/1',
      '/log/proof/inclusion?index=0&size=1',
      '/log/proof/consistency?from=1&to=1',
    ])
      assertError(await app.inject({ url, headers: auditor }), 404, 'not_found');
    assertError(await app.inject({ url: '/log/tile/entries/000.p/1' }), 401, 'unauthorized');
    assert.equal((await app.inject({ url: '/log/key' })).statusCode, 200, 'the key is known before the first entry');
    await app.close();
    await reg.close();
  });
});
