import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AppError } from '../../src/errors.js';
import { MAX_DISPLAY_NAME_LENGTH, validateDisplayName } from '../../src/identity/display-name.js';

const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}\uFFFD]/u;
const codePoints = (s: string) => Array.from(s).length;

/** Asserts that `text` is refused with invalid_request and a message matching `pattern`. */
function refused(text: string, pattern: RegExp): void {
  assert.throws(
    () => validateDisplayName(text, 'lender name'),
    (e: unknown) => e instanceof AppError && e.code === 'invalid_request' && pattern.test(e.message),
    `expected ${JSON.stringify(text)} to be refused with ${pattern}`,
  );
}

// Any UTF-16 code unit, so lone and misordered surrogates come up as well as whole code points.
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u));
const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 250 }), fc.string({ unit: anyUnit, maxLength: 250 }));
// Printable names in many scripts, as people type them.
const plainName = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 60 })
  .map((s) => s.normalize('NFC').trim())
  .filter((s) => s !== '' && !FORBIDDEN.test(s) && codePoints(s) <= MAX_DISPLAY_NAME_LENGTH);
const forbiddenChar = fc.constantFrom(
  '\n',
  '\r',
  '\t',
  '\0',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u00ad',
  '\u200b',
  '\u200d',
  '\u200e',
  '\u2028',
  '\u2029',
  '\u202a',
  '\u202e',
  '\u2066',
  '\u2069',
  '\ufeff',
  '\ud800',
  '\udfff',
  '\ue000',
  '\uffff',
  '\u0378',
  '\ufffd',
);

describe('validateDisplayName', () => {
  it('keeps an ordinary name, trimmed and NFC-normalised', () => {
    assert.equal(validateDisplayName('  Halyk Bank JSC ', 'lender name'), 'Halyk Bank JSC');
    assert.equal(validateDisplayName('«Қазақстан Халық Банкі» АҚ', 'lender name'), '«Қазақстан Халық Банкі» АҚ');
    // e + combining acute becomes é: one code point, as stored
    assert.equal(validateDisplayName('Cafe\u0301', 'lender name'), 'Caf\u00e9');
    assert.equal(validateDisplayName('Ömer 😀 Ltd', 'lender name'), 'Ömer 😀 Ltd');
  });

  it('refuses newlines and other controls, at either end too', () => {
    refused('Bank\nJSC', /U\+000A at character 5/);
    refused('Bank JSC\n', /newline/);
    refused('\tBank', /U\+0009/);
    refused('Bank\u0000', /U\+0000/);
    refused('Bank\u001b[31m', /U\+001B/);
    refused('Bank\u0085', /U\+0085/);
  });

  it('refuses bidi overrides and isolates, zero-width and other format characters', () => {
    for (const c of ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069']) {
      refused(`Bank ${c}CSJ`, /bidirectional/);
    }
    refused('Ba\u200bnk', /U\+200B/);
    refused('Ba\u200dnk', /U\+200D/);
    refused('\ufeffBank', /U\+FEFF/);
    refused('Ba\u00adnk', /U\+00AD/);
  });

  it('refuses line and paragraph separators, lone surrogates, private-use, unassigned and replacement characters', () => {
    refused('Bank\u2028JSC', /U\+2028/);
    refused('Bank\u2029JSC', /U\+2029/);
    refused('Bank \ud800', /U\+D800/);
    refused('Bank \udc00 JSC', /U\+DC00/);
    refused('\udc00\ud800', /U\+DC00 at character 1/);
    refused('Bank \ue000', /U\+E000/);
    refused('Bank \u{f0000}', /U\+F0000/);
    refused('Bank \uffff', /U\+FFFF/);
    refused('Bank \u0378', /U\+0378/);
    // what a lone surrogate becomes on its way through a command's arguments
    refused('Bank \ufffd', /U\+FFFD/);
  });

  it('refuses a name that is empty after trimming', () => {
    for (const blank of ['', ' ', '   ', '\u00a0', '\u3000 ']) refused(blank, /lender name is required/);
  });

  it('counts code points, not UTF-16 units, and allows at most 200', () => {
    assert.equal(validateDisplayName('a'.repeat(200), 'lender name'), 'a'.repeat(200));
    refused('a'.repeat(201), /at most 200 characters; it has 201/);
    // 200 emoji are 400 UTF-16 units but 200 characters
    assert.equal(codePoints(validateDisplayName('😀'.repeat(200), 'lender name')), 200);
    refused('😀'.repeat(201), /it has 201/);
    // counted after trimming and after composition
    assert.equal(validateDisplayName(`  ${'Қ'.repeat(200)}  `, 'lender name'), 'Қ'.repeat(200));
    assert.equal(validateDisplayName('e\u0301'.repeat(200), 'lender name'), '\u00e9'.repeat(200));
  });

  it('names the field in its messages', () => {
    assert.throws(() => validateDisplayName('', 'operator’s name'), /^AppError: The operator’s name is required/);
    assert.throws(() => validateDisplayName('x\n', 'auditor name'), /The auditor name must not contain/);
  });

  it('never echoes the text it refuses', () => {
    fc.assert(
      fc.property(plainName, forbiddenChar, (plain, c) => {
        const name = `Ж${plain}`; // a letter no message holds, so a match is an echo
        try {
          validateDisplayName(`${name}${c}`, 'lender name');
          return false;
        } catch (e) {
          return e instanceof AppError && !e.message.includes(name);
        }
      }),
    );
  });

  it('for any text: either a clean, trimmed, NFC name of 1 to 200 code points, or invalid_request', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        let name: string;
        try {
          name = validateDisplayName(text, 'lender name');
        } catch (e) {
          return e instanceof AppError && e.code === 'invalid_request';
        }
        return (
          !FORBIDDEN.test(name) &&
          // well-formed UTF-16: survives a round trip through UTF-8 unchanged
          Buffer.from(name, 'utf8').toString('utf8') === name &&
          name === name.trim() &&
          name === name.normalize('NFC') &&
          codePoints(name) >= 1 &&
          codePoints(name) <= MAX_DISPLAY_NAME_LENGTH &&
          validateDisplayName(name, 'lender name') === name
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses any name with a forbidden character anywhere in it', () => {
    fc.assert(
      fc.property(plainName, forbiddenChar, fc.nat(), (name, c, at) => {
        const cps = Array.from(name);
        const i = at % (cps.length + 1);
        const text = [...cps.slice(0, i), c, ...cps.slice(i)].join('');
        assert.throws(() => validateDisplayName(text, 'lender name'), /must not contain/);
      }),
    );
  });

  it('accepts every printable name it is given, unchanged', () => {
    fc.assert(fc.property(plainName, (name) => validateDisplayName(name, 'lender name') === name));
  });
});
