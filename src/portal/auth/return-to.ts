/** Where a refused `returnTo` leads: the portal's home. */
export const HOME = '/';

// Browsers drop tabs and newlines inside URLs and read a backslash as a slash, so "/\t/evil" and
// "/\\evil" become "//evil", another origin; such characters are refused rather than cleaned up.
const UNSAFE = /[\p{Cc}\\]/u;

/**
 * The page to return to after sign-in: a path on the portal itself, or its home. The value is
 * parsed against the portal's public URL and must keep its origin; what comes back is the
 * parsed path, so it is ASCII and safe in a Location header.
 */
export function safeReturnTo(value: unknown, publicUrl: string): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || UNSAFE.test(value)) return HOME;
  let url: URL;
  try {
    url = new URL(value, publicUrl);
  } catch {
    return HOME;
  }
  if (url.origin !== new URL(publicUrl).origin) return HOME;
  const path = `${url.pathname}${url.search}${url.hash}`;
  // Dot segments can leave a double slash at the start ("/..//evil" parses to "//evil").
  return path.startsWith('/') && !path.startsWith('//') ? path : HOME;
}
