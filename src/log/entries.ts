import type { CheckRecord } from '../checks/check.js';
import type { LoggedCheck } from '../checks/check.repository.js';
import type { CitizenKey } from '../identity/citizen-key.js';
import type { LenderType, RestrictionKind } from '../registry/policy.js';
import type { Mutation, RestrictionEvent } from '../registry/restriction.js';
import type { LoggedMutation } from '../registry/restriction.repository.js';
import { type CheckEntry, encodeEntry, operatorHash, type RestrictionEventEntry, referenceHash } from '../verify/entry.js';

// What goes into the log for each event: the keyed hash of the IIN, never the IIN itself, and no free text:
// the reference and an operator's name only as salted commitments (entry format version 2).

export function checkEntry(c: CheckRecord, lenderType: LenderType): CheckEntry {
  return {
    type: 'check',
    entryVersion: 2,
    checkId: c.id,
    lenderId: c.lenderId,
    lenderType,
    citizenKey: c.citizenKey,
    channel: c.channel,
    referenceHash: referenceHash(c.id, c.reference),
    restricted: c.restricted,
    checkedAt: c.checkedAt.toISOString(),
  };
}

export function eventEntry(e: RestrictionEvent, citizenKey: CitizenKey, kind: RestrictionKind): RestrictionEventEntry {
  return {
    type: 'restriction_event',
    entryVersion: 2,
    eventId: e.id,
    restrictionId: e.restrictionId,
    citizenKey,
    kind,
    version: e.version,
    action: e.action,
    lenderTypes: [...e.scope.lenderTypes],
    channels: [...e.scope.channels],
    endsAt: e.endsAt?.toISOString() ?? null,
    liftEffectiveAt: e.liftEffectiveAt?.toISOString() ?? null,
    exemptionLenderId: e.exemption?.lenderId ?? null,
    exemptionEndsAt: e.exemption?.endsAt.toISOString() ?? null,
    actorKind: e.actor.kind,
    operatorHash: e.actor.kind === 'operator' ? operatorHash(e.id, e.actor.name) : null,
    at: e.at.toISOString(),
  };
}

/**
 * A check with its encoded entry. Encoding validates every field, so it happens here, for one request,
 * before the check joins a batch shared with other lenders.
 */
export function logCheck(record: CheckRecord, lenderType: LenderType): LoggedCheck {
  return { record, entry: encodeEntry(checkEntry(record, lenderType)) };
}

/** A planned change with its events' encoded entries, for the store to integrate in the change's transaction. */
export function logMutation(mutation: Mutation, citizenKey: CitizenKey): LoggedMutation {
  const kind = mutation.restriction.kind;
  return { mutation, entries: mutation.events.map((e) => encodeEntry(eventEntry(e, citizenKey, kind))) };
}
