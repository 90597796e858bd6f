import { daysLeft, lastDayOf } from '../../registry/term.js';
import { type PageRoutes, render, signedIn } from '../render.js';
import { describeScope } from './describe.js';
import { noticeText, takeNotice } from './notice.js';

/** The start page for visitors, and the status of the ban for a signed-in citizen. */
export const statusPages: PageRoutes = async (app, services) => {
  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    const { t } = request.tr;
    if (!request.session.citizen) return render(request, reply, 'start.njk', { pageTitle: t('start.title') });
    const record = await services.restrictions.record(signedIn(request));
    const r = record.restriction;
    const now = services.clock.now();
    const rows = r
      ? [
          { key: { text: t('status.scope') }, value: { text: describeScope(r.scope, request.tr) } },
          {
            key: { text: t('status.term') },
            value: {
              text:
                r.endsAt === null
                  ? t('status.untilCancelled')
                  : t('status.until', {
                      date: request.tr.date(new Date(`${lastDayOf(r.endsAt)}T12:00:00+05:00`)),
                      count: daysLeft(r.endsAt, now),
                    }),
            },
          },
          { key: { text: t('status.since') }, value: { text: request.tr.dateTime(r.startsAt) } },
          ...r.openExemptions.map((e) => ({
            key: { text: t('status.exemption') },
            value: {
              text: t('status.exemptionValue', {
                lender: e.lender.name,
                bin: e.lender.bin,
                until: request.tr.dateTime(e.endsAt),
              }),
            },
          })),
        ]
      : [];
    const notice = takeNotice(request);
    return render(request, reply, 'status.njk', {
      pageTitle: t('status.title'),
      notice: notice === null ? null : noticeText(notice, request.tr),
      restriction: r,
      rows,
      liftAt: r?.liftEffectiveAt ? request.tr.dateTime(r.liftEffectiveAt) : null,
    });
  });
};
