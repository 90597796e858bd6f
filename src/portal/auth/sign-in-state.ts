import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** What the callback needs to finish a sign-in: the values sent to the provider, and where to go after. */
export interface SignInState {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
}

/** The cookie that carries a sign-in under way, and how long a citizen has to finish it at the provider. */
export const SIGN_IN_COOKIE = 'tyiym_signin';
export const SIGN_IN_MINUTES = 10;

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * A sign-in under way, sealed (AES-256-GCM) into a short-lived cookie instead of a server-side
 * session, so that a visitor who has not signed in costs the server no memory. The key is derived
 * from the session secret; the code verifier stays secret and nothing in the cookie can be altered.
 */
export class SignInSealer {
  private readonly key: Buffer;

  constructor(
    sessionSecret: Buffer,
    private readonly now: () => number = Date.now,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', sessionSecret, Buffer.alloc(0), 'tyiym sign-in state', 32));
  }

  seal(state: SignInState): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(SIGN_IN_COOKIE));
    const plain = JSON.stringify({ ...state, exp: this.now() + SIGN_IN_MINUTES * 60_000 });
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  /** The state sealed in `value`, or null when it is missing, altered, not ours or too old. */
  open(value: string | undefined): SignInState | null {
    if (value === undefined) return null;
    const raw = Buffer.from(value, 'base64url');
    if (raw.length <= IV_BYTES + TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(SIGN_IN_COOKIE));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
      const parsed = JSON.parse(plain.toString('utf8')) as Partial<SignInState> & { exp?: unknown };
      const { state, nonce, codeVerifier, returnTo, exp } = parsed;
      if (typeof exp !== 'number' || exp <= this.now()) return null;
      if (typeof state !== 'string' || typeof nonce !== 'string' || typeof codeVerifier !== 'string') return null;
      if (typeof returnTo !== 'string') return null;
      return { state, nonce, codeVerifier, returnTo };
    } catch {
      return null;
    }
  }
}
