import { createHash } from 'node:crypto';
import type { Session } from 'fastify';
import type { SessionRepository } from './session.repository.js';

type Done = (err?: unknown) => void;

declare module 'fastify' {
  interface Session {
    /** When a store first saved the session (ms since the epoch): the start of its absolute lifetime. */
    createdAt?: number;
  }
}

/**
 * Where the portal keeps signed-in sessions: @fastify/session's store interface. A store ends a
 * session `idleMs` after it was last saved and `absoluteMs` after its `createdAt` (which the store
 * stamps at the first save), whichever comes first, and never answers with an ended one.
 */
export interface SessionStore {
  get(sessionId: string, callback: (err: unknown, session?: Session | null) => void): void;
  set(sessionId: string, session: Session, callback: Done): void;
  destroy(sessionId: string, callback: Done): void;
  /** Stops any background work; called when the app closes. */
  close?(): void;
}

export interface SharedSessionStoreOptions {
  idleMs: number;
  absoluteMs: number;
  /** Milliseconds since the epoch; the session cookie's own expiry is wall-clock time too. */
  now?: () => number;
}

/** What the store keys a session by: a stolen table holds no id that a cookie could carry. */
export function sessionIdHash(sessionId: string): Buffer {
  return createHash('sha256').update(sessionId, 'utf8').digest();
}

/**
 * Sessions in the registry's store, so that every node answers alike: a session made on one node is
 * honoured by the others, survives a restart, and sign-out ends it everywhere. Ended sessions are
 * never read back; the store's `purge` deletes them.
 */
export class SharedSessionStore implements SessionStore {
  private readonly repository: SessionRepository;
  private readonly idleMs: number;
  private readonly absoluteMs: number;
  private readonly now: () => number;

  constructor(repository: SessionRepository, options: SharedSessionStoreOptions) {
    this.repository = repository;
    this.idleMs = options.idleMs;
    this.absoluteMs = options.absoluteMs;
    this.now = options.now ?? Date.now;
  }

  get(sessionId: string, callback: (err: unknown, session?: Session | null) => void): void {
    this.repository
      .find(sessionIdHash(sessionId), new Date(this.now()))
      .then((json) => (json === null ? null : (JSON.parse(json) as Session)))
      .then(
        (session) => callback(null, session),
        (err) => callback(err),
      );
  }

  set(sessionId: string, session: Session, callback: Done): void {
    const now = this.now();
    // Stamped on the session itself, so that a session purged while a request was using it cannot
    // come back with a new lifetime when that request saves it.
    session.createdAt ??= now;
    const endsAt = Math.min(now + this.idleMs, session.createdAt + this.absoluteMs);
    const idHash = sessionIdHash(sessionId);
    const saved =
      endsAt > now ? this.repository.save(idHash, JSON.stringify(session), new Date(endsAt)) : this.repository.delete(idHash);
    saved.then(() => callback(), callback);
  }

  destroy(sessionId: string, callback: Done): void {
    this.repository.delete(sessionIdHash(sessionId)).then(() => callback(), callback);
  }

  /** How many sessions have not ended. */
  count(): Promise<number> {
    return this.repository.count(new Date(this.now()));
  }
}
