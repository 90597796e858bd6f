import type { NodeId } from './merkle.js';

/** The transparency log, read side. Writes happen only inside the registry's own transactions. */
export interface LogRepository {
  /** The tree's size and latest signed checkpoint. */
  head(): Promise<{ size: number; checkpoint: string | null }>;
  /** Stored node hashes (perfect subtrees), in the order asked; throws if one is missing. */
  hashes(ids: readonly NodeId[]): Promise<Buffer[]>;
  /** Entries [start, end). */
  entries(start: number, end: number): Promise<Buffer[]>;
  /** Every checkpoint ever signed, by size. */
  checkpoints(): Promise<{ size: number; note: string }[]>;
  /** The state row: the tree's size, its right edge (largest subtree first) and latest checkpoint. */
  state(): Promise<{ size: number; rightEdge: Buffer[]; checkpoint: string | null }>;
  /** The stored nodes of one level with index in [start, end), by index; a missing node is simply absent. */
  nodeRange(level: number, start: number, end: number): Promise<{ index: number; hash: Buffer }[]>;
  /** How many entry and node rows are stored, to find rows the tree does not account for. */
  counts(): Promise<{ entries: number; nodes: number }>;
  /**
   * Runs `body` against one consistent snapshot of the log, so that a long audit is not confused by
   * appends made meanwhile. Only for a connection that nothing else writes through meanwhile (the CLI's).
   */
  snapshot<T>(body: () => Promise<T>): Promise<T>;
}
