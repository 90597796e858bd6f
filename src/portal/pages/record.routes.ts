import type { FastifyRequest } from 'fastify';
import type { RestrictionEvent } from '../../registry/restriction.js';
import type { Services } from '../../services.js';
import { type PageRoutes, render, requireCitizen, signedIn } from '../render.js';
import { describeActor, describeChannel, describeLenderType, describeScope, describeTerm } from './describe.js';
import { lastPage, pageNumber, paginationOf } from './pagination.js';

/** Who checked me, a page at a time: newest first. */
const CHECKS_PER_PAGE = 20;

/** One version of a ban in words. */
function historyRow(e: RestrictionEvent, request: FastifyRequest, lenderName: (id: string) => string | undefined) {
  const tr = request.tr;
  let term = describeTerm(e.endsAt, tr);
  if (e.action === 'lift_requested' && e.liftEffectiveAt !== null)
    term = `${term}. ${tr.t('history.liftAt', { at: tr.dateTime(e.liftEffectiveAt) })}`;
  let what = tr.t(`history.actions.${e.action}`);
  if (e.exemption !== null) {
    what = tr.t('history.exemption', {
      lender: lenderName(e.exemption.lenderId) ?? '—',
      until: tr.dateTime(e.exemption.endsAt),
    });
  }
  return {
    version: e.version,
    what,
    scope: describeScope(e.scope, tr),
    term,
    who: describeActor(e.actor, tr),
    when: tr.dateTime(e.at),
  };
}

async function lenderNames(services: Services): Promise<(id: string) => string | undefined> {
  const names = new Map((await services.lenders.list()).map((l) => [l.id, l.name]));
  return (id) => names.get(id);
}

/** What the registry holds on the signed-in citizen: every version of their ban, every check, a statement. */
export const recordPages: PageRoutes = async (app, services) => {
  const guarded = { schema: { hide: true }, onRequest: requireCitizen };

  app.get('/history', guarded, async (request, reply) => {
    const { history } = await services.restrictions.record(signedIn(request));
    const name = await lenderNames(services);
    // Newest first: what changed last is what a citizen comes to see.
    const rows = [...history].reverse().map((e) => historyRow(e, request, name));
    return render(request, reply, 'history.njk', { pageTitle: request.tr.t('history.title'), rows });
  });

  app.get<{ Querystring: { page?: unknown } }>('/checks', guarded, async (request, reply) => {
    const tr = request.tr;
    const asked = pageNumber(request.query.page);
    const citizen = signedIn(request);
    const page = asked ?? 1;
    const { checks, total } = await services.restrictions.checksPage(citizen, {
      offset: (page - 1) * CHECKS_PER_PAGE,
      limit: CHECKS_PER_PAGE,
    });
    const last = lastPage(total, CHECKS_PER_PAGE);
    if (asked === null || page > last) {
      // A mistyped or stale link: say which pages there are, and link the first.
      return render(request, reply.code(asked === null ? 400 : 404), 'error.njk', {
        pageTitle: tr.t('checks.noSuchPage.title'),
        messageKey: 'checks.noSuchPage',
        messageParams: { last },
        link: { href: '/checks', text: tr.t('checks.noSuchPage.first') },
      });
    }
    const rows = checks.map((c) => ({
      restricted: c.restricted,
      lender: c.lender.name,
      bin: c.lender.bin,
      type: describeLenderType(c.lender.type, tr),
      when: tr.dateTime(c.checkedAt),
      channel: describeChannel(c.channel, tr),
      reference: c.reference,
    }));
    const from = (page - 1) * CHECKS_PER_PAGE + 1;
    return render(request, reply, 'checks.njk', {
      pageTitle: tr.t('checks.title'),
      pageOf: last > 1 ? tr.t('pagination.pageOf', { page, last }) : null,
      showing: last > 1 ? tr.t('checks.showing', { from, to: from + rows.length - 1, total }) : null,
      pagination: paginationOf(page, last, (n) => (n === 1 ? '/checks' : `/checks?page=${n}`), tr),
      onePage: last === 1,
      rows,
      attempts: rows.filter((r) => r.restricted),
    });
  });

  app.get('/statement', guarded, async (request, reply) => {
    const tr = request.tr;
    const { t } = tr;
    const { restriction: r, history } = await services.restrictions.record(signedIn(request));
    const now = services.clock.now();
    const rows = r
      ? [
          { key: { text: t('statement.status') }, value: { text: t('statement.inForce') } },
          { key: { text: t('statement.covers') }, value: { text: describeScope(r.scope, tr) } },
          { key: { text: t('statement.term') }, value: { text: describeTerm(r.endsAt, tr) } },
          { key: { text: t('statement.since') }, value: { text: tr.dateTime(r.startsAt) } },
          { key: { text: t('statement.version') }, value: { text: String(r.version) } },
          {
            key: { text: t('statement.lift') },
            value: {
              text:
                r.liftEffectiveAt === null
                  ? t('statement.noLift')
                  : t('statement.liftAt', { at: tr.dateTime(r.liftEffectiveAt) }),
            },
          },
          {
            key: { text: t('statement.exemptions') },
            value: {
              text:
                r.openExemptions.length === 0
                  ? t('statement.noExemptions')
                  : r.openExemptions
                      .map((e) =>
                        t('statement.exemption', { lender: e.lender.name, bin: e.lender.bin, until: tr.dateTime(e.endsAt) }),
                      )
                      .join('; '),
            },
          },
        ]
      : [{ key: { text: t('statement.status') }, value: { text: t('statement.none') } }];
    // Every change carries a receipt from the transparency log, verifiable offline by anyone.
    const receipts = await Promise.all(
      history
        .filter((e) => typeof e.logIndex === 'number')
        .map(async (e) => ({
          version: e.version,
          at: tr.dateTime(e.at),
          logIndex: e.logIndex as number,
          receipt: (await services.log.receipt(e.logIndex as number)).receipt,
        })),
    );
    return render(request, reply, 'statement.njk', {
      pageTitle: t('statement.title'),
      rows,
      generatedAt: tr.dateTime(now),
      inForce: r !== null,
      receipts,
      logKey: services.log.verifierKey,
    });
  });

  /** One change's receipt as a file: its entry bytes and tlog-proof, for `tyiym receipt verify`. Own changes only. */
  app.get<{ Params: { index: string } }>('/statement/receipts/:index', guarded, async (request, reply) => {
    const { history } = await services.restrictions.record(signedIn(request));
    const index = Number(request.params.index);
    if (!history.some((e) => e.logIndex === index)) {
      return render(request, reply.code(404), 'error.njk', {
        pageTitle: request.tr.t('errors.notFound.title'),
        messageKey: 'errors.notFound',
      });
    }
    const r = await services.log.receipt(index);
    return reply
      .header('content-disposition', `attachment; filename="tyiym-receipt-${index}.json"`)
      .type('application/json')
      .send({
        logIndex: r.logIndex,
        entry: r.entry.toString('base64'),
        receipt: r.receipt,
        verifierKey: services.log.verifierKey,
      });
  });
};
