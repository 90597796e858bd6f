import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../errors.js';
import { lenderAuth, requireLender } from '../http/lender-auth.js';
import { errorResponses, IdempotencyHeaders } from '../http/schemas.js';
import { RATE_LIMIT_WINDOW_MS } from '../ratelimit/rate-limit.plugin.js';
import type { Services } from '../services.js';

const ChannelSchema = Type.Enum(['remote', 'in_person'], { description: 'How the loan would be applied for.' });

const CheckRequest = Type.Object(
  {
    iin: Type.String({ description: "The borrower's IIN, 12 digits.", maxLength: 64 }),
    channel: ChannelSchema,
    reference: Type.String({
      // The full rule (code points, printable, no IIN in any spelling) is checked by validateReference.
      maxLength: 256,
      description:
        "The lender's own application reference: 1 to 64 printable characters (Unicode code points), with no " +
        'control, formatting or bidirectional characters, and no IIN in any spelling (400 invalid_reference). ' +
        'Only its hash, referenceHash(checkId, reference), goes into the transparency log.',
    }),
  },
  { additionalProperties: false },
);

const CheckAnswer = Type.Object({
  checkId: Type.String({ description: 'The registry’s id for this check.' }),
  restricted: Type.Boolean({ description: 'true: the citizen has forbidden this loan; do not lend.' }),
  checkedAt: Type.String({ format: 'date-time', description: 'The registry clock’s instant of the decision (UTC).' }),
  channel: ChannelSchema,
  reference: Type.String(),
  logIndex: Type.Integer({ minimum: 0, description: 'The check’s index in the transparency log.' }),
  entry: Type.String({ description: 'The log entry’s canonical bytes, base64; the receipt proves exactly these.' }),
  receipt: Type.String({
    description:
      'A C2SP tlog-proof (index, inclusion proof, signed checkpoint). Keep it with the entry: verify it offline with tyiym/verify or `tyiym receipt verify`.',
  }),
});

export interface CheckRoutesOptions {
  services: Services;
  rateLimitPerMinute: number;
}

/** POST /v1/checks and GET /v1/checks/{checkId}: thin HTTP over CheckService. */
export const checkRoutes: FastifyPluginAsyncTypebox<CheckRoutesOptions> = async (app, { services, rateLimitPerMinute }) => {
  app.decorateRequest('lender', null);
  app.addHook('onRequest', lenderAuth(services.lenders));

  const rateLimit =
    rateLimitPerMinute > 0
      ? {
          max: rateLimitPerMinute,
          timeWindow: RATE_LIMIT_WINDOW_MS,
          hook: 'preParsing' as const,
          keyGenerator: (req: { lender: { id: string } | null }) => req.lender?.id ?? 'anonymous',
          errorResponseBuilder: () => new AppError('rate_limited'),
        }
      : false;

  app.post(
    '/v1/checks',
    {
      config: { rateLimit },
      schema: {
        tags: ['checks'],
        summary: 'Check whether a citizen has forbidden new loans',
        description:
          'Call before every loan or microloan. The check is recorded durably before it is answered. ' +
          'The answer is decided at the registry’s clock from the lender type of the calling key.',
        security: [{ apiKey: [] }],
        headers: IdempotencyHeaders,
        body: CheckRequest,
        response: { 200: CheckAnswer, ...errorResponses(400, 401, 413, 415, 422, 429, 500, 503) },
      },
    },
    async (request) =>
      services.checks.check(requireLender(request), request.body, services.idempotency.keyOf(request.headers['idempotency-key'])),
  );

  app.get(
    '/v1/checks/:checkId',
    {
      config: { rateLimit },
      schema: {
        tags: ['checks'],
        summary: 'Fetch one of your own earlier checks',
        security: [{ apiKey: [] }],
        params: Type.Object({ checkId: Type.String({ maxLength: 64 }) }),
        response: { 200: CheckAnswer, ...errorResponses(401, 404, 429) },
      },
    },
    async (request) => services.checks.find(requireLender(request), request.params.checkId),
  );
};
