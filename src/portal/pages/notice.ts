import type { FastifyRequest } from 'fastify';
import type { Translator } from '../i18n.js';

/**
 * What a form post did, kept in the session for the one page it redirects to (POST, redirect,
 * GET). Instants travel as ISO strings and are put into words in the language of that page.
 */
export type Notice =
  | { kind: 'lift_requested'; at: string; immediate: boolean }
  | { kind: 'lift_cancelled' }
  | { kind: 'exemption_opened'; lender: string; bin: string; until: string };

/** What the result page of placing or changing a ban says it did. */
export interface BanOutcome {
  action: 'placed' | 'changed';
  liftCancelled: boolean;
}

declare module 'fastify' {
  interface Session {
    notice?: Notice;
    banOutcome?: BanOutcome;
  }
}

export function setNotice(request: FastifyRequest, notice: Notice): void {
  request.session.notice = notice;
}

/** The notice left for this page, read once. */
export function takeNotice(request: FastifyRequest): Notice | null {
  const notice = request.session.notice ?? null;
  if (notice !== null) request.session.notice = undefined;
  return notice;
}

/** A notice in words, for a success banner. */
export function noticeText(notice: Notice, tr: Translator): { heading: string; body: string } {
  switch (notice.kind) {
    case 'lift_requested':
      return notice.immediate
        ? { heading: tr.t('notice.lifted.heading'), body: tr.t('notice.lifted.body') }
        : {
            heading: tr.t('notice.liftRequested.heading'),
            body: tr.t('notice.liftRequested.body', { at: tr.dateTime(new Date(notice.at)) }),
          };
    case 'lift_cancelled':
      return { heading: tr.t('notice.liftCancelled.heading'), body: tr.t('notice.liftCancelled.body') };
    case 'exemption_opened':
      return {
        heading: tr.t('notice.exempted.heading', { lender: notice.lender }),
        body: tr.t('notice.exempted.body', {
          lender: notice.lender,
          bin: notice.bin,
          until: tr.dateTime(new Date(notice.until)),
        }),
      };
  }
}
