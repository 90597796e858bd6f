import { liftEffectiveAt } from '../../registry/term.js';
import { type PageRoutes, render, requireCitizen, signedIn } from '../render.js';
import { setNotice } from './notice.js';
import { isProblem, renderProblem } from './problem.js';

/**
 * Lifting a ban. Fraudsters talk people into this, so the page says plainly who never asks
 * for it, and offers letting one lender through as the safer way to get one loan.
 */
export const liftPages: PageRoutes = async (app, services) => {
  const policy = services.config.policies.loan;
  const actor = { kind: 'citizen' } as const;

  app.get('/restriction/lift', { schema: { hide: true }, onRequest: requireCitizen }, async (request, reply) => {
    const { restriction } = await services.restrictions.record(signedIn(request));
    if (restriction === null || !policy.lift.allowed) return renderProblem(request, reply, 'no_restriction', 'visit');
    const { t } = request.tr;
    if (restriction.liftEffectiveAt !== null) {
      return render(request, reply, 'lift-pending.njk', {
        pageTitle: t('problems.liftPending.title'),
        body: t('lift.alreadyPending', { at: request.tr.dateTime(restriction.liftEffectiveAt) }),
      });
    }
    const now = services.clock.now();
    const at = liftEffectiveAt(policy.lift.delay, now);
    return render(request, reply, 'lift.njk', {
      pageTitle: t('lift.title'),
      immediate: at.getTime() <= now.getTime(),
      at: request.tr.dateTime(at),
    });
  });

  app.post(
    '/restriction/lift',
    { schema: { hide: true }, onRequest: requireCitizen, preHandler: app.csrfProtection },
    async (request, reply) => {
      try {
        const { restriction } = await services.restrictions.lift(signedIn(request), actor);
        const at = restriction.liftEffectiveAt ?? services.clock.now();
        setNotice(request, {
          kind: 'lift_requested',
          at: at.toISOString(),
          immediate: at.getTime() <= services.clock.now().getTime(),
        });
      } catch (e) {
        if (isProblem(e)) return renderProblem(request, reply, e.code);
        throw e;
      }
      return reply.redirect('/', 303);
    },
  );

  app.post(
    '/restriction/lift/cancel',
    { schema: { hide: true }, onRequest: requireCitizen, preHandler: app.csrfProtection },
    async (request, reply) => {
      try {
        await services.restrictions.cancelLift(signedIn(request), actor);
      } catch (e) {
        if (isProblem(e)) return renderProblem(request, reply, e.code);
        throw e;
      }
      setNotice(request, { kind: 'lift_cancelled' });
      return reply.redirect('/', 303);
    },
  );
};
