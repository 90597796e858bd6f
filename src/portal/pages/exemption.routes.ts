import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import type { Lender } from '../../lenders/lender.js';
import { type PageRoutes, render, requireCitizen, signedIn } from '../render.js';
import { describeLenderType } from './describe.js';
import { translateErrors } from './errors.js';
import { asForm, type FieldError, field } from './form.js';
import { setNotice } from './notice.js';
import { isProblem, renderProblem } from './problem.js';

/** How many lenders the page lists at once; a search narrows the rest. */
const MAX_LISTED = 50;

/** Active lenders whose name or BIN contains the query, case-insensitively. */
export function searchLenders(lenders: readonly Lender[], query: string): Lender[] {
  const q = query.trim().toLocaleLowerCase();
  return lenders
    .filter((l) => l.status === 'active')
    .filter((l) => q === '' || l.name.toLocaleLowerCase().includes(q) || l.bin.includes(q))
    .sort((a, b) => a.name.localeCompare(b.name));
}

interface ExemptionValues {
  q: string;
  lenderBin: string;
  hours: string;
}

/** Let one lender through the ban for a few hours; the ban holds for everyone else and re-arms by itself. */
export const exemptionPages: PageRoutes = async (app, services) => {
  const policy = services.config.policies.loan;
  const maxHours = policy.exemption.maxHours;

  async function showForm(request: FastifyRequest, reply: FastifyReply, values: ExemptionValues, errors: FieldError[]) {
    const tr = request.tr;
    const found = searchLenders(await services.lenders.list(), values.q);
    const listed = found.slice(0, MAX_LISTED);
    // A chosen lender stays on the list while the citizen searches again or fixes the hours.
    const chosen = found.find((l) => l.bin === values.lenderBin);
    if (chosen && !listed.includes(chosen)) listed.push(chosen);
    const translated = translateErrors(errors, tr, { max: maxHours });
    if (errors.length > 0) reply.code(400);
    return render(request, reply, 'exemption.njk', {
      pageTitle: tr.t('exempt.title'),
      errors: translated.list,
      fieldErrors: translated.byField,
      values,
      maxHours,
      more: found.length > listed.length ? found.length - listed.length : 0,
      lenders: listed.map((l) => ({
        value: l.bin,
        text: l.name,
        hint: { text: tr.t('exempt.lenderHint', { type: describeLenderType(l.type, tr), bin: l.bin }) },
      })),
    });
  }

  app.get<{ Querystring: { q?: string } }>(
    '/exemptions/new',
    { schema: { hide: true }, onRequest: requireCitizen },
    async (request, reply) => {
      const { restriction } = await services.restrictions.record(signedIn(request));
      if (restriction === null) return renderProblem(request, reply, 'no_restriction', 'visit');
      const q = typeof request.query.q === 'string' ? request.query.q.trim().slice(0, 200) : '';
      return showForm(request, reply, { q, lenderBin: '', hours: '' }, []);
    },
  );

  app.post(
    '/exemptions',
    { schema: { hide: true }, onRequest: requireCitizen, preHandler: app.csrfProtection },
    async (request, reply) => {
      // Without a ban in force there is nothing to let a lender through; say so before judging the form.
      const { restriction } = await services.restrictions.record(signedIn(request));
      if (restriction === null) return renderProblem(request, reply, 'no_restriction');
      const body = asForm(request.body);
      const values: ExemptionValues = {
        q: field(body, 'q').slice(0, 200),
        lenderBin: field(body, 'lenderBin'),
        hours: field(body, 'hours'),
      };
      const errors: FieldError[] = [];
      if (values.lenderBin === '') errors.push({ field: 'lenderBin', key: 'exempt.errors.lender' });
      if (values.hours === '') errors.push({ field: 'hours', key: 'exempt.errors.hoursMissing' });
      else if (!/^\d{1,4}$/.test(values.hours) || Number(values.hours) < 1 || Number(values.hours) > maxHours)
        errors.push({ field: 'hours', key: 'exempt.errors.hoursRange' });
      if (errors.length > 0) return showForm(request, reply, values, errors);
      try {
        const lender = await services.lenders.activeByBin(values.lenderBin);
        const { exemption } = await services.restrictions.exempt(
          signedIn(request),
          { lenderBin: lender.bin, hours: Number(values.hours) },
          { kind: 'citizen' },
        );
        if (exemption !== null) {
          setNotice(request, {
            kind: 'exemption_opened',
            lender: lender.name,
            bin: lender.bin,
            until: exemption.endsAt.toISOString(),
          });
        }
      } catch (e) {
        if (isProblem(e)) return renderProblem(request, reply, e.code);
        if (e instanceof AppError && ['invalid_bin', 'lender_not_found', 'lender_inactive'].includes(e.code))
          return showForm(request, reply, values, [{ field: 'lenderBin', key: 'exempt.errors.lenderUnknown' }]);
        if (e instanceof AppError && e.code === 'invalid_exemption')
          return showForm(request, reply, values, [{ field: 'hours', key: 'exempt.errors.hoursRange' }]);
        throw e;
      }
      return reply.redirect('/', 303);
    },
  );
};
