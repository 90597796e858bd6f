import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../errors.js';
import { requireAuditor } from '../http/auditor-auth.js';
import { errorResponses } from '../http/schemas.js';
import type { Services } from '../services.js';
import { parseTilePath } from './tiles.js';

const gzip = promisify(gzipCallback);

/*
 * The transparency log's public read API: the signed checkpoint, the verifier key, the C2SP
 * tlog-tiles static resources (c2sp.org/tlog-tiles), and JSON proofs for clients that do not speak
 * tiles. Checkpoints, hash tiles, proofs and the key are public. The entry bundles are not: each entry names
 * a citizen by a pseudonym (the citizen key), and a pseudonym seen across entries says who was checked by
 * whom and when, so only auditors read them. A lender gets its own check's entry in the check answer.
 */

const TEXT = 'text/plain; charset=utf-8';
const BINARY = 'application/octet-stream';
/** Tiles, entry bundles and proofs for a given size never change: cache them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** A non-negative decimal integer without leading zeros. The app's ajv does not coerce, so it is read as text. */
const Count = (description: string) =>
  Type.String({ pattern: '^(0|[1-9][0-9]*)$', maxLength: 16, description: `${description} A decimal integer.` });

function toCount(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new AppError('invalid_request', `The ${name} is too large.`);
  return n;
}

const Hash = Type.String({ description: 'A SHA-256 hash, base64.', contentEncoding: 'base64' });

const InclusionProof = Type.Object(
  {
    index: Type.Integer({ minimum: 0, description: 'The entry’s index in the log.' }),
    size: Type.Integer({ minimum: 1, description: 'The size of the tree the proof leads to.' }),
    root: { ...Hash, description: 'The RFC 9162 root hash of the first `size` entries, base64.' },
    proof: Type.Array(Hash, { description: 'The RFC 9162 §2.1.3 inclusion path, leaf to root.' }),
  },
  { description: 'An inclusion proof and the root it leads to.' },
);

const ConsistencyProof = Type.Object(
  {
    from: Type.Integer({ minimum: 1, description: 'The size of the older tree.' }),
    to: Type.Integer({ minimum: 1, description: 'The size of the newer tree.' }),
    proof: Type.Array(Hash, { description: 'The RFC 9162 §2.1.4 consistency proof.' }),
  },
  { description: 'A consistency proof between two tree sizes.' },
);

function textResponse(description: string) {
  return { description, content: { [TEXT]: { schema: { type: 'string' } } } };
}

const binaryResponse = (description: string) => ({
  description,
  content: { [BINARY]: { schema: { type: 'string', format: 'binary' } } },
});

/** Whether the client accepts gzip (RFC 9110 §12.5.3): named, or by `*`, with a non-zero weight. */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  let gzipWeight: number | null = null;
  let starWeight: number | null = null;
  for (const part of value.split(',')) {
    const [coding = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    if (coding.trim() === 'gzip' || coding.trim() === 'x-gzip') gzipWeight = weight;
    else if (coding.trim() === '*') starWeight = weight;
  }
  const weight = gzipWeight ?? starWeight ?? 0;
  return Number.isFinite(weight) && weight > 0;
}

export interface LogRoutesOptions {
  services: Services;
}

/** GET /log/checkpoint, /log/key, /log/tile/… and /log/proof/…: the log, for lenders, auditors and witnesses. */
export const logRoutes: FastifyPluginAsyncTypebox<LogRoutesOptions> = async (app, { services }) => {
  const { log, auditors } = services;

  app.get(
    '/log/checkpoint',
    {
      schema: {
        tags: ['log'],
        summary: 'The latest signed checkpoint',
        description:
          'The latest C2SP tlog-checkpoint (origin, tree size, base64 root hash), in a C2SP signed note signed with ' +
          'the log’s Ed25519 key. Verify it with the key from GET /log/key. It changes with every batch, so it is ' +
          'never cached. 404 while the log is empty.',
        response: { 200: textResponse('A signed note.'), ...errorResponses(404) },
      },
    },
    async (_request, reply) => {
      const note = await log.checkpoint();
      return reply.header('cache-control', 'no-store').type(TEXT).send(note);
    },
  );

  app.get(
    '/log/key',
    {
      schema: {
        tags: ['log'],
        summary: 'The log’s verifier key',
        description:
          'The C2SP signed-note verifier key of the log, `name+hexid+base64(0x01 ‖ Ed25519 public key)`, with no ' +
          `trailing newline. Its name is the log's origin line: \`${log.origin}\`. Checkpoints, receipts and ` +
          'evidence files verify against it. 404 when the server has no log key.',
        response: { 200: textResponse('The verifier key.'), ...errorResponses(404) },
      },
    },
    async (_request, reply) => {
      if (log.verifierKey === null) throw new AppError('not_found', 'This server has no log key.');
      return reply.type(TEXT).send(log.verifierKey);
    },
  );

  const sendTile = async (request: FastifyRequest, reply: FastifyReply, bytes: Buffer, compress: boolean) => {
    // Entry bundles are for auditors only: no shared cache may keep one.
    reply.header('cache-control', compress ? 'private, no-store' : IMMUTABLE).type(BINARY);
    if (!compress) return reply.send(bytes);
    reply.header('vary', 'Accept-Encoding');
    if (!acceptsGzip(request.headers['accept-encoding'])) return reply.send(bytes);
    return reply.header('content-encoding', 'gzip').send(await gzip(bytes));
  };

  app.get(
    '/log/tile/*',
    {
      schema: {
        tags: ['log'],
        summary: 'A tile or an entry bundle (C2SP tlog-tiles)',
        // Hash tiles need nothing; entry bundles need an auditor key.
        security: [{}, { auditorKey: [] }],
        description:
          'The static read API of C2SP tlog-tiles, under the prefix `/log`. ' +
          '`/log/tile/<L>/<N>[.p/<W>]` is a hash tile: the 256 (or, for a partial tile, W) consecutive Merkle tree ' +
          'hashes of level 8·L, 32 bytes each. `/log/tile/entries/<N>[.p/<W>]` is an entry bundle: the entries of ' +
          'leaves N·256 onwards, each prefixed with its length as a big-endian uint16; it is gzip-compressed when ' +
          'the client accepts gzip. Entry bundles need an auditor key (`Authorization: Bearer tya_…`, 401 without ' +
          'one); hash tiles are public. <N> is written in groups of three digits, all but the last prefixed with `x` ' +
          '(1234067 → `x001/x234/067`). Full and partial tiles never change and are cached for a year. ' +
          '404 for a path that is not canonical and for a tile the tree has not reached.',
        params: Type.Object({
          '*': Type.String({ maxLength: 128, description: 'The tile path after `/log/tile/`, e.g. `0/x001/234.p/17`.' }),
        }),
        response: { 200: binaryResponse('The tile’s bytes.'), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      // Checked before the path is parsed, so that no answer about entries reaches anyone else.
      if (request.params['*'].startsWith('entries')) await requireAuditor(auditors, request, reply);
      const path = `tile/${request.params['*']}`;
      const ref = parseTilePath(path);
      if (ref === null) throw new AppError('not_found', 'Not a tlog-tiles tile path.');
      const bytes =
        ref.kind === 'entries' ? await log.entriesTile(ref.index, ref.width) : await log.tile(ref.level, ref.index, ref.width);
      if (bytes === null) throw new AppError('not_found', 'The log has not reached this tile.');
      return sendTile(request, reply, bytes, ref.kind === 'entries');
    },
  );

  app.get(
    '/log/proof/inclusion',
    {
      schema: {
        tags: ['log'],
        summary: 'An inclusion proof',
        description:
          'The RFC 9162 §2.1.3 proof that entry `index` is in the tree of the first `size` entries, with that ' +
          'tree’s root. Check the root against a signed checkpoint of that size. ' +
          '400 unless 0 ≤ index < size; 404 when the log has fewer than `size` entries.',
        querystring: Type.Object({
          index: Count('The entry’s index, from 0.'),
          size: Count('The tree size, at least 1.'),
        }),
        response: { 200: InclusionProof, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const index = toCount(request.query.index, 'index');
      const size = toCount(request.query.size, 'size');
      const proof = await log.inclusionProof(index, size);
      reply.header('cache-control', IMMUTABLE);
      return proof;
    },
  );

  app.get(
    '/log/proof/consistency',
    {
      schema: {
        tags: ['log'],
        summary: 'A consistency proof',
        description:
          'The RFC 9162 §2.1.4 proof that the tree of the first `from` entries is a prefix of the tree of the ' +
          'first `to` entries. 400 unless 1 ≤ from ≤ to; 404 when the log has fewer than `to` entries.',
        querystring: Type.Object({
          from: Count('The older tree size, at least 1.'),
          to: Count('The newer tree size, at least `from`.'),
        }),
        response: { 200: ConsistencyProof, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const from = toCount(request.query.from, 'from');
      const to = toCount(request.query.to, 'to');
      const proof = await log.consistencyProof(from, to);
      reply.header('cache-control', IMMUTABLE);
      return proof;
    },
  );
};
