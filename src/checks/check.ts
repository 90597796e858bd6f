import type { CitizenKey } from '../identity/citizen-key.js';
import type { Lender } from '../lenders/lender.js';
import type { Channel } from '../registry/policy.js';

/** One lender's question and the registry's answer, as recorded before the answer is sent. */
export interface CheckRecord {
  id: string;
  lenderId: string;
  citizenKey: CitizenKey;
  channel: Channel;
  reference: string;
  restricted: boolean;
  checkedAt: Date;
  /** The ban and version that decided the answer, kept as evidence; never shown to the lender. */
  restrictionId: string | null;
  restrictionVersion: number | null;
  /** Its index in the transparency log, once recorded. */
  logIndex?: number | null;
}

export interface CheckWithLender extends CheckRecord {
  lender: Pick<Lender, 'id' | 'name' | 'bin' | 'type'>;
}
