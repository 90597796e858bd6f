import { Type } from 'typebox';

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable snake_case code; see the error catalogue.' }),
      message: Type.String({ description: 'Human-readable explanation.' }),
    }),
  },
  { $id: 'Error', description: 'Every error has this shape.' },
);

/** The error responses a route declares, for validation of docs and fast serialisation. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorSchema> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorSchema]));
}

/** The optional Idempotency-Key request header of a write; its value is checked by IdempotencyService. */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      description:
        'Any 1 to 255 printable ASCII characters without spaces and without an IIN in any spelling (400 ' +
        'invalid_idempotency_key), new for each new request. A retry with the same key ' +
        'and the same body within 24 hours gets the first answer and records nothing new; the same key with ' +
        'another body answers 422 idempotency_conflict.',
    }),
  ),
});
