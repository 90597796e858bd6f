import { LANGUAGES, type Lang } from '../portal/i18n.js';
import { LANGUAGE_NAMES } from '../portal/render.js';
import { DEV_IDP_MESSAGES, type DevIdpMessages } from './dev-idp-messages.js';

export const DEV_IDP_PATH = '/dev-idp';
/** The script that sends the sign-out form by itself: a file, because the policy allows no inline script. */
export const SIGN_OUT_SCRIPT_PATH = `${DEV_IDP_PATH}/assets/sign-out.js`;
export const SIGN_OUT_SCRIPT =
  "// The citizen chose to sign out at the service: the provider's session ends with it.\n" +
  "document.getElementById('op.logoutForm').submit();\n";

/**
 * A strict Content Security Policy for every page of the provider. Forms may lead, through
 * redirects, only to the provider itself and to its clients' redirect URIs.
 */
export function devIdpCsp(formTargets: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `form-action 'self' ${formTargets.join(' ')}`.trim(),
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

interface PageOptions {
  /** The page's own address, for the language switcher; none on pages that cannot be reloaded. */
  switcher?: string;
  script?: string;
}

/** Every page of the development provider says, first, that it is one, in the page's language. */
export function devPage(lang: Lang, title: string, body: string, options: PageOptions = {}): string {
  const m = DEV_IDP_MESSAGES[lang];
  const switcher =
    options.switcher === undefined
      ? ''
      : `<nav class="tyiym-lang" aria-label="${escapeHtml(m.langLabel)}">${LANGUAGES.map((l) =>
          l === lang
            ? `<span aria-current="true" lang="${l}">${LANGUAGE_NAMES[l]}</span>`
            : `<a class="govuk-link" href="${escapeHtml(options.switcher as string)}?lang=${l}" lang="${l}" hreflang="${l}">${LANGUAGE_NAMES[l]}</a>`,
        ).join(' ')}</nav>`;
  const script = options.script === undefined ? '' : `<script src="${escapeHtml(options.script)}" defer></script>`;
  return `<!DOCTYPE html><html lang="${lang}" class="govuk-template"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} – ${escapeHtml(m.name)}</title>
<link rel="stylesheet" href="/assets/app.css">${script}</head><body class="govuk-template__body">
<div class="tyiym-dev-banner" role="region" aria-label="${escapeHtml(m.bannerLabel)}"><strong>${escapeHtml(m.name)}</strong> — ${escapeHtml(m.banner)}</div>
<div class="govuk-width-container">${switcher}<main class="govuk-main-wrapper" id="main-content"><h1 class="govuk-heading-l">${escapeHtml(title)}</h1>${body}</main></div></body></html>`;
}

const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;

export interface DevCitizen {
  label: string;
  iin: string;
}

/** The sign-in page: any valid IIN, or one of the demo citizens; or cancel. */
export function signInPage(lang: Lang, uid: string, citizens: readonly DevCitizen[], error: string | null, value = ''): string {
  const m = DEV_IDP_MESSAGES[lang];
  const base = `${DEV_IDP_PATH}/interaction/${encodeURIComponent(uid)}`;
  const summary = error
    ? `<div class="govuk-error-summary" data-module="govuk-error-summary"><div role="alert"><h2 class="govuk-error-summary__title">${escapeHtml(m.errorSummaryTitle)}</h2><div class="govuk-error-summary__body"><ul class="govuk-list govuk-error-summary__list"><li><a href="#iin">${escapeHtml(error)}</a></li></ul></div></div></div>`
    : '';
  const body = `${summary}
    <form method="post" action="${base}/login" novalidate>${hidden('lang', lang)}
      <div class="govuk-form-group${error ? ' govuk-form-group--error' : ''}">
        <label class="govuk-label govuk-label--m" for="iin">${escapeHtml(m.iinLabel)}</label>
        <div class="govuk-hint" id="iin-hint">${escapeHtml(m.iinHint)}</div>
        ${error ? `<p class="govuk-error-message" id="iin-error"><span class="govuk-visually-hidden">${escapeHtml(m.errorPrefix)}</span> ${escapeHtml(error)}</p>` : ''}
        <input class="govuk-input govuk-input--width-20${error ? ' govuk-input--error' : ''}" id="iin" name="iin" type="text" inputmode="numeric" autocomplete="off" spellcheck="false" value="${escapeHtml(value)}" aria-describedby="iin-hint${error ? ' iin-error' : ''}">
      </div>
      <button class="govuk-button" type="submit">${escapeHtml(m.signIn)}</button>
    </form>
    <form method="post" action="${base}/abort">${hidden('lang', lang)}
      <button class="govuk-button govuk-button--secondary" type="submit">${escapeHtml(m.cancel)}</button>
    </form>
    <h2 class="govuk-heading-m">${escapeHtml(m.demoTitle)}</h2>
    <ul class="govuk-list">${citizens
      .map(
        (c) =>
          `<li><form method="post" action="${base}/login">${hidden('lang', lang)}${hidden('iin', c.iin)}<button class="govuk-button govuk-button--secondary govuk-!-margin-bottom-1" type="submit">${escapeHtml(c.label)} — ${escapeHtml(c.iin)}</button></form></li>`,
      )
      .join('')}</ul>`;
  return devPage(lang, m.signInTitle, body, { switcher: base });
}

/** Asks the citizen to let a native app act for them: such a client cannot prove who it is. */
export function consentPage(lang: Lang, uid: string): string {
  const m = DEV_IDP_MESSAGES[lang];
  const base = `${DEV_IDP_PATH}/interaction/${encodeURIComponent(uid)}`;
  const body = `<p class="govuk-body">${escapeHtml(m.consentBody)}</p>
    <form method="post" action="${base}/consent">${hidden('lang', lang)}
      <div class="govuk-button-group">
        <button class="govuk-button" type="submit" name="decision" value="allow">${escapeHtml(m.allow)}</button>
        <button class="govuk-button govuk-button--secondary" type="submit" name="decision" value="deny">${escapeHtml(m.deny)}</button>
      </div>
    </form>`;
  return devPage(lang, m.consentTitle, body, { switcher: base });
}

/**
 * The sign-out page around oidc-provider's form. Asked for by the service itself (`auto`), it
 * sends itself at once, and shows its button only without JavaScript; otherwise it asks.
 */
export function signOutPage(lang: Lang, providerForm: string, auto: boolean): string {
  const m = DEV_IDP_MESSAGES[lang];
  const button = `<button class="govuk-button" type="submit">${escapeHtml(m.signOut)}</button>`;
  // logout=yes ends the whole session at the provider, not only this client's part of it.
  const form = providerForm.replace(
    '</form>',
    `${hidden('logout', 'yes')}${auto ? `<noscript>${button}</noscript>` : button}</form>`,
  );
  const body = `<p class="govuk-body">${escapeHtml(auto ? m.signingOut : m.signOutQuestion)}</p>${form}`;
  return devPage(lang, m.signOutTitle, body, auto ? { script: SIGN_OUT_SCRIPT_PATH } : {});
}

export function signedOutPage(lang: Lang): string {
  const m = DEV_IDP_MESSAGES[lang];
  return devPage(lang, m.signedOutTitle, `<p class="govuk-body">${escapeHtml(m.signedOutBody)}</p>`);
}

/** An error in words, with oidc-provider's own (English) detail for developers. */
export function errorPage(lang: Lang, expired: boolean, detail: string): string {
  const m: DevIdpMessages = DEV_IDP_MESSAGES[lang];
  const body = `<p class="govuk-body">${escapeHtml(expired ? m.errorExpired : m.errorBody)}</p>
    <p class="govuk-body-s">${escapeHtml(m.errorDetail)} <code lang="en">${escapeHtml(detail)}</code></p>`;
  return devPage(lang, m.errorTitle, body);
}
