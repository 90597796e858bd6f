export { actorOf, list, type Row, scopeOf } from '../row-values.js';

/** A nullable timestamptz column: pg already returns a Date. */
export const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : (v as Date));
