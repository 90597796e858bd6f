import type { Session } from 'fastify';

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
  /** Stops any background work (the sweep); called when the app closes. */
  close?(): void;
}

export interface MemorySessionStoreOptions {
  idleMs: number;
  absoluteMs: number;
  /** Past this many sessions the least recently used one is dropped, so memory stays bounded. */
  maxSessions?: number;
  /** How often ended sessions are swept out. */
  sweepMs?: number;
  /** Milliseconds since the epoch; the session cookie's own expiry is wall-clock time too. */
  now?: () => number;
}

interface Entry {
  /** The session as JSON: a copy, as a shared store would hold, never the live object and its request. */
  json: string;
  endsAt: number;
}

/**
 * Sessions in this process's memory, bounded in time and in number. A Map keeps insertion
 * order, so moving an entry to the end on every use makes its first key the least recently used.
 */
export class MemorySessionStore implements SessionStore {
  private readonly entries = new Map<string, Entry>();
  private readonly idleMs: number;
  private readonly absoluteMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;

  constructor(options: MemorySessionStoreOptions) {
    this.idleMs = options.idleMs;
    this.absoluteMs = options.absoluteMs;
    this.maxSessions = options.maxSessions ?? 50_000;
    this.now = options.now ?? Date.now;
    this.timer = setInterval(() => this.sweep(), options.sweepMs ?? 60_000);
    // The sweep alone must never keep the process alive.
    this.timer.unref();
  }

  get size(): number {
    return this.entries.size;
  }

  get(sessionId: string, callback: (err: unknown, session?: Session | null) => void): void {
    const entry = this.entries.get(sessionId);
    if (entry === undefined || entry.endsAt <= this.now()) {
      this.entries.delete(sessionId);
      callback(null, null);
      return;
    }
    // Moved to the end: the most recently used.
    this.entries.delete(sessionId);
    this.entries.set(sessionId, entry);
    callback(null, JSON.parse(entry.json) as Session);
  }

  set(sessionId: string, session: Session, callback: Done): void {
    const now = this.now();
    // Stamped on the session itself, so that a session swept while a request was using it cannot
    // come back with a new lifetime when that request saves it.
    session.createdAt ??= now;
    const endsAt = Math.min(now + this.idleMs, session.createdAt + this.absoluteMs);
    this.entries.delete(sessionId);
    if (endsAt > now) {
      this.entries.set(sessionId, { json: JSON.stringify(session), endsAt });
      for (const oldest of this.entries.keys()) {
        if (this.entries.size <= this.maxSessions) break;
        this.entries.delete(oldest);
      }
    }
    callback();
  }

  destroy(sessionId: string, callback: Done): void {
    this.entries.delete(sessionId);
    callback();
  }

  /** Drops every session that has ended; returns how many. */
  sweep(): number {
    const now = this.now();
    let swept = 0;
    for (const [id, entry] of this.entries) {
      if (entry.endsAt <= now) {
        this.entries.delete(id);
        swept++;
      }
    }
    return swept;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
