import { AppError } from '../errors.js';

/** The longest name kept, in code points after NFC normalisation and trimming. */
export const MAX_DISPLAY_NAME_LENGTH = 200;

/**
 * Characters a name may not hold anywhere: controls (newlines, tabs, escapes), format characters
 * (bidi overrides and isolates, zero-width characters, the BOM), line and paragraph separators,
 * lone surrogates, private-use and unassigned code points. Each can make a name print as something
 * it is not, in a terminal, a page or a statement. Also U+FFFD, which only stands in for text that
 * could not be decoded: a lone surrogate in a command's arguments arrives as one.
 */
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}\uFFFD]/u;

const hex = (cp: number): string => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * The one rule for a person's or organisation's name as the registry keeps it (a lender, an operator,
 * an auditor). Returns the name NFC-normalised and trimmed, or throws AppError('invalid_request')
 * saying what is wrong. `what` names the field in the message, e.g. 'lender name'.
 */
export function validateDisplayName(text: string, what: string): string {
  if (typeof text !== 'string') throw new AppError('invalid_request', `The ${what} must be text.`);
  // Normalising first means the rule and the count apply to the text as it will be stored.
  const normalised = text.normalize('NFC');
  // Checked before trimming, so that a stray newline at either end is refused rather than silently cut.
  const codePoints = Array.from(normalised);
  const bad = codePoints.findIndex((c) => FORBIDDEN.test(c));
  if (bad !== -1) {
    const cp = (codePoints[bad] as string).codePointAt(0) as number;
    throw new AppError(
      'invalid_request',
      `The ${what} must not contain control, formatting, bidirectional or undecodable characters ` +
        `(such as a newline or a direction override): found ${hex(cp)} at character ${bad + 1}.`,
    );
  }
  const name = normalised.trim();
  if (name === '') throw new AppError('invalid_request', `The ${what} is required and must not be blank.`);
  const length = Array.from(name).length;
  if (length > MAX_DISPLAY_NAME_LENGTH) {
    throw new AppError('invalid_request', `The ${what} must be at most ${MAX_DISPLAY_NAME_LENGTH} characters; it has ${length}.`);
  }
  return name;
}
