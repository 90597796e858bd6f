import fs from 'node:fs';
import { ENGINE } from './engine.js';
import { dumpTables, PgTamper } from './pg-tamper.js';
import { SqliteTamper } from './sqlite-tamper.js';

/**
 * A registry's storage as raw bytes, behind the store's back: to change its log so a test can prove verification
 * finds it, or to search everything stored for personal data. sqlite-tamper.ts and pg-tamper.ts do the work.
 */

/** Where a registry stores its data: the SQLite file, and what DATABASE_URL says. */
export interface StoreLocation {
  file: string;
  url: string;
}

/** Raw edits of a registry's stored log. */
export interface LogTamper {
  close(): Promise<void>;
  entry(idx: number): Promise<Buffer>;
  setEntry(idx: number, data: Buffer): Promise<void>;
  lastEntry(): Promise<{ idx: number; data: Buffer }>;
  deleteEntry(idx: number): Promise<void>;
  insertEntry(idx: number, data: Buffer): Promise<void>;
  /** The second checkpoint signed, by size. */
  secondCheckpoint(): Promise<{ size: number; note: string }>;
  setCheckpointNote(size: number, note: string): Promise<void>;
  /** A stored node of the Merkle tree at level 2. */
  levelTwoNode(): Promise<{ level: number; idx: number; hash: Buffer }>;
  setNodeHash(level: number, idx: number, hash: Buffer): Promise<void>;
  rightEdge(): Promise<Buffer>;
  setRightEdge(edge: Buffer): Promise<void>;
}

/** The tamperer for the engine the suite runs on: the SQLite file, or the PostgreSQL schema DATABASE_URL names. */
export async function openLogTamper(where: StoreLocation): Promise<LogTamper> {
  return ENGINE === 'postgres' ? PgTamper.open(where.url) : new SqliteTamper(where.file);
}

/** A named part of what a registry stores: a file (the database, its -wal, its -shm) or a table's rows. */
export interface StoredPart {
  name: string;
  bytes: Buffer;
}

/** Everything the registry has stored: on SQLite its file, WAL and shm as they are on disk; on PostgreSQL every table. */
export async function storedParts(where: StoreLocation): Promise<StoredPart[]> {
  if (ENGINE === 'postgres') return dumpTables(where.url);
  return ['', '-wal', '-shm']
    .map((suffix) => `${where.file}${suffix}`)
    .filter((p) => fs.existsSync(p))
    .map((p) => ({ name: p.slice(p.lastIndexOf('/') + 1), bytes: fs.readFileSync(p) }));
}
