import type { Translator } from '../i18n.js';

/** The page asked for in `?page=N`: 1 when absent, null when it is not a whole number from 1. */
export function pageNumber(asked: unknown): number | null {
  if (asked === undefined) return 1;
  return typeof asked === 'string' && /^[1-9]\d{0,8}$/.test(asked) ? Number(asked) : null;
}

export function lastPage(total: number, size: number): number {
  return Math.max(1, Math.ceil(total / size));
}

/**
 * The govukPagination parameters for page `current` of `last`: the first, the last, the current
 * page and its neighbours, with ellipses between, as the GOV.UK Design System advises.
 */
export function paginationOf(
  current: number,
  last: number,
  href: (page: number) => string,
  tr: Translator,
): Record<string, unknown> | null {
  if (last <= 1) return null;
  const shown = [...new Set([1, current - 1, current, current + 1, last])].filter((n) => n >= 1 && n <= last);
  const items: Record<string, unknown>[] = [];
  for (const [i, n] of shown.entries()) {
    if (i > 0 && n - (shown[i - 1] as number) > 1) items.push({ ellipsis: true });
    items.push({
      number: n,
      href: href(n),
      current: n === current,
      visuallyHiddenText: tr.t('pagination.page', { number: n }),
    });
  }
  return {
    landmarkLabel: tr.t('pagination.label'),
    items,
    ...(current > 1 ? { previous: { href: href(current - 1), text: tr.t('pagination.previous') } } : {}),
    ...(current < last ? { next: { href: href(current + 1), text: tr.t('pagination.next') } } : {}),
  };
}
