import { validateIin } from './iin.js';

/*
 * Finds an IIN hidden in free text, however it is spelled: "580314400012", "5803 1440 0012",
 * "5803-1440-0012", fullwidth "５８０３１４４０００１２", or digits of another script. The text is
 * NFKC-normalised, every decimal digit becomes its ASCII digit, and separators (spaces, punctuation,
 * symbols, format characters) and combining marks (which dress a digit without changing how it reads: a
 * keycap 5️⃣, a circled 5⃝, a 5̃) are dropped; then every run of 12 consecutive digits is tried as an IIN.
 * Letters still break a run, so "A12B" is never read as "12".
 */

const SEPARATORS = /[\p{Z}\p{P}\p{S}\p{Cf}\p{Cc}\p{M}]/gu;

// Unicode keeps every decimal digit (Nd) in a contiguous run from 0 to 9, so a digit's value is its
// distance from the start of its run; runs that touch (the mathematical digits) are split every ten.
let zeroOf: Map<number, number> | null = null;
function digitValue(cp: number): number {
  if (cp >= 0x30 && cp <= 0x39) return cp - 0x30;
  if (zeroOf === null) {
    zeroOf = new Map();
    const nd = /\p{Nd}/u;
    let start = -1;
    let previous = false;
    for (let c = 0x80; c <= 0x10ffff; c++) {
      const digit = (c < 0xd800 || c > 0xdfff) && nd.test(String.fromCodePoint(c));
      if (digit) {
        if (!previous || c - start >= 10) start = c;
        zeroOf.set(c, start);
      }
      previous = digit;
    }
  }
  const zero = zeroOf.get(cp);
  return zero === undefined ? -1 : cp - zero;
}

const ASCII = /^\p{ASCII}*$/u;
const DECIMAL_DIGIT = /\p{Nd}/u;

/** The text with every decimal digit as ASCII and every separator removed. */
export function digitsSpelling(text: string): string {
  // ASCII is its own NFKC form, and in it everything but letters and digits is a separator.
  if (ASCII.test(text)) return text.replace(/[^0-9A-Za-z]/g, '');
  let out = '';
  for (const ch of text.normalize('NFKC').replace(SEPARATORS, '')) {
    const d = DECIMAL_DIGIT.test(ch) ? digitValue(ch.codePointAt(0) as number) : -1;
    out += d >= 0 ? String(d) : ch;
  }
  return out;
}

/** Whether any spelling of a valid IIN (format, century, date and check digit) appears in the text. */
export function containsIin(text: string): boolean {
  // Most references are short ASCII with few digits: fewer than 12 digits cannot hold an IIN.
  if (ASCII.test(text) && text.replace(/\D/g, '').length < 12) return false;
  for (const run of digitsSpelling(text).match(/\d{12,}/g) ?? []) {
    for (let i = 0; i + 12 <= run.length; i++) if (validateIin(run.slice(i, i + 12)).ok) return true;
  }
  return false;
}
