import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { render } from '../render.js';

/** The registry's answers to a change that cannot be made now, each with its own page in words. */
const PROBLEMS = {
  no_restriction: 'problems.noRestriction',
  lift_pending: 'problems.liftPending',
  no_pending_lift: 'problems.noPendingLift',
} as const;

export function isProblem(e: unknown): e is AppError & { code: keyof typeof PROBLEMS } {
  return e instanceof AppError && e.code in PROBLEMS;
}

/**
 * A page saying, in the citizen's language, why nothing was changed (409 after a post), or,
 * on a plain visit (200), that there is nothing to do here; and where to go next.
 */
export function renderProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  code: keyof typeof PROBLEMS,
  on: 'post' | 'visit' = 'post',
): Promise<FastifyReply> {
  const key = PROBLEMS[code];
  const { t } = request.tr;
  return render(request, reply.code(on === 'post' ? 409 : 200), 'problem.njk', {
    pageTitle: t(`${key}.title`),
    body: t(on === 'visit' && code === 'no_restriction' ? `${key}.lead` : `${key}.body`),
    offerPlace: code === 'no_restriction',
  });
}
