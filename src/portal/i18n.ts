import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The portal speaks Kazakh, Russian and English; every page, error and date in each. */
export const LANGUAGES = ['kk', 'ru', 'en'] as const;
export type Lang = (typeof LANGUAGES)[number];
export const DEFAULT_LANG: Lang = 'kk';

type Messages = { [key: string]: string | Messages };

// Locale files live beside the sources and are read from there by both the sources and the build.
export const LOCALES_DIR = fileURLToPath(new URL('../../src/portal/locales/', import.meta.url));

export function loadLocale(lang: Lang): Messages {
  return JSON.parse(fs.readFileSync(`${LOCALES_DIR}${lang}.json`, 'utf8')) as Messages;
}

const INTL_LOCALE: Record<Lang, string> = { kk: 'kk-KZ', ru: 'ru-RU', en: 'en-GB' };

export function isLang(value: unknown): value is Lang {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** The best language from an Accept-Language header, else Kazakh, the state language. */
export function negotiateLang(acceptLanguage: string | undefined): Lang {
  for (const part of (acceptLanguage ?? '').split(',')) {
    const tag = part.trim().slice(0, 2).toLowerCase();
    if (isLang(tag)) return tag;
  }
  return DEFAULT_LANG;
}

export type Params = Record<string, string | number>;

export interface Translator {
  lang: Lang;
  /** A message by dotted key; `count` picks the plural form (one/few/many/other) of the language. */
  t(key: string, params?: Params): string;
  /** A date and time in Asia/Almaty, in this language. */
  dateTime(at: Date): string;
  /** A calendar date in Asia/Almaty, in this language. */
  date(at: Date): string;
}

function lookup(messages: Messages, key: string): string | Messages | undefined {
  let node: string | Messages | undefined = messages;
  for (const part of key.split('.')) {
    if (node === undefined || typeof node === 'string') return undefined;
    node = node[part];
  }
  return node;
}

const cache = new Map<Lang, Translator>();

export function translator(lang: Lang): Translator {
  const hit = cache.get(lang);
  if (hit) return hit;
  const messages = loadLocale(lang);
  const plural = new Intl.PluralRules(INTL_LOCALE[lang]);
  const dateTimeFormat = new Intl.DateTimeFormat(INTL_LOCALE[lang], {
    timeZone: 'Asia/Almaty',
    dateStyle: 'long',
    timeStyle: 'short',
  });
  const dateFormat = new Intl.DateTimeFormat(INTL_LOCALE[lang], { timeZone: 'Asia/Almaty', dateStyle: 'long' });
  const t = (key: string, params: Params = {}): string => {
    let found = lookup(messages, key);
    if (found !== undefined && typeof found !== 'string') {
      const count = Number(params.count ?? 0);
      found = found[plural.select(count)] ?? found.other;
    }
    if (typeof found !== 'string') return key;
    return found.replace(/\{(\w+)\}/g, (m, name: string) => (params[name] === undefined ? m : String(params[name])));
  };
  const tr: Translator = { lang, t, dateTime: (at) => dateTimeFormat.format(at), date: (at) => dateFormat.format(at) };
  cache.set(lang, tr);
  return tr;
}

const PLURAL_FORMS = new Set(['zero', 'one', 'two', 'few', 'many', 'other']);

/** A message with plural forms: each language has its own forms (Russian one/few/many, Kazakh one/other). */
function isPlural(v: Messages): boolean {
  return 'other' in v && Object.keys(v).every((k) => PLURAL_FORMS.has(k));
}

/** Every key path of a locale, with a plural message as one key; used to check the files agree. */
export function keysOf(messages: Messages, prefix = ''): string[] {
  return Object.entries(messages).flatMap(([k, v]) =>
    typeof v === 'string' || isPlural(v) ? [`${prefix}${k}`] : keysOf(v, `${prefix}${k}.`),
  );
}
