import { computeCheckDigit, digitsOf, hasValidCheckDigit, TWELVE_DIGITS } from './check-digit.js';

export type Sex = 'male' | 'female';

export type IinFailure = 'format' | 'century' | 'date' | 'check_digit';

export const IIN_FAILURE_MESSAGES: Record<IinFailure, string> = {
  format: 'The IIN must be exactly 12 digits.',
  century: 'The IIN is invalid: digit 7 (century and sex) must be 1 to 6.',
  date: 'The IIN is invalid: digits 1 to 6 are not a real birth date (YYMMDD).',
  check_digit: 'The IIN is invalid: the check digit (digit 12) does not match.',
};

/** The coarse facts an IIN reveals; the only ones the registry keeps. */
export interface IinFacts {
  birthDate: { year: number; month: number; day: number };
  sex: Sex;
}

export type IinResult = { ok: true; facts: IinFacts } | { ok: false; failure: IinFailure; message: string };

const CENTURY_BASE: Record<number, number> = { 1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000 };

function fail(failure: IinFailure): IinResult {
  return { ok: false, failure, message: IIN_FAILURE_MESSAGES[failure] };
}

/** Validates an IIN by the rules in order: format, century digit, birth date, check digit. */
export function validateIin(iin: string): IinResult {
  if (typeof iin !== 'string' || !TWELVE_DIGITS.test(iin)) return fail('format');
  const d = digitsOf(iin);
  const base = CENTURY_BASE[d[6] as number];
  if (base === undefined) return fail('century');
  const year = base + Number(iin.slice(0, 2));
  const month = Number(iin.slice(2, 4));
  const day = Number(iin.slice(4, 6));
  if (!isRealDate(year, month, day)) return fail('date');
  if (!hasValidCheckDigit(iin)) return fail('check_digit');
  return { ok: true, facts: { birthDate: { year, month, day }, sex: (d[6] as number) % 2 === 1 ? 'male' : 'female' } };
}

function isRealDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth;
}

/**
 * Builds a valid IIN from a birth date, sex and serial, or null when that serial has no
 * valid check digit. Used for synthetic demo and benchmark citizens, never for real ones.
 */
export function makeIin(birth: { year: number; month: number; day: number }, sex: Sex, serial: number): string | null {
  const centuryIndex = Math.floor((birth.year - 1800) / 100);
  if (centuryIndex < 0 || centuryIndex > 2) throw new RangeError('birth year must be 1800-2099');
  const centuryDigit = centuryIndex * 2 + (sex === 'male' ? 1 : 2);
  const yy = String(birth.year % 100).padStart(2, '0');
  const mm = String(birth.month).padStart(2, '0');
  const dd = String(birth.day).padStart(2, '0');
  const eleven = `${yy}${mm}${dd}${centuryDigit}${String(serial % 10000).padStart(4, '0')}`;
  const c = computeCheckDigit(digitsOf(eleven));
  return c === null ? null : `${eleven}${c}`;
}
