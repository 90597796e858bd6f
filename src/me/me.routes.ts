import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../errors.js';
import { bearerChallenge } from '../http/bearer.js';
import { errorResponses, IdempotencyHeaders } from '../http/schemas.js';
import type { Citizen } from '../identity/citizen.js';
import type { Actor } from '../registry/restriction.js';
import { citizenCheckJson, eventJson, restrictionJson } from '../registry/restriction.json.js';
import type { Services } from '../services.js';
import { AccessTokenRefused, type AccessTokenVerifier, IdentityProviderUnavailable } from './access-token.js';
import { idempotently } from './idempotent.js';
import {
  CheckEntry,
  ExemptionBody,
  HistoryEntry,
  LenderType,
  LiftAnswer,
  PatchBody,
  PutBody,
  RestrictionAnswer,
  termOf,
} from './me.schemas.js';

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
      if (e instanceof AccessTokenRefused) request.log.debug({ reason: e.reason }, 'access token refused');
      // The error handler logs the provider's failure; the app is told when to try again, keeping its token.
      if (e instanceof IdentityProviderUnavailable) reply.header('retry-after', String(e.retryAfterSeconds));
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
        summary: 'Place your ban, or replace its terms',
        description:
          'Places a ban when none is in force, or replaces the one in force with a new version holding exactly the ' +
          'lender types, channels and term given; all three are required (400 when one is missing). To change one ' +
          'part only, use PATCH. Asking for a ban while a lift is pending cancels the lift. ' +
          'Rule failures answer 400 invalid_term or invalid_scope.',
        headers: IdempotencyHeaders,
        body: PutBody,
        response: { 200: RestrictionAnswer, ...errorResponses(400, 401, 413, 415, 422, 500, 503) },
      },
    },
    async (request, reply) => {
      const citizen = citizenOf(request);
      const { lenderTypes, channels, term } = request.body;
      const answer = await idempotently(
        services.idempotency,
        request,
        citizen,
        async (idempotency) => {
          await restrictions.place(citizen, { scope: { lenderTypes, channels }, term: termOf(term) }, CITIZEN, { idempotency });
          return { restriction: await current(citizen) };
        },
        async () => ({ restriction: await current(citizen) }),
      );
      return reply.code(200).send(answer);
    },
  );

  app.patch(
    '/v1/me/restriction',
    {
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Change part of your ban',
        description:
          'Changes only what the body names: lender types, channels or term; everything omitted stays as it is. ' +
          'Asking for a change while a lift is pending cancels the lift. 409 no_restriction when no ban is in force; ' +
          'rule failures answer 400 invalid_term or invalid_scope.',
        headers: IdempotencyHeaders,
        body: PatchBody,
        response: { 200: RestrictionAnswer, ...errorResponses(400, 401, 409, 413, 415, 422, 500, 503) },
      },
    },
    async (request, reply) => {
      const citizen = citizenOf(request);
      const { lenderTypes, channels, term } = request.body;
      const scope = { ...(lenderTypes === undefined ? {} : { lenderTypes }), ...(channels === undefined ? {} : { channels }) };
      const answer = await idempotently(
        services.idempotency,
        request,
        citizen,
        async (idempotency) => {
          await restrictions.change(citizen, { scope, ...(term === undefined ? {} : { term: termOf(term) }) }, CITIZEN, {
            idempotency,
          });
          return { restriction: await current(citizen) };
        },
        async () => ({ restriction: await current(citizen) }),
      );
      return reply.code(200).send(answer);
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
        headers: IdempotencyHeaders,
        response: { 200: LiftAnswer, ...errorResponses(400, 401, 409, 415, 422, 500, 503) },
      },
    },
    async (request, reply) => {
      const citizen = citizenOf(request);
      const liftAnswer = async (at: Date | null) => ({
        restriction: await current(citizen),
        liftEffectiveAt: (at ?? clock.now()).toISOString(),
      });
      const answer = await idempotently(
        services.idempotency,
        request,
        citizen,
        async (idempotency) =>
          liftAnswer((await restrictions.lift(citizen, CITIZEN, { idempotency })).restriction.liftEffectiveAt),
        async () => liftAnswer((await restrictions.record(citizen)).restriction?.liftEffectiveAt ?? null),
      );
      return reply.code(200).send(answer);
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
        headers: IdempotencyHeaders,
        response: { 200: RestrictionAnswer, ...errorResponses(400, 401, 409, 415, 422, 500, 503) },
      },
    },
    async (request, reply) => {
      const citizen = citizenOf(request);
      const answer = await idempotently(
        services.idempotency,
        request,
        citizen,
        async (idempotency) => {
          await restrictions.cancelLift(citizen, CITIZEN, { idempotency });
          return { restriction: await current(citizen) };
        },
        async () => ({ restriction: await current(citizen) }),
      );
      return reply.code(200).send(answer);
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
        headers: IdempotencyHeaders,
        body: ExemptionBody,
        response: { 201: RestrictionAnswer, ...errorResponses(400, 401, 404, 409, 413, 415, 422, 500, 503) },
      },
    },
    async (request, reply) => {
      const citizen = citizenOf(request);
      const answer = await idempotently(
        services.idempotency,
        request,
        citizen,
        async (idempotency) => {
          await restrictions.exempt(citizen, request.body, CITIZEN, { idempotency });
          return { restriction: await current(citizen) };
        },
        async () => ({ restriction: await current(citizen) }),
      );
      return reply.code(201).send(answer);
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
