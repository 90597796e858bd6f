import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

const POISON_KEYS = new Set(['__proto__', 'constructor']);
/** A key could only spell __proto__ or constructor if one of them, or an escape, is in the text. */
const MAY_HOLD_POISON = /__proto__|constructor|\\u/;

/** Whether any object in a parsed JSON value has a key __proto__ or constructor; iterative, for deep nesting. */
function holdsPoisonKey(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      stack.push(...v);
      continue;
    }
    for (const key of Object.keys(v)) {
      if (POISON_KEYS.has(key)) return true;
      stack.push((v as Record<string, unknown>)[key]);
    }
  }
  return false;
}

/**
 * Parses a JSON body, saying truly what is wrong with it. Fastify's parser reports a body with a
 * __proto__ or constructor key (refused against prototype poisoning) as "not valid JSON".
 */
export function parseJsonBody(_request: FastifyRequest, body: string): unknown {
  const text = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  if (text.trim() === '') throw new AppError('invalid_request', 'The body is empty; send a JSON document.');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError('invalid_request', 'The body is not valid JSON.');
  }
  if (MAY_HOLD_POISON.test(text) && holdsPoisonKey(value))
    throw new AppError('invalid_request', 'The body must not contain the keys __proto__ or constructor.');
  return value;
}

/** Replaces Fastify's JSON parser; scopes registered afterwards inherit it. */
export function installJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, async (request: FastifyRequest, body: string) =>
    parseJsonBody(request, body),
  );
}
