/**
 * The error catalogue: every error the registry can answer with, defined once, with a
 * stable snake_case code, its HTTP status and a default message. Clients depend on the
 * codes; the messages may improve.
 */
export const ERRORS = {
  invalid_iin: { status: 400, message: 'The IIN is invalid.' },
  invalid_bin: { status: 400, message: 'The BIN is invalid.' },
  invalid_request: { status: 400, message: 'The request is invalid.' },
  invalid_reference: { status: 400, message: 'The reference is invalid.' },
  invalid_idempotency_key: {
    status: 400,
    message: 'The Idempotency-Key must be 1 to 255 printable ASCII characters without spaces.',
  },
  invalid_term: { status: 400, message: 'The term is outside what the policy allows.' },
  invalid_scope: { status: 400, message: 'A ban needs at least one lender type and at least one channel.' },
  invalid_exemption: { status: 400, message: 'The exemption window is outside what the policy allows.' },
  unauthorized: { status: 401, message: 'A valid API key is required.' },
  not_found: { status: 404, message: 'Not found.' },
  lender_not_found: { status: 404, message: 'No such lender.' },
  method_not_allowed: { status: 405, message: 'This method is not allowed here; the Allow header lists those that are.' },
  not_acceptable: { status: 406, message: 'This resource answers in JSON (application/json) only.' },
  request_timeout: { status: 408, message: 'The request was not received in time.' },
  no_restriction: { status: 409, message: 'There is no ban in force.' },
  lift_pending: { status: 409, message: 'A lift is already pending.' },
  no_pending_lift: { status: 409, message: 'There is no pending lift to cancel.' },
  lender_inactive: { status: 409, message: 'The lender is revoked.' },
  lender_exists: { status: 409, message: 'A lender with this BIN is already registered.' },
  idempotency_conflict: {
    status: 422,
    message: 'This Idempotency-Key was already used with a different request; use a new key for a new request.',
  },
  payload_too_large: { status: 413, message: 'The request body is larger than 16 KiB.' },
  uri_too_long: { status: 414, message: 'A part of the URL is too long.' },
  unsupported_media_type: { status: 415, message: 'The request body must be JSON (application/json).' },
  rate_limited: { status: 429, message: 'Too many requests for this lender; slow down.' },
  headers_too_large: { status: 431, message: 'The request headers are too large.' },
  internal_error: { status: 500, message: 'An internal error occurred.' },
  unavailable: { status: 503, message: 'The registry is temporarily unavailable; nothing was recorded.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? ERRORS[code].message, options);
    this.name = 'AppError';
    this.code = code;
    this.statusCode = ERRORS[code].status;
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: ErrorCode, message?: string): ErrorBody {
  return { error: { code, message: message ?? ERRORS[code].message } };
}
