import { randomFillSync } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

// Random bytes are drawn in blocks rather than one system call per id: ids are made on every check.
const POOL = Buffer.allocUnsafe(16 * 256);
let offset = POOL.length;

/** A new time-ordered id (UUIDv7): inserts land at the end of the index, and ids sort by creation. */
export function newId(): string {
  if (offset === POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const random = POOL.subarray(offset, offset + 16);
  offset += 16;
  return uuidv7({ random });
}
