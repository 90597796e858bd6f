import type { CitizenKey } from '../identity/citizen-key.js';

/**
 * An operator reading a citizen's record. Kept so that every reading has a name and a reason on
 * file; kept out of the transparency log, which is public and names no one.
 */
export interface Lookup {
  operator: string;
  citizenKey: CitizenKey;
  /** Why the record was read, e.g. 'show'. */
  purpose: string;
  at: Date;
}

export interface LookupRepository {
  /** Resolves once the lookup is durable, so a record is never shown without its trace. */
  record(lookup: Lookup): Promise<void>;
  /** Every lookup of this citizen, oldest first. */
  listByCitizen(citizenKey: CitizenKey): Promise<Lookup[]>;
}
