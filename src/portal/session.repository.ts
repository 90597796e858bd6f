/**
 * Where signed-in portal sessions are kept, so that any node serving the portal honours a session
 * another node made, and a restart ends none. A session is found by the SHA-256 of its id only:
 * the id itself, which the browser's cookie carries, is never stored.
 */
export interface SessionRepository {
  /** The session's JSON, unless there is none or it ended at or before `now`. */
  find(idHash: Buffer, now: Date): Promise<string | null>;
  /** Creates or replaces the session, to end at `endsAt`. */
  save(idHash: Buffer, data: string, endsAt: Date): Promise<void>;
  delete(idHash: Buffer): Promise<void>;
  /** How many sessions have not ended by `now`. */
  count(now: Date): Promise<number>;
  /** Deletes the sessions that ended at or before `before`; returns how many. */
  purge(before: Date): Promise<number>;
}
