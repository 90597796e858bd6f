import type { CheckRecord } from '../checks/check.js';
import type { CitizenKey } from '../identity/citizen-key.js';
import type { LenderType, RestrictionKind } from '../registry/policy.js';
import type { RestrictionEvent } from '../registry/restriction.js';
import type { CheckEntry, RestrictionEventEntry } from '../verify/entry.js';

// What goes into the log for each event: the keyed hash of the IIN, never the IIN itself.

export function checkEntry(c: CheckRecord, lenderType: LenderType): CheckEntry {
  return {
    type: 'check',
    checkId: c.id,
    lenderId: c.lenderId,
    lenderType,
    citizenKey: c.citizenKey,
    channel: c.channel,
    reference: c.reference,
    restricted: c.restricted,
    checkedAt: c.checkedAt.toISOString(),
  };
}

export function eventEntry(e: RestrictionEvent, citizenKey: CitizenKey, kind: RestrictionKind): RestrictionEventEntry {
  return {
    type: 'restriction_event',
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
    actorName: e.actor.kind === 'operator' ? e.actor.name : null,
    at: e.at.toISOString(),
  };
}
