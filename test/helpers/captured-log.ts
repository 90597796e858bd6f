import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { loggerOptions } from '../../src/logger.js';

/** A pino logger with the service's own options, writing into memory so that a test can read every line. */
export function capturedLogger(level = 'debug'): { logger: Logger; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { logger: pino(loggerOptions(level), stream), text: () => text };
}
