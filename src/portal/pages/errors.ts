import type { Translator } from '../i18n.js';
import type { ErrorItem } from '../render.js';
import type { FieldError } from './form.js';

/** Form errors in words: the list for the error summary, and each field's own message. */
export function translateErrors(
  errors: FieldError[],
  tr: Translator,
  common: Record<string, string | number> = {},
): { list: ErrorItem[]; byField: Record<string, { text: string; visuallyHiddenText: string }> } {
  const list: ErrorItem[] = [];
  const byField: Record<string, { text: string; visuallyHiddenText: string }> = {};
  for (const e of errors) {
    const text = tr.t(e.key, { ...common, ...e.params });
    // One message per field: the first problem found is the one to fix first.
    if (byField[e.field] !== undefined) continue;
    byField[e.field] = { text, visuallyHiddenText: tr.t('common.errorLabel') };
    list.push({ text, href: FIELD_ANCHORS[e.field] ?? `#${e.field}` });
  }
  return { list, byField };
}

/** Where the error summary links to for each field: the first input of the field. */
export const FIELD_ANCHORS: Record<string, string> = {
  lenderTypes: '#lenderTypes',
  channels: '#channels',
  term: '#term',
  months: '#months',
  lastDay: '#lastDay-day',
  lenderBin: '#lenderBin',
  hours: '#hours',
};
