import type { CheckWithLender } from '../checks/check.js';
import type { Actor, RestrictionEvent } from './restriction.js';
import type { CitizenRecord, RestrictionView } from './restriction.service.js';
import { daysLeft, lastDayOf } from './term.js';

// The JSON shapes of a citizen's record, shared by the CLI and the APIs. Instants are RFC 3339 UTC.

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export function actorJson(a: Actor) {
  return a.kind === 'operator' ? { kind: a.kind, name: a.name } : { kind: a.kind };
}

export function restrictionJson(r: RestrictionView, now: Date) {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    version: r.version,
    lenderTypes: r.scope.lenderTypes,
    channels: r.scope.channels,
    startsAt: r.startsAt.toISOString(),
    endsAt: iso(r.endsAt),
    lastDay: r.endsAt === null ? null : lastDayOf(r.endsAt),
    daysLeft: r.endsAt === null ? null : daysLeft(r.endsAt, now),
    liftRequestedAt: iso(r.liftRequestedAt),
    liftEffectiveAt: iso(r.liftEffectiveAt),
    exemptions: r.openExemptions.map((e) => ({
      lender: e.lender,
      startsAt: e.startsAt.toISOString(),
      endsAt: e.endsAt.toISOString(),
      actor: actorJson(e.actor),
    })),
  };
}

export function eventJson(e: RestrictionEvent) {
  return {
    restrictionId: e.restrictionId,
    version: e.version,
    action: e.action,
    lenderTypes: e.scope.lenderTypes,
    channels: e.scope.channels,
    endsAt: iso(e.endsAt),
    liftEffectiveAt: iso(e.liftEffectiveAt),
    exemption: e.exemption === null ? null : { lenderId: e.exemption.lenderId, endsAt: e.exemption.endsAt.toISOString() },
    actor: actorJson(e.actor),
    at: e.at.toISOString(),
  };
}

export function citizenCheckJson(c: CheckWithLender) {
  return {
    checkId: c.id,
    lender: c.lender,
    channel: c.channel,
    reference: c.reference,
    restricted: c.restricted,
    checkedAt: c.checkedAt.toISOString(),
  };
}

export function recordJson(record: CitizenRecord, now: Date) {
  return {
    restriction: record.restriction === null ? null : restrictionJson(record.restriction, now),
    history: record.history.map(eventJson),
    checks: record.checks.map(citizenCheckJson),
  };
}
