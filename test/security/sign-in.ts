import { MOBILE_REDIRECT_URI } from '../../src/idp/dev-idp.js';
import { CookieJar } from '../helpers/cookie-jar.js';
import { startMobileSignIn } from '../helpers/mobile-app.js';

/*
 * Signing in the real way, over HTTP, at the development identity provider: no token or session
 * is made by the test itself. The mobile app's flow (Authorization Code with PKCE for the public
 * client tyiym-mobile) gives an access token for /v1/me; the portal's flow gives a session cookie.
 */

interface Hop {
  status: number;
  location: string | null;
  body: string;
}

/** One request with the jar's cookies, no redirect followed. Only the given origin is ever asked. */
async function hop(
  origin: string,
  jar: CookieJar,
  method: 'GET' | 'POST',
  url: string,
  form?: Record<string, string>,
): Promise<Hop> {
  const target = new URL(url, origin);
  if (target.origin !== origin) throw new Error(`refusing to leave ${origin} for ${target.href}`);
  const headers: Record<string, string> = { 'accept-language': 'en' };
  const cookie = jar.header(target.pathname);
  if (cookie !== '') headers.cookie = cookie;
  let body: string | undefined;
  if (form !== undefined) {
    body = new URLSearchParams(form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  const res = await fetch(target, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  jar.remember(res.headers.getSetCookie());
  return { status: res.status, location: res.headers.get('location'), body: await res.text() };
}

/**
 * Follows redirects within the origin until a page answers, or until a redirect leaves for
 * `stopAt` (the app's own scheme, or the portal's home); returns that last hop.
 */
async function follow(origin: string, jar: CookieJar, first: Hop, stopAt: (location: string) => boolean): Promise<Hop> {
  let page = first;
  for (let hops = 0; page.location !== null && page.status >= 300 && page.status < 400; hops++) {
    if (hops > 10) throw new Error('too many redirects');
    if (stopAt(page.location)) return page;
    page = await hop(origin, jar, 'GET', page.location);
  }
  return page;
}

/** The sign-in form's action on the provider's page, then the IIN posted to it, then consent if asked. */
async function signInAtProvider(origin: string, jar: CookieJar, page: Hop, iin: string, stopAt: (l: string) => boolean) {
  const action = /action="(\/dev-idp\/interaction\/[^"/]+\/login)"/.exec(page.body)?.[1];
  if (action === undefined) throw new Error(`no sign-in form at the provider: ${page.status} ${page.body.slice(0, 300)}`);
  let next = await follow(origin, jar, await hop(origin, jar, 'POST', action, { iin }), stopAt);
  const consent = /action="(\/dev-idp\/interaction\/[^"/]+\/consent)"/.exec(next.body)?.[1];
  if (consent !== undefined) {
    next = await follow(origin, jar, await hop(origin, jar, 'POST', consent, { decision: 'allow' }), stopAt);
  }
  return next;
}

/** An access token for /v1/me, from the mobile app's Authorization Code flow with PKCE. */
export async function mobileAccessToken(origin: string, iin: string): Promise<string> {
  const { authorizationUrl, redeem } = await startMobileSignIn(origin);
  const jar = new CookieJar();
  const toApp = (location: string) => location.startsWith(`${MOBILE_REDIRECT_URI}?`);
  const start = await follow(origin, jar, await hop(origin, jar, 'GET', authorizationUrl.href), toApp);
  const done = await signInAtProvider(origin, jar, start, iin, toApp);
  if (done.location === null || !toApp(done.location)) {
    throw new Error(`the provider did not send the app its code: ${done.status} ${done.body.slice(0, 300)}`);
  }
  return (await redeem(new URL(done.location))).access_token;
}

export interface PortalSession {
  /** The Cookie header of the signed-in browser, for a portal page. */
  cookie: string;
  /** A CSRF token that goes with that session. */
  csrf: string;
}

/** A signed-in portal session, through /auth/login, the provider's page and /auth/callback. */
export async function portalSession(origin: string, iin: string): Promise<PortalSession> {
  const jar = new CookieJar();
  const home = (location: string) =>
    !location.startsWith('/dev-idp') && !location.startsWith(`${origin}/dev-idp`) && !location.includes('/auth/');
  const start = await follow(origin, jar, await hop(origin, jar, 'GET', '/auth/login'), home);
  const done = await signInAtProvider(origin, jar, start, iin, home);
  const page = await follow(origin, jar, done, () => false);
  if (!page.body.includes('/auth/logout'))
    throw new Error(`not signed in to the portal: ${page.status} ${page.body.slice(0, 300)}`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (csrf === undefined) throw new Error('no CSRF token on the signed-in page');
  return { cookie: jar.header('/'), csrf };
}
