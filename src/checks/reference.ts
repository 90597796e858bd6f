import { AppError } from '../errors.js';
import { containsIin } from '../identity/iin-in-text.js';

/** A reference is 1 to 64 Unicode code points (not UTF-16 units, so an emoji is never split). */
export const REFERENCE_MAX_CODE_POINTS = 64;

// Control, format (bidi overrides, zero-width), line and paragraph separators, surrogates, private use, unassigned.
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]/u;

/**
 * The rule for a lender's application reference, checked before a check joins a batch, so that no
 * request can fail anyone else's. The reference is stored for the citizen's "who checked me" page and
 * only its hash goes into the log; it must not contain an IIN in any spelling, since it would then be
 * shown to that citizen (or to another) and kept at rest.
 */
export function validateReference(reference: string): void {
  // In a u-mode pattern a lone surrogate is a code point of category Cs; a well-formed pair is not.
  if (/\p{Cs}/u.test(reference))
    throw new AppError('invalid_reference', 'The reference must be well-formed Unicode (it holds a lone surrogate).');
  const length = [...reference].length;
  if (length < 1 || length > REFERENCE_MAX_CODE_POINTS)
    throw new AppError('invalid_reference', `The reference must be 1 to ${REFERENCE_MAX_CODE_POINTS} characters.`);
  if (FORBIDDEN.test(reference))
    throw new AppError(
      'invalid_reference',
      'The reference must hold printable characters only: no control, formatting, bidirectional or unassigned characters.',
    );
  if (containsIin(reference))
    throw new AppError(
      'invalid_reference',
      'The reference must not contain an IIN, in any spelling (12 digits that form a valid IIN, with or without separators).',
    );
}

/** What a person is shown of a stored reference: one recorded before the rule above, holding an IIN, never. */
export const HIDDEN_REFERENCE = '—';
export function shownReference(reference: string): string {
  return containsIin(reference) ? HIDDEN_REFERENCE : reference;
}
