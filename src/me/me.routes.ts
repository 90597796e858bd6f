import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { AppError } from '../errors.js';
import { bearerChallenge } from '../http/bearer.js';
import { errorResponses } from '../http/schemas.js';
import type { Citizen } from '../identity/citizen.js';
import { CHANNELS, LENDER_TYPES, RESTRICTION_KINDS } from '../registry/policy.js';
import type { Actor } from '../registry/restriction.js';
import { citizenCheckJson, eventJson, restrictionJson } from '../registry/restriction.json.js';
import type { TermRequest } from '../registry/term.js';
import type { Services } from '../services.js';
import { AccessTokenRefused, type AccessTokenVerifier } from './access-token.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The citizen named by the bearer access token; set by the mobile API's onRequest hook only. */
    bearerCitizen: Citizen | null;
  }
}

// RFC 6750 §2.1: b64token.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** Every change made through this API is the citizen's own. */
const CITIZEN: Actor = { kind: 'citizen' };

const SECURITY = [{ citizenToken: [] }];
const TAGS = ['me'];

// --- Schemas --------------------------------------------------------------------------------

const DateTime = Type.String({ format: 'date-time', description: 'An instant, RFC 3339 in UTC.' });
const NullableDateTime = Type.Union([DateTime, Type.Null()]);
const LenderType = Type.Enum(LENDER_TYPES, { description: 'bank: a bank; mfo: a microfinance organisation.' });
const Channel = Type.Enum(CHANNELS, { description: 'remote: online or by phone; in_person: at a branch.' });

const LenderSummary = Type.Object({
  id: Type.String(),
  name: Type.String(),
  bin: Type.String({ description: 'The lender’s 12-digit business identification number.' }),
  type: LenderType,
});

const ActorSchema = Type.Object({
  kind: Type.Enum(['citizen', 'operator'], { description: 'citizen: you; operator: a service-centre employee.' }),
  name: Type.Optional(Type.String({ description: 'The operator’s name.' })),
});

const RestrictionSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.Enum(RESTRICTION_KINDS),
    status: Type.Enum(['active', 'lift_pending', 'expired', 'lifted', 'scheduled']),
    version: Type.Integer({ description: 'Grows by one with every change.' }),
    lenderTypes: Type.Array(LenderType, { description: 'The lender types the ban covers.' }),
    channels: Type.Array(Channel, { description: 'The channels the ban covers.' }),
    startsAt: DateTime,
    endsAt: Type.Union([DateTime, Type.Null()], { description: 'When the ban ends; null: until cancelled.' }),
    lastDay: Type.Union([Type.String({ format: 'date' }), Type.Null()], {
      description: 'The last calendar day the ban covers (Asia/Almaty); null: until cancelled.',
    }),
    daysLeft: Type.Union([Type.Integer(), Type.Null()], { description: 'Calendar days left, today included.' }),
    liftRequestedAt: NullableDateTime,
    liftEffectiveAt: Type.Union([DateTime, Type.Null()], { description: 'When a requested lift takes effect.' }),
    exemptions: Type.Array(Type.Object({ lender: LenderSummary, startsAt: DateTime, endsAt: DateTime, actor: ActorSchema }), {
      description: 'Lenders let through the ban for a while.',
    }),
  },
  { description: 'The ban in force.' },
);

const RestrictionAnswer = Type.Object({
  restriction: Type.Union([RestrictionSchema, Type.Null()], { description: 'null: no ban is in force.' }),
});

const LiftAnswer = Type.Object({
  restriction: Type.Union([RestrictionSchema, Type.Null()], { description: 'null: the lift took effect at once.' }),
  liftEffectiveAt: Type.String({ format: 'date-time', description: 'When the ban stops (or stopped) applying.' }),
});

const HistoryEntry = Type.Object({
  restrictionId: Type.String(),
  version: Type.Integer(),
  action: Type.Enum(['placed', 'changed', 'lift_requested', 'lift_cancelled', 'exemption_opened']),
  lenderTypes: Type.Array(LenderType),
  channels: Type.Array(Channel),
  endsAt: NullableDateTime,
  liftEffectiveAt: NullableDateTime,
  exemption: Type.Union([Type.Object({ lenderId: Type.String(), endsAt: DateTime }), Type.Null()]),
  actor: ActorSchema,
  at: DateTime,
});

const CheckEntry = Type.Object({
  checkId: Type.String(),
  lender: LenderSummary,
  channel: Channel,
  reference: Type.String({ description: 'The lender’s own application reference.' }),
  restricted: Type.Boolean({ description: 'true: the lender was told not to lend.' }),
  checkedAt: DateTime,
});

const Term = Type.Union(
  [
    Type.Object(
      { months: Type.Integer({ description: 'A number of calendar months from today.' }) },
      { additionalProperties: false },
    ),
    Type.Object(
      { until: Type.String({ maxLength: 32, description: 'The last day covered, YYYY-MM-DD (Asia/Almaty).' }) },
      { additionalProperties: false },
    ),
    Type.Object({ indefinite: Type.Literal(true) }, { additionalProperties: false, description: 'Until cancelled.' }),
  ],
  { description: 'How long the ban lasts; without it, the longest term the policy allows.' },
);

const PlaceBody = Type.Object(
  {
    lenderTypes: Type.Optional(Type.Array(LenderType, { maxItems: 8, description: 'Default: every lender type.' })),
    channels: Type.Optional(Type.Array(Channel, { maxItems: 8, description: 'Default: every channel.' })),
    term: Type.Optional(Term),
  },
  { additionalProperties: false },
);

const ExemptionBody = Type.Object(
  {
    lenderBin: Type.String({ maxLength: 64, description: 'The BIN of the lender to let through.' }),
    hours: Type.Integer({ description: 'How long the lender is let through, in hours, up to the policy’s limit.' }),
  },
  { additionalProperties: false },
);

function termOf(term: Static<typeof Term> | undefined): TermRequest {
  if (term === undefined) return { kind: 'max' };
  if ('months' in term) return { kind: 'months', months: term.months };
  if ('until' in term) return { kind: 'until', date: term.until };
  return { kind: 'indefinite' };
}

// --- Routes ---------------------------------------------------------------------------------

export interface MeRoutesOptions {
  services: Services;
  verifier: AccessTokenVerifier;
}

function citizenOf(request: FastifyRequest): Citizen {
  if (request.bearerCitizen === null) throw new AppError('unauthorized', 'A valid access token is required.');
  return request.bearerCitizen;
}

/**
 * The mobile app's API under /v1/me: a citizen, known only from an OpenID Connect access
 * token, reads and changes their own ban. No route names a citizen, so no one can reach
 * another citizen's record. The same rules apply as at a service centre; only the actor differs.
 */
export const meRoutes: FastifyPluginAsyncTypebox<MeRoutesOptions> = async (app, { services, verifier }) => {
  const { restrictions, lenders, clock } = services;

  app.decorateRequest('bearerCitizen', null);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    const m = header === undefined ? null : BEARER.exec(header);
    if (m === null) {
      bearerChallenge(reply, false);
      throw new AppError('unauthorized', 'Send the access token as "Authorization: Bearer <token>".');
    }
    try {
      request.bearerCitizen = await verifier.verify(m[1] as string);
    } catch (e) {
      if (e instanceof AccessTokenRefused) {
        if (e.reason === 'keys_unavailable') request.log.warn({ err: e.cause }, 'the identity provider’s keys are unavailable');
        else request.log.debug({ reason: e.reason }, 'access token refused');
      }
      if (e instanceof AppError && e.code === 'unauthorized') bearerChallenge(reply, true);
      throw e;
    }
  });

  // Personal data: no shared or private cache may keep a copy (RFC 9111 §5.2.2.5).
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });

  /** The ban in force now, as JSON, or null. */
  const current = async (citizen: Citizen) => {
    const { restriction } = await restrictions.record(citizen);
    return restriction === null ? null : restrictionJson(restriction, clock.now());
  };

  app.get(
    '/v1/me/restriction',
    {
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Your ban in force',
        description:
          'The ban on new loans in force for you now, with its scope, term and open exemptions; null when there is none.',
        response: { 200: RestrictionAnswer, ...errorResponses(401, 500, 503) },
      },
    },
    async (request) => ({ restriction: await current(citizenOf(request)) }),
  );

  app.put(
    '/v1/me/restriction',
    {
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Place or change your ban',
        description:
          'Places a ban when none is in force, or changes the one in force into a new version. ' +
          'Lender types and channels default to all of them; the term defaults to the longest the policy allows. ' +
          'Asking for a ban while a lift is pending cancels the lift. ' +
          'Rule failures answer 400 invalid_term or invalid_scope.',
        body: PlaceBody,
        response: { 200: RestrictionAnswer, ...errorResponses(400, 401, 413, 415, 500, 503) },
      },
    },
    async (request) => {
      const citizen = citizenOf(request);
      const { lenderTypes, channels, term } = request.body;
      const scope = { ...(lenderTypes === undefined ? {} : { lenderTypes }), ...(channels === undefined ? {} : { channels }) };
      await restrictions.place(citizen, { scope, term: termOf(term) }, CITIZEN);
      return { restriction: await current(citizen) };
    },
  );

  app.post(
    '/v1/me/restriction/lift',
    {
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Ask for your ban to be lifted',
        description:
          'The lift takes effect after the delay the policy sets, which may be none. Until then the ban holds and ' +
          'the lift can be cancelled. restriction is null when the lift took effect at once. ' +
          '409 no_restriction when no ban is in force, 409 lift_pending when a lift is already pending.',
        response: { 200: LiftAnswer, ...errorResponses(400, 401, 409, 415, 500, 503) },
      },
    },
    async (request) => {
      const citizen = citizenOf(request);
      const { restriction } = await restrictions.lift(citizen, CITIZEN);
      const liftEffectiveAt = restriction.liftEffectiveAt ?? clock.now();
      return { restriction: await current(citizen), liftEffectiveAt: liftEffectiveAt.toISOString() };
    },
  );

  app.delete(
    '/v1/me/restriction/lift',
    {
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Cancel a pending lift',
        description: 'Keeps the ban in force as before. 409 no_pending_lift when no lift is pending.',
        response: { 200: RestrictionAnswer, ...errorResponses(400, 401, 409, 415, 500, 503) },
      },
    },
    async (request) => {
      const citizen = citizenOf(request);
      await restrictions.cancelLift(citizen, CITIZEN);
      return { restriction: await current(citizen) };
    },
  );

  app.post(
    '/v1/me/exemptions',
    {
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Let one lender through your ban for a while',
        description:
          'For the given number of hours the named lender is answered "not restricted"; the ban holds for every other lender. ' +
          '400 invalid_bin or invalid_exemption, 404 lender_not_found, 409 lender_inactive or no_restriction.',
        body: ExemptionBody,
        response: { 201: RestrictionAnswer, ...errorResponses(400, 401, 404, 409, 413, 415, 500, 503) },
      },
    },
    async (request, reply) => {
      const citizen = citizenOf(request);
      await restrictions.exempt(citizen, request.body, CITIZEN);
      return reply.code(201).send({ restriction: await current(citizen) });
    },
  );

  app.get(
    '/v1/me/history',
    {
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Every change to your bans',
        description: 'Oldest first: what was done, by whom, and the version it produced.',
        response: { 200: Type.Object({ history: Type.Array(HistoryEntry) }), ...errorResponses(401, 500, 503) },
      },
    },
    async (request) => {
      const { history } = await restrictions.record(citizenOf(request));
      return { history: history.map(eventJson) };
    },
  );

  app.get(
    '/v1/me/checks',
    {
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Every check lenders made on you',
        description: 'Oldest first: which lender asked, through which channel, and what the registry answered.',
        response: { 200: Type.Object({ checks: Type.Array(CheckEntry) }), ...errorResponses(401, 500, 503) },
      },
    },
    async (request) => {
      const { checks } = await restrictions.record(citizenOf(request));
      return { checks: checks.map(citizenCheckJson) };
    },
  );

  app.get(
    '/v1/me/lenders',
    {
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Find a lender to exempt',
        description: 'The active lenders, by name; q keeps those whose name or BIN contains it, ignoring case.',
        querystring: Type.Object(
          { q: Type.Optional(Type.String({ maxLength: 200, description: 'Part of a name or BIN.' })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            lenders: Type.Array(Type.Object({ name: Type.String(), bin: Type.String(), type: LenderType })),
          }),
          ...errorResponses(400, 401, 500, 503),
        },
      },
    },
    async (request) => {
      const q = request.query.q?.trim().toLowerCase() ?? '';
      const found = (await lenders.list())
        .filter((l) => l.status === 'active')
        .filter((l) => q === '' || l.name.toLowerCase().includes(q) || l.bin.includes(q))
        .sort((a, b) => a.name.localeCompare(b.name));
      return { lenders: found.map((l) => ({ name: l.name, bin: l.bin, type: l.type })) };
    },
  );
};
