/** A parsed application/x-www-form-urlencoded body: a repeated field is an array. */
export type FormBody = Record<string, unknown>;

/** The content type of every portal form; anything else is refused with 415 before it is parsed. */
export const FORM_TYPE = 'application/x-www-form-urlencoded';

/** Whether a Content-Type header names an HTML form's encoding (parameters such as charset allowed). */
export function isFormType(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() === FORM_TYPE;
}

export function asForm(body: unknown): FormBody {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as FormBody) : {};
}

/** Only text counts as a value: anything else (a number, an object) reads as absent. */
function texts(v: unknown): string[] {
  return (Array.isArray(v) ? v : [v]).filter((s): s is string => typeof s === 'string').map((s) => s.trim());
}

/** The first value of a field, trimmed; '' when absent. */
export function field(body: FormBody, name: string): string {
  return texts(body[name])[0] ?? '';
}

/** Every value of a repeated field (checkboxes). */
export function fields(body: FormBody, name: string): string[] {
  return texts(body[name]).filter((s) => s !== '');
}

/** A form error before translation: the field it belongs to, a message key and its parameters. */
export interface FieldError {
  field: string;
  key: string;
  params?: Record<string, string | number>;
}
