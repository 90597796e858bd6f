import { AppError } from '../errors.js';
import { formatProof } from '../verify/receipt.js';
import type { LogRepository } from './log.repository.js';
import { assembleAsync, consistencyPlan, inclusionPlan, type NodeId, rootPlan } from './merkle.js';
import type { Receipt } from './sequencer.js';
import { entriesTileWidth, entryBundle, TILE_WIDTH, tileWidth } from './tiles.js';

/** The read side of the transparency log: checkpoints, proofs, receipts and tiles. */
export class LogService {
  constructor(
    private readonly repo: LogRepository,
    /** The note verifier key that checks this log's checkpoints, or null when no key is configured. */
    readonly verifierKey: string | null,
    readonly origin: string,
  ) {}

  private readMany = (ids: NodeId[]) => this.repo.hashes(ids);

  async checkpoint(): Promise<string> {
    const head = await this.repo.head();
    if (head.checkpoint === null) throw new AppError('not_found', 'The log is empty; no checkpoint has been signed yet.');
    return head.checkpoint;
  }

  private async head(): Promise<{ size: number; checkpoint: string }> {
    const head = await this.repo.head();
    if (head.checkpoint === null) throw new AppError('not_found', 'The log is empty.');
    return { size: head.size, checkpoint: head.checkpoint };
  }

  /** A receipt for an earlier entry, against the latest checkpoint. */
  async receipt(index: number): Promise<Receipt> {
    const { size, checkpoint } = await this.head();
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new AppError('not_found', 'No such log entry.');
    const [entry] = await this.repo.entries(index, index + 1);
    if (entry === undefined) throw new AppError('not_found', 'No such log entry.');
    const proof = await assembleAsync(inclusionPlan(index, size), this.readMany);
    return { logIndex: index, entry, receipt: formatProof({ index, proof, checkpoint }) };
  }

  /** The canonical bytes of one entry. */
  async entry(index: number): Promise<Buffer> {
    const [entry] = await this.repo.entries(index, index + 1);
    if (entry === undefined) throw new AppError('not_found', 'No such log entry.');
    return entry;
  }

  /** Throws not_found when the tree has not reached `size` leaves yet. */
  private async requireReached(size: number): Promise<void> {
    const head = await this.repo.head();
    // The size asked for is not echoed: any number in a URL may be someone's IIN.
    if (size > head.size) throw new AppError('not_found', `The log has ${head.size} entries; it has not reached that size.`);
  }

  /**
   * RFC 9162 §2.1.3 inclusion proof of entry `index` in the tree of `size` leaves, with that tree's root.
   * invalid_request unless 0 ≤ index < size; not_found when the log is smaller than `size`.
   */
  async inclusionProof(index: number, size: number): Promise<{ index: number; size: number; root: string; proof: string[] }> {
    if (!Number.isSafeInteger(size) || size < 1) throw new AppError('invalid_request', 'The size must be at least 1.');
    if (!Number.isSafeInteger(index) || index < 0 || index >= size)
      throw new AppError('invalid_request', 'The index must be from 0 to the size minus 1.');
    await this.requireReached(size);
    const proof = await assembleAsync(inclusionPlan(index, size), this.readMany);
    const [root] = await assembleAsync(rootPlan(size), this.readMany);
    return { index, size, root: (root as Buffer).toString('base64'), proof: proof.map((h) => h.toString('base64')) };
  }

  /**
   * RFC 9162 §2.1.4 consistency proof from the tree of `from` leaves to the tree of `to` leaves.
   * invalid_request unless 1 ≤ from ≤ to; not_found when the log is smaller than `to`.
   */
  async consistencyProof(from: number, to: number): Promise<{ from: number; to: number; proof: string[] }> {
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 1 || from > to)
      throw new AppError('invalid_request', 'The sizes must satisfy 1 ≤ from ≤ to.');
    await this.requireReached(to);
    const proof = await assembleAsync(consistencyPlan(from, to), this.readMany);
    return { from, to, proof: proof.map((h) => h.toString('base64')) };
  }

  /** A hash tile (tlog-tiles): W hashes of level-8·L nodes, or null when the tree is too small for it. */
  async tile(level: number, index: number, width: number | undefined): Promise<Buffer | null> {
    const { size } = await this.head();
    const available = tileWidth(level, index, size);
    const w = width ?? TILE_WIDTH;
    if (available < w || (width === undefined && available < TILE_WIDTH)) return null;
    const ids: NodeId[] = [];
    for (let i = 0; i < w; i++) ids.push({ level: level * 8, index: index * TILE_WIDTH + i });
    return Buffer.concat(await this.repo.hashes(ids));
  }

  /** An entry bundle (tlog-tiles): W entries, each with its 16-bit length. */
  async entriesTile(index: number, width: number | undefined): Promise<Buffer | null> {
    const { size } = await this.head();
    const available = entriesTileWidth(index, size);
    const w = width ?? TILE_WIDTH;
    if (available < w || (width === undefined && available < TILE_WIDTH)) return null;
    return entryBundle(await this.repo.entries(index * TILE_WIDTH, index * TILE_WIDTH + w));
  }
}
