import { VerifyError } from '../../src/verify/index.js';

/** The VerifyError code `f` throws, or `success` when it throws nothing; other errors propagate. */
export function codeOf(f: () => unknown, success = 'verified'): string {
  try {
    f();
  } catch (e) {
    if (e instanceof VerifyError) return e.code;
    throw e;
  }
  return success;
}
