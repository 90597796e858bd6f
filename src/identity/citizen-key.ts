import { createHmac } from 'node:crypto';

/**
 * The only identifier of a citizen that is ever stored: HMAC-SHA-256 of the IIN under the
 * pepper, a secret kept outside the database. Without the pepper a stolen database cannot
 * be matched to people, even by trying every possible IIN.
 */
export type CitizenKey = Buffer;

export function citizenKeyOf(pepper: Buffer, iin: string): CitizenKey {
  return createHmac('sha256', pepper).update(iin, 'latin1').digest();
}
