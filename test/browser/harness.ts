import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before } from 'node:test';
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Locator,
  type Page,
} from 'playwright-core';
import { demoIin } from '../../src/demo/seed.js';
import { DEV_IDP_MESSAGES, type DevIdpMessages } from '../../src/idp/dev-idp-messages.js';
import { type Lang, type Params, translator } from '../../src/portal/i18n.js';
import { CLI_PATH, CONFIG_VARS, freePort, postCheck, ROOT, Sandbox } from '../helpers/cli.js';
import { BIN } from '../helpers/people.js';

/**
 * The portal in a real browser: the built server as a child process in a temporary directory
 * (development identity provider on, lifts delayed by two days), Debian's Chromium driven by
 * playwright-core, axe-core for accessibility, and full-page screenshots when SCREENSHOTS=1.
 */

export const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A reason to skip the browser tests, or false when the browser is there. A browser is never downloaded. */
export const SKIP: string | false = fs.existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is missing: the browser tests drive Debian's Chromium (apt-get install chromium); nothing is downloaded`;

export const LANGS: readonly Lang[] = ['kk', 'ru', 'en'];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS, timeout: 30_000 });
}

/** A fresh context (no cookies, no storage) whose pages fail fast rather than hang. */
export async function newPage(
  browser: Browser,
  options: BrowserContextOptions = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, ...options });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  const page = await context.newPage();
  return { context, page };
}

/** The portal's own words, from its locale files: tests find elements by what a reader hears. */
export function text(lang: Lang, key: string, params?: Params): string {
  const found = translator(lang).t(key, params);
  if (found === key) throw new Error(`no message "${key}" in ${lang}.json`);
  return found;
}

/** A pattern that matches `s` literally. */
export function literal(s: string): RegExp {
  return new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

/**
 * A message as a pattern, for text with parts the test cannot know to the minute (a date and
 * time): every placeholder not given in `params` matches any text.
 */
export function textPattern(lang: Lang, key: string, params?: Params): RegExp {
  const found = text(lang, key, params);
  const escaped = found.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  return new RegExp(escaped.replace(/\{\w+\}/g, '.+?'));
}

// ---------------------------------------------------------------------------------------------
// The server

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Lender {
  id: string;
  apiKey: string;
  name: string;
  bin: string;
}

/**
 * The registry with its portal, served on a free port. PUBLIC_URL must name that very port (the
 * identity provider's issuer and redirect URIs are built from it), so the port is chosen first.
 */
export class Portal {
  readonly sandbox: Sandbox;
  url = '';
  bank!: Lender;
  mfo!: Lender;
  private child: ChildProcess | null = null;
  private output = '';

  constructor() {
    this.sandbox = new Sandbox({ env: { LOG_LEVEL: 'warn' } });
  }

  /** Seeds a bank and an MFO with the CLI, then serves with DEV_IDP=true and LIFT_DELAY=2d. */
  async start(): Promise<this> {
    const add = async (name: string, bin: string, type: 'bank' | 'mfo'): Promise<Lender> => {
      const added = await this.sandbox.addLender(name, bin, type);
      return { ...added, name, bin };
    };
    this.bank = await add('Alatau Test Bank', BIN.bank, 'bank');
    this.mfo = await add('Dala Test Microfinance', BIN.mfo, 'mfo');
    let last: Error | null = null;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.serveOn(await freePort());
        return this;
      } catch (e) {
        last = e as Error;
        if (!/EADDRINUSE/.test(last.message)) throw last;
      }
    }
    throw last ?? new Error('the server did not start');
  }

  private async serveOn(port: number): Promise<void> {
    const url = `http://127.0.0.1:${port}`;
    await this.sandbox.ready();
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of CONFIG_VARS) delete env[name];
    Object.assign(env, this.sandbox.env, {
      DEV_IDP: 'true',
      PUBLIC_URL: url,
      LIFT_DELAY: '2d',
      LOG_LEVEL: 'warn',
    });
    this.output = '';
    const child = spawn(process.execPath, [CLI_PATH, 'serve', '--port', String(port), '--host', '127.0.0.1'], {
      cwd: this.sandbox.dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    let exited = false;
    child.on('close', () => {
      exited = true;
      live.delete(child);
    });
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      this.output += s;
    });
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      this.output += s;
    });
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (exited) throw new Error(`the server exited before it was ready:\n${this.output}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`the server was not ready in time:\n${this.output}`);
      }
      try {
        const res = await fetch(`${url}/healthz`);
        await res.arrayBuffer();
        if (res.status === 200 && !exited) break;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    this.child = child;
    this.url = url;
  }

  /** What the server has printed (warnings and errors only, at LOG_LEVEL=warn). */
  log(): string {
    return this.output;
  }

  /** A lender's check on a citizen through the check API, as a lender's system makes it. */
  async check(lender: Lender, iin: string, channel: 'remote' | 'in_person', reference: string): Promise<{ restricted: boolean }> {
    const answer = await postCheck(this.url, lender.apiKey, { iin, channel, reference });
    if (answer.status !== 200) throw new Error(`check answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body as { restricted: boolean };
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const closed = new Promise((r) => child.once('close', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await closed;
      clearTimeout(timer);
    }
    await this.sandbox.cleanup();
  }
}

let citizenSerial = 0;
/** A fresh synthetic citizen for each test, so tests share the server but never a ban. */
export function newIin(): string {
  citizenSerial++;
  return demoIin(
    1961 + (citizenSerial % 40),
    1 + (citizenSerial % 12),
    1 + (citizenSerial % 28),
    citizenSerial % 2 ? 'male' : 'female',
  );
}

// ---------------------------------------------------------------------------------------------
// Pages

/** The development provider's own words, in the language its pages are shown in. */
export function idpText(lang: Lang, key: keyof DevIdpMessages): string {
  return DEV_IDP_MESSAGES[lang][key];
}

/** The IIN field on the development provider's sign-in page (not the demo buttons, whose names mention an IIN). */
export function iinField(page: Page, lang: Lang = 'en'): Locator {
  return page.getByRole('textbox', { name: idpText(lang, 'iinLabel'), exact: true });
}

/** Signs in through the development provider by typing an IIN, from wherever the page is. */
export async function signIn(page: Page, portalUrl: string, iin: string, lang: Lang = 'en'): Promise<void> {
  await page.goto(`${portalUrl}/?lang=${lang}`);
  await page.getByRole('button', { name: text(lang, 'start.signIn') }).click();
  await page.waitForURL(/\/dev-idp\/interaction\//);
  await iinField(page, lang).fill(iin);
  await page.getByRole('button', { name: idpText(lang, 'signIn'), exact: true }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/dev-idp'));
}

/** Waits for the page at `pathname` (a string or a pattern) after a navigation; says where the browser is if not. */
export async function waitForPath(page: Page, pathname: string | RegExp, timeout = 5_000): Promise<void> {
  try {
    await page.waitForURL((u) => (typeof pathname === 'string' ? u.pathname === pathname : pathname.test(u.pathname)), {
      timeout,
    });
  } catch (e) {
    const title = await page.title().catch(() => '?');
    throw new Error(`expected the page at ${pathname}, but the browser is at ${page.url()} ("${title}")`, { cause: e });
  }
}

/** An element's text as read out: every text node, hidden ones included, with white space collapsed. */
export async function readText(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/** Waits for the page's level-1 heading to read `expected` (as a screen reader names it); says what it reads if not. */
export async function expectH1(page: Page, expected: string | RegExp, timeout = 5_000): Promise<void> {
  try {
    await page.getByRole('heading', { level: 1, name: expected, exact: true }).waitFor({ timeout });
  } catch (e) {
    const actual = await readText(page.getByRole('heading', { level: 1 })).catch(() => '(none)');
    throw new Error(`expected the heading "${expected}", but the page at ${page.url()} reads "${actual}"`, { cause: e });
  }
}

// ---------------------------------------------------------------------------------------------
// Screenshots

export const SCREENSHOTS = process.env.SCREENSHOTS === '1';
const SHOTS_DIR = path.join(ROOT, 'screenshots');

/** With SCREENSHOTS=1, a full-page PNG of the page as it is now, as screenshots/<name>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  fs.mkdirSync(SHOTS_DIR, { recursive: true });
  // Fonts are swapped in when loaded: wait for them, so Kazakh letters show in Noto Sans.
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  await page.screenshot({ path: path.join(SHOTS_DIR, `${name.replace(/[^\w.-]+/g, '-')}.png`), fullPage: true });
}

// ---------------------------------------------------------------------------------------------
// Accessibility

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: unknown[]; html: string; failureSummary?: string }[];
}

/**
 * Runs axe-core on the page and returns its violations of impact serious or critical. The
 * portal's Content Security Policy forbids inline scripts, so axe is evaluated through the
 * DevTools protocol rather than added as a <script>.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, failureSummary: n.failureSummary })),
    }));
  });
  return violations
    .map((v) => (v.id === 'aria-allowed-attr' ? { ...v, nodes: v.nodes.filter((n) => !isGovukConditionalReveal(n)) } : v))
    .filter((v) => v.nodes.length > 0 && (v.impact === 'serious' || v.impact === 'critical'));
}

/**
 * GOV.UK Frontend puts aria-expanded on a radio or checkbox that reveals a follow-up question,
 * on purpose: screen readers announce it, though ARIA allows it only on other roles (a known
 * issue of the design system, alphagov/govuk-frontend#979). That one finding is left out; any
 * other attribute on those inputs, or aria-expanded anywhere else, still counts.
 */
function isGovukConditionalReveal(node: AxeViolation['nodes'][number]): boolean {
  const govukInput = /^<input class="govuk-(radios|checkboxes)__input"[^>]* aria-controls="conditional-/.test(node.html);
  const onlyExpanded = /ARIA attribute is not allowed: aria-expanded="(true|false)"\s*$/.test(
    (node.failureSummary ?? '').split('\n').slice(1).join(' ').trim(),
  );
  return govukInput && onlyExpanded;
}

export function describeViolations(where: string, violations: readonly AxeViolation[]): string {
  const lines = [`${where}: ${violations.length} serious or critical accessibility violation(s)`];
  for (const v of violations) {
    lines.push(`- ${v.id} (${v.impact}): ${v.help} <${v.helpUrl}>`);
    for (const n of v.nodes.slice(0, 5)) {
      lines.push(`    ${JSON.stringify(n.target)} ${n.html.slice(0, 200)}`);
      if (n.failureSummary) lines.push(`      ${n.failureSummary.replace(/\n/g, '\n      ')}`);
    }
    if (v.nodes.length > 5) lines.push(`    … and ${v.nodes.length - 5} more`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Keyboard

/** Whether `locator` is the element that has focus. */
export function isFocused(locator: Locator): Promise<boolean> {
  return locator.evaluate((el) => el === document.activeElement);
}

/** What the focused element is, for failure messages. */
export function describeFocus(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return '(nothing: the page body)';
    const label = el.getAttribute('aria-label') ?? el.textContent ?? '';
    return `<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}> ${label.replace(/\s+/g, ' ').trim().slice(0, 80)}`;
  });
}

/**
 * Whether focus is visible on the focused element: it matches :focus-visible, and it has a
 * visible focus indicator (an outline, a box shadow, or the GOV.UK yellow focus colour).
 */
export function focusIsVisible(page: Page): Promise<boolean> {
  // No named functions in here: tsx would wrap them in a helper the page does not have.
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body || !el.matches(':focus-visible')) return false;
    // GOV.UK radios and checkboxes draw their focus ring on the label's ::before.
    const label = (el as HTMLInputElement).labels?.[0] ?? null;
    const candidates: [Element, string | null][] = [[el, null]];
    if (label !== null) candidates.push([label, '::before'], [label, '::after']);
    for (const [node, pseudo] of candidates) {
      const s = getComputedStyle(node, pseudo);
      // GOV.UK's 3px transparent outline is for forced-colour modes only: it does not count here.
      const outlineSeen = s.outlineColor !== 'transparent' && !/^rgba\(.*,\s*0\)$/.test(s.outlineColor);
      if (s.outlineStyle !== 'none' && Number.parseFloat(s.outlineWidth) > 0 && outlineSeen) return true;
      if (s.boxShadow !== 'none' && s.boxShadow !== '' && !/^rgba\([^)]*,\s*0\)[^,]*$/.test(s.boxShadow)) return true;
      if (s.backgroundColor === 'rgb(255, 221, 0)') return true;
    }
    return false;
  });
}

/**
 * Presses Tab (or Shift+Tab) until `target` has focus, at most `max` times; fails with where
 * focus went otherwise.
 */
export async function tabTo(page: Page, target: Locator, options: { back?: boolean; max?: number } = {}): Promise<number> {
  const key = options.back ? 'Shift+Tab' : 'Tab';
  const max = options.max ?? 40;
  const visited: string[] = [];
  for (let presses = 0; presses <= max; presses++) {
    if (await target.count().then((n) => n === 1 && isFocused(target))) return presses;
    if (presses === max) break;
    await page.keyboard.press(key);
    visited.push(await describeFocus(page));
  }
  throw new Error(`${key} ×${max} never reached the element; focus went to:\n  ${visited.join('\n  ')}`);
}

/** A portal server and a browser for one describe block, started before its tests and stopped after. */
export function portalAndBrowser(): { readonly portal: Portal; readonly browser: Browser } {
  const shared = {} as { portal: Portal; browser: Browser };
  before(async () => {
    [shared.portal, shared.browser] = await Promise.all([new Portal().start(), launchBrowser()]);
  });
  after(async () => {
    await shared.browser?.close();
    await shared.portal?.stop();
  });
  return shared;
}
