import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Citizen } from '../identity/citizen.js';
import type { Services } from '../services.js';
import { lazyCsrfToken } from './auth/csrf.js';
import type { OidcClient } from './auth/oidc-client.js';
import { LANGUAGES, type Lang, type Translator } from './i18n.js';

// Views are read from the sources, by both the sources and the build.
export const VIEWS_DIR = fileURLToPath(new URL('../../src/portal/views/', import.meta.url));

export const LANGUAGE_NAMES: Record<Lang, string> = { kk: 'Қазақша', ru: 'Русский', en: 'English' };

/** One entry of the error summary: the message, and the field it links to. */
export interface ErrorItem {
  text: string;
  href: string;
}

export type PageRoutes = (app: FastifyInstance, services: Services) => Promise<void>;

/** What the portal keeps in a session: never the IIN, only the citizen key and coarse facts. */
export interface SessionCitizen {
  key: string;
  birthYear: number;
  sex: 'male' | 'female';
}

declare module 'fastify' {
  interface Session {
    citizen?: SessionCitizen;
  }
  interface FastifyRequest {
    tr: Translator;
  }
  interface FastifyInstance {
    portalDevIdp: boolean;
    oidcClient: OidcClient;
  }
}

export function citizenOf(request: FastifyRequest): Citizen | null {
  const c = request.session.citizen;
  return c ? { key: Buffer.from(c.key, 'hex'), facts: { birthYear: c.birthYear, sex: c.sex } } : null;
}

/** The signed-in citizen; use after requireCitizen. */
export function signedIn(request: FastifyRequest): Citizen {
  const c = citizenOf(request);
  if (c === null) throw Object.assign(new Error('not signed in'), { statusCode: 401 });
  return c;
}

/** The language switch: this very page (its query kept, a page number say) in each language. */
/** The only query parameters a language link carries over: the page number of a paged list. */
const KEPT_PARAMETERS = ['page'];

function languageLinks(request: FastifyRequest): { code: Lang; name: string; href: string }[] {
  // Only known parameters, so that whatever else a URL carried (an IIN, a code, a state) is never shown back.
  const given = new URLSearchParams(request.url.split('?')[1] ?? '');
  const kept = new URLSearchParams();
  for (const name of KEPT_PARAMETERS) {
    const value = given.get(name);
    if (value !== null && /^[0-9]{1,6}$/.test(value)) kept.set(name, value);
  }
  return LANGUAGES.map((code) => {
    const query = new URLSearchParams(kept);
    query.append('lang', code);
    return { code, name: LANGUAGE_NAMES[code], href: `?${query}` };
  });
}

/** Renders a page with what every page needs: language, translator, CSRF token, who is signed in. */
export async function render(
  request: FastifyRequest,
  reply: FastifyReply,
  template: string,
  context: Record<string, unknown> & { pageTitle: string },
): Promise<FastifyReply> {
  const html = await reply.viewAsync(template, {
    ...context,
    lang: request.tr.lang,
    t: request.tr.t,
    languages: languageLinks(request),
    csrfToken: lazyCsrfToken(request, reply),
    citizen: request.session?.citizen ?? null,
    devIdp: request.server.portalDevIdp,
    currentPath: request.url.split('?')[0],
  });
  return reply.type('text/html; charset=utf-8').send(html);
}

/** A guard for pages that need a signed-in citizen: others are sent to sign in and brought back. */
export async function requireCitizen(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!request.session.citizen) {
    const returnTo = request.url.startsWith('/') && !request.url.startsWith('//') ? request.url : '/';
    await reply.redirect(`/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
  }
}
