import pino, { type LoggerOptions } from 'pino';

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

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'tyiym' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}
