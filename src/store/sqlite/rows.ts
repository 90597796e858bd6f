export { actorOf, list, type Row, scopeOf } from '../row-values.js';

/** Runs a write (its own transaction) and resolves once it is durable. */
export type Durable = <T>(write: () => T) => Promise<T>;

export const date = (v: unknown): Date => new Date(v as number);
export const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as number));
export const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());
