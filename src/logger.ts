import pino, { type LoggerOptions } from 'pino';
import { containsIin } from './identity/iin-in-text.js';

/**
 * Every log line goes through these redactions. The IIN is personal data and is never
 * logged, wherever it appears; nor are API keys or the pepper.
 */
export const REDACT_PATHS = [
  'iin',
  '*.iin',
  '*.*.iin',
  'body.iin',
  'req.body',
  'req.headers.authorization',
  'req.headers.cookie',
  'apiKey',
  '*.apiKey',
  'pepper',
  '*.pepper',
];

/**
 * Any run of 12 digits could be an IIN (a lender's mistake in a URL); it is masked before logging. A path
 * that holds an IIN in another spelling (with separators, in other digits, percent-encoded) has every digit
 * masked, since which digits make up the IIN cannot be told apart from the rest.
 */
export function maskDigits(text: string): string {
  const masked = text.replace(/\d{12}/g, '[redacted]');
  const decoded = decodeLeniently(masked);
  if (!containsIin(decoded)) return masked;
  return decoded.replace(/\p{Nd}/gu, '#');
}

/** Percent-escapes decoded as UTF-8, a malformed one as U+FFFD, never an error: hostile paths hold both. */
function decodeLeniently(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => Buffer.from(run.replaceAll('%', ''), 'hex').toString('utf8'));
}

interface LoggedRequest {
  method: string;
  url: string;
  hostname?: string;
  ip?: string;
  id?: string;
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    serializers: {
      // The query string is dropped and 12-digit runs masked: an IIN must not reach the logs through a URL.
      req: (req: LoggedRequest) => ({
        id: req.id,
        method: req.method,
        url: maskDigits(req.url.split('?')[0] ?? ''),
        hostname: req.hostname,
        remoteAddress: req.ip,
      }),
    },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'tyiym' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}
