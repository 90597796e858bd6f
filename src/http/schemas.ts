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
