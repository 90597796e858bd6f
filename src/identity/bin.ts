import { hasValidCheckDigit, TWELVE_DIGITS } from './check-digit.js';

export type BinFailure = 'format' | 'check_digit';

export const BIN_FAILURE_MESSAGES: Record<BinFailure, string> = {
  format: 'The BIN must be exactly 12 digits.',
  check_digit: 'The BIN is invalid: the check digit (digit 12) does not match.',
};

export type BinResult = { ok: true } | { ok: false; failure: BinFailure; message: string };

/** A BIN (business identification number) uses the IIN's check digit and nothing else of its layout. */
export function validateBin(bin: string): BinResult {
  if (typeof bin !== 'string' || !TWELVE_DIGITS.test(bin)) {
    return { ok: false, failure: 'format', message: BIN_FAILURE_MESSAGES.format };
  }
  if (!hasValidCheckDigit(bin)) {
    return { ok: false, failure: 'check_digit', message: BIN_FAILURE_MESSAGES.check_digit };
  }
  return { ok: true };
}
