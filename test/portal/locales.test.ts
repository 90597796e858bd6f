import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keysOf, LANGUAGES, type Lang, loadLocale, translator } from '../../src/portal/i18n.js';

type Messages = { [key: string]: string | Messages };

function lookup(messages: Messages, key: string): string | Messages {
  let node: string | Messages = messages;
  for (const part of key.split('.')) node = (node as Messages)[part] as string | Messages;
  return node;
}

const PLURAL_FORMS: Record<Lang, string[]> = { ru: ['few', 'many', 'one', 'other'], kk: ['one', 'other'], en: ['one', 'other'] };

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('locale files', () => {
  const locales = Object.fromEntries(LANGUAGES.map((l) => [l, loadLocale(l)])) as Record<Lang, Messages>;
  const english = keysOf(locales.en).sort();

  it('every language has exactly the same keys', () => {
    assert.ok(english.length > 100);
    for (const lang of LANGUAGES) assert.deepEqual(keysOf(locales[lang]).sort(), english, `keys of ${lang}.json`);
  });

  it('no message is empty, and every plural has the forms of its language', () => {
    for (const lang of LANGUAGES) {
      for (const key of keysOf(locales[lang])) {
        const m = lookup(locales[lang], key);
        if (typeof m === 'string') {
          assert.notEqual(m.trim(), '', `${lang}: ${key} is empty`);
          continue;
        }
        assert.deepEqual(Object.keys(m).sort(), PLURAL_FORMS[lang], `${lang}: ${key} plural forms`);
        for (const [form, text] of Object.entries(m)) {
          assert.equal(typeof text, 'string');
          assert.notEqual((text as string).trim(), '', `${lang}: ${key}.${form} is empty`);
          assert.match(text as string, /\{count\}/, `${lang}: ${key}.${form} shows the count`);
        }
      }
    }
  });

  it('every language fills in the same placeholders', () => {
    for (const key of english) {
      const en = lookup(locales.en, key);
      const want = placeholders(typeof en === 'string' ? en : (en.other as string));
      for (const lang of LANGUAGES) {
        const m = lookup(locales[lang], key);
        const forms = typeof m === 'string' ? [m] : (Object.values(m) as string[]);
        for (const text of forms) assert.deepEqual(placeholders(text), want, `${lang}: ${key} placeholders`);
      }
    }
  });

  it('Kazakh text is written in Kazakh letters, not Russian look-alikes alone', () => {
    const kk = keysOf(locales.kk)
      .map((k) => JSON.stringify(lookup(locales.kk, k)))
      .join(' ');
    for (const letter of ['ә', 'ғ', 'қ', 'ң', 'ө', 'ұ', 'ү', 'і']) assert.ok(kk.includes(letter), `uses ${letter}`);
  });
});

describe('plurals', () => {
  const days = (lang: Lang, count: number) => translator(lang).t('status.until', { date: 'D', count });

  it('Russian picks one, few and many: 1 день, 2 дня, 5 дней, 21 день', () => {
    assert.equal(days('ru', 1), 'До конца дня D (остался 1 день)');
    assert.equal(days('ru', 2), 'До конца дня D (осталось 2 дня)');
    assert.equal(days('ru', 5), 'До конца дня D (осталось 5 дней)');
    assert.equal(days('ru', 21), 'До конца дня D (остался 21 день)');
    assert.equal(days('ru', 11), 'До конца дня D (осталось 11 дней)');
    const ru = translator('ru');
    assert.equal(ru.t('exempt.more', { count: 1 }), 'Подходит ещё 1 кредитор: уточните поиск.');
    assert.equal(ru.t('exempt.more', { count: 3 }), 'Подходят ещё 3 кредитора: уточните поиск.');
    assert.equal(ru.t('exempt.more', { count: 12 }), 'Подходят ещё 12 кредиторов: уточните поиск.');
    assert.match(ru.t('exempt.hours.hint', { count: 72 }), /не больше 72 часов/);
    assert.match(ru.t('exempt.hours.hint', { count: 1 }), /не больше 1 часа/);
  });

  it('English picks one and other', () => {
    assert.equal(days('en', 1), 'The end of D (1 day left)');
    assert.equal(days('en', 2), 'The end of D (2 days left)');
    assert.equal(days('en', 21), 'The end of D (21 days left)');
    const en = translator('en');
    assert.equal(en.t('checks.attempts.title', { count: 1 }), '1 possible attempt to borrow in your name');
    assert.equal(en.t('checks.attempts.title', { count: 2 }), '2 possible attempts to borrow in your name');
  });

  it('Kazakh picks one and other, and a noun after a number stays singular', () => {
    const rules = new Intl.PluralRules('kk-KZ');
    assert.equal(rules.select(1), 'one');
    assert.equal(rules.select(5), 'other');
    assert.equal(days('kk', 1), 'D күнінің соңына дейін (1 күн қалды)');
    assert.equal(days('kk', 5), 'D күнінің соңына дейін (5 күн қалды)');
    assert.equal(days('kk', 21), 'D күнінің соңына дейін (21 күн қалды)');
  });
});
