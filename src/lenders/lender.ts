import type { LenderType } from '../registry/policy.js';

export type LenderStatus = 'active' | 'revoked';

export interface Lender {
  id: string;
  name: string;
  bin: string;
  type: LenderType;
  status: LenderStatus;
  /** The first characters of the current key, to tell keys apart; the key itself is never stored. */
  keyPrefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}
