import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import type { RestrictionView } from '../../registry/restriction.service.js';
import { lastDayOf } from '../../registry/term.js';
import type { Services } from '../../services.js';
import { type PageRoutes, render, requireCitizen, signedIn } from '../render.js';
import {
  type BanFormValues,
  banFormFrom,
  banFormValues,
  canRestate,
  lastDayBounds,
  parseBanForm,
  termError,
} from './ban-form.js';
import { calendarDate, describeScope, describeTerm } from './describe.js';
import { translateErrors } from './errors.js';
import { asForm, type FieldError, field } from './form.js';
import { isProblem, renderProblem } from './problem.js';

/** Place or change a ban: the form, a confirmation in plain words, then the result. */
export const restrictionPages: PageRoutes = async (app, services) => {
  const policy = services.config.policies.loan;
  const guarded = { schema: { hide: true }, onRequest: requireCitizen };
  const guardedPost = { schema: { hide: true }, onRequest: requireCitizen, preHandler: app.csrfProtection };

  async function current(request: FastifyRequest): Promise<RestrictionView | null> {
    return (await services.restrictions.record(signedIn(request))).restriction;
  }

  async function showForm(
    request: FastifyRequest,
    reply: FastifyReply,
    values: BanFormValues,
    errors: FieldError[],
    restriction: RestrictionView | null,
  ) {
    const tr = request.tr;
    const now = services.clock.now();
    const bounds = lastDayBounds(policy, now);
    const earliest = calendarDate(bounds.earliest, tr);
    const latest = calendarDate(bounds.latest, tr);
    const translated = translateErrors(errors, tr, { max: policy.term.maxMonths, earliest, latest });
    if (errors.length > 0) reply.code(400);
    return render(request, reply, 'restriction-edit.njk', {
      pageTitle: tr.t(restriction ? 'edit.titleChange' : 'edit.titleNew'),
      errors: translated.list,
      fieldErrors: translated.byField,
      values,
      isChange: restriction !== null,
      maxMonths: policy.term.maxMonths,
      allowIndefinite: policy.term.allowIndefinite,
      // An end the other choices cannot say today can still be kept as it is.
      keepEnd: restriction !== null && !canRestate(restriction.endsAt, policy, now) ? describeTerm(restriction.endsAt, tr) : null,
      earliest,
      latest,
    });
  }

  app.get('/restriction/edit', guarded, async (request, reply) => {
    const restriction = await current(request);
    return showForm(request, reply, banFormFrom(restriction, policy, services.clock.now()), [], restriction);
  });

  app.post('/restriction/edit', guardedPost, async (request, reply) => {
    const body = asForm(request.body);
    const values = banFormValues(body);
    const restriction = await current(request);
    // "Change your answers" on the confirmation page brings the answers back, unjudged.
    if (field(body, 'change') !== '') return showForm(request, reply, values, [], restriction);
    const now = services.clock.now();
    const parsed = parseBanForm(values, policy, now, restriction);
    if (parsed.request === null) return showForm(request, reply, values, parsed.errors, restriction);
    const { t } = request.tr;
    const req = parsed.request;
    return render(request, reply, 'restriction-confirm.njk', {
      pageTitle: t('confirm.title'),
      values,
      isChange: restriction !== null,
      liftPending: (restriction?.liftEffectiveAt ?? null) !== null,
      partial: req.scope.lenderTypes.length < policy.lenderTypes.length || req.scope.channels.length < policy.channels.length,
      rows: [
        { key: { text: t('confirm.covers') }, value: { text: describeScope(req.scope, request.tr) } },
        { key: { text: t('confirm.term') }, value: { text: describeTerm(req.endsAt, request.tr) } },
        { key: { text: t('confirm.starts') }, value: { text: t('confirm.startsNow') } },
      ],
      endsOn: req.endsAt === null ? null : calendarDate(lastDayOf(req.endsAt), request.tr),
    });
  });

  app.post('/restriction/confirm', guardedPost, async (request, reply) => {
    const values = banFormValues(asForm(request.body));
    const citizen = signedIn(request);
    const restriction = await current(request);
    const parsed = parseBanForm(values, policy, services.clock.now(), restriction);
    if (parsed.request === null) return showForm(request, reply, values, parsed.errors, restriction);
    const { scope, term } = parsed.request;
    let outcome: Awaited<ReturnType<Services['restrictions']['place']>>;
    try {
      // Without a term the registry changes the scope alone and keeps the end of the ban in force.
      outcome =
        term === null
          ? await services.restrictions.change(citizen, { scope }, { kind: 'citizen' })
          : await services.restrictions.place(citizen, { scope, term }, { kind: 'citizen' });
    } catch (e) {
      if (isProblem(e)) return renderProblem(request, reply, e.code);
      if (e instanceof AppError && e.code === 'invalid_term')
        return showForm(request, reply, values, [termError(term)], restriction);
      if (e instanceof AppError && e.code === 'invalid_scope')
        return showForm(request, reply, values, [{ field: 'lenderTypes', key: 'edit.errors.invalidScope' }], restriction);
      throw e;
    }
    request.session.banOutcome = {
      action: outcome.isNew ? 'placed' : 'changed',
      liftCancelled: outcome.events.some((ev) => ev.action === 'lift_cancelled'),
    };
    return reply.redirect('/restriction/done', 303);
  });

  app.get('/restriction/done', guarded, async (request, reply) => {
    const restriction = await current(request);
    const outcome = request.session.banOutcome ?? null;
    request.session.banOutcome = undefined;
    if (restriction === null) return reply.redirect('/', 303);
    const { t } = request.tr;
    const title = outcome?.action === 'changed' ? t('done.titleChanged') : t('done.titlePlaced');
    return render(request, reply, 'restriction-done.njk', {
      pageTitle: title,
      title,
      scope: describeScope(restriction.scope, request.tr),
      ends:
        restriction.endsAt === null
          ? t('done.untilCancelled')
          : t('done.endsOn', { date: calendarDate(lastDayOf(restriction.endsAt), request.tr) }),
      liftCancelled: outcome?.liftCancelled ?? false,
    });
  });
};
