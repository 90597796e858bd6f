import type { Channel, LenderType } from '../registry/policy.js';
import type { Actor, Scope } from '../registry/restriction.js';

/** A row as either engine returns it: column name to value. */
export type Row = Record<string, unknown>;

// Scopes are few (at most nine combinations), so parsed ones are shared rather than re-split per read.
const scopeCache = new Map<string, string[]>();
/** A comma-separated column (`lender_types`, `channels`), as both engines store it. */
export function list<T extends string>(csv: string): T[] {
  let v = scopeCache.get(csv);
  if (v === undefined) {
    v = csv.split(',');
    scopeCache.set(csv, v);
  }
  return v as T[];
}
export const scopeOf = (r: Row): Scope => ({
  lenderTypes: list<LenderType>(r.lender_types as string),
  channels: list<Channel>(r.channels as string),
});
export const actorOf = (r: Row): Actor =>
  r.actor_kind === 'operator' ? { kind: 'operator', name: r.actor_name as string } : { kind: 'citizen' };
