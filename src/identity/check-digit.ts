// The check digit shared by the IIN and the BIN: weights 1..11 mod 11, and if that
// gives 10, weights 3..11,1,2 mod 11. A second 10 means the number is never issued.
const FIRST_WEIGHTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] as const;
const SECOND_WEIGHTS = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2] as const;

function weightedSum(digits: readonly number[], weights: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum += (digits[i] as number) * (weights[i] as number);
  return sum % 11;
}

/** The check digit for eleven digits, or null when no valid twelfth digit exists. */
export function computeCheckDigit(firstEleven: readonly number[]): number | null {
  const c = weightedSum(firstEleven, FIRST_WEIGHTS);
  if (c !== 10) return c;
  const c2 = weightedSum(firstEleven, SECOND_WEIGHTS);
  return c2 === 10 ? null : c2;
}

export function digitsOf(value: string): number[] {
  const out = new Array<number>(value.length);
  for (let i = 0; i < value.length; i++) out[i] = value.charCodeAt(i) - 48;
  return out;
}

export function hasValidCheckDigit(twelveDigits: string): boolean {
  const d = digitsOf(twelveDigits);
  const c = computeCheckDigit(d);
  return c !== null && c === d[11];
}

export const TWELVE_DIGITS = /^[0-9]{12}$/;
