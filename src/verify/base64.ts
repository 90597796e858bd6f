import { VerifyError, type VerifyErrorCode } from './errors.js';

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Standard base64 with padding (RFC 4648 §4), canonical only: Buffer.from(s, 'base64') would
 * silently skip bad characters and accept non-zero padding bits, so one value could have many spellings.
 */
export function decodeBase64Strict(text: string, code: VerifyErrorCode, what: string): Buffer {
  if (!STD_BASE64.test(text)) throw new VerifyError(code, `${what} is not canonical standard base64.`);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) throw new VerifyError(code, `${what} is not canonical standard base64.`);
  return bytes;
}

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/** A canonical ASCII decimal (no sign, no leading zeros) within JavaScript's safe integers. */
export function parseDecimal(text: string, code: VerifyErrorCode, what: string): number {
  if (!DECIMAL.test(text)) throw new VerifyError(code, `${what} is not a canonical decimal number.`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new VerifyError(code, `${what} is larger than 2^53 - 1.`);
  return n;
}
