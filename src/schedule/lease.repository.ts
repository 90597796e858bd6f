/**
 * Leases on named jobs, so that of several nodes on one store only one runs a job in a given period. A lease
 * is a row (name, holder, until); it is taken or renewed by one conditional upsert, so two nodes asking at
 * once cannot both get it.
 */
export interface LeaseRepository {
  /**
   * Takes the lease `name` for `holder` until `until`, if nobody holds it at `now` (no row, or its `until` is at
   * or before `now`). Returns whether `holder` got it. A holder renews by taking it again once its lease ended.
   */
  take(name: string, holder: string, now: Date, until: Date): Promise<boolean>;
  /** Who holds the lease and until when, or null if it was never taken. */
  find(name: string): Promise<{ holder: string; until: Date } | null>;
}
