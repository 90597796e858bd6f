/** A parsed application/x-www-form-urlencoded body: a repeated field is an array. */
export type FormBody = Record<string, string | string[] | undefined>;

export function asForm(body: unknown): FormBody {
  return body !== null && typeof body === 'object' ? (body as FormBody) : {};
}

/** The first value of a field, trimmed; '' when absent. */
export function field(body: FormBody, name: string): string {
  const v = body[name];
  return (Array.isArray(v) ? (v[0] ?? '') : (v ?? '')).trim();
}

/** Every value of a repeated field (checkboxes). */
export function fields(body: FormBody, name: string): string[] {
  const v = body[name];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((s) => s.trim()).filter((s) => s !== '');
}

/** A form error before translation: the field it belongs to, a message key and its parameters. */
export interface FieldError {
  field: string;
  key: string;
  params?: Record<string, string | number>;
}
