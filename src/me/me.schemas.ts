import { type Static, Type } from 'typebox';
import { CHANNELS, LENDER_TYPES, RESTRICTION_KINDS } from '../registry/policy.js';
import type { TermRequest } from '../registry/term.js';

// The mobile API's request and answer shapes; the types the routes see are derived from them.
export const DateTime = Type.String({ format: 'date-time', description: 'An instant, RFC 3339 in UTC.' });
export const NullableDateTime = Type.Union([DateTime, Type.Null()]);
export const LenderType = Type.Enum(LENDER_TYPES, { description: 'bank: a bank; mfo: a microfinance organisation.' });
export const Channel = Type.Enum(CHANNELS, { description: 'remote: online or by phone; in_person: at a branch.' });

export const LenderSummary = Type.Object({
  id: Type.String(),
  name: Type.String(),
  bin: Type.String({ description: 'The lender’s 12-digit business identification number.' }),
  type: LenderType,
});

export const ActorSchema = Type.Object({
  kind: Type.Enum(['citizen', 'operator'], { description: 'citizen: you; operator: a service-centre employee.' }),
  name: Type.Optional(Type.String({ description: 'The operator’s name.' })),
});

export const RestrictionSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.Enum(RESTRICTION_KINDS),
    status: Type.Enum(['active', 'lift_pending', 'expired', 'lifted', 'scheduled']),
    version: Type.Integer({ description: 'Grows by one with every change.' }),
    lenderTypes: Type.Array(LenderType, { description: 'The lender types the ban covers.' }),
    channels: Type.Array(Channel, { description: 'The channels the ban covers.' }),
    startsAt: DateTime,
    endsAt: Type.Union([DateTime, Type.Null()], { description: 'When the ban ends; null: until cancelled.' }),
    lastDay: Type.Union([Type.String({ format: 'date' }), Type.Null()], {
      description: 'The last calendar day the ban covers (Asia/Almaty); null: until cancelled.',
    }),
    daysLeft: Type.Union([Type.Integer(), Type.Null()], { description: 'Calendar days left, today included.' }),
    liftRequestedAt: NullableDateTime,
    liftEffectiveAt: Type.Union([DateTime, Type.Null()], { description: 'When a requested lift takes effect.' }),
    exemptions: Type.Array(Type.Object({ lender: LenderSummary, startsAt: DateTime, endsAt: DateTime, actor: ActorSchema }), {
      description: 'Lenders let through the ban for a while.',
    }),
  },
  { description: 'The ban in force.' },
);

export const RestrictionAnswer = Type.Object({
  restriction: Type.Union([RestrictionSchema, Type.Null()], { description: 'null: no ban is in force.' }),
});

export const LiftAnswer = Type.Object({
  restriction: Type.Union([RestrictionSchema, Type.Null()], { description: 'null: the lift took effect at once.' }),
  liftEffectiveAt: Type.String({ format: 'date-time', description: 'When the ban stops (or stopped) applying.' }),
});

export const HistoryEntry = Type.Object({
  restrictionId: Type.String(),
  version: Type.Integer(),
  action: Type.Enum(['placed', 'changed', 'lift_requested', 'lift_cancelled', 'exemption_opened']),
  lenderTypes: Type.Array(LenderType),
  channels: Type.Array(Channel),
  endsAt: NullableDateTime,
  liftEffectiveAt: NullableDateTime,
  exemption: Type.Union([Type.Object({ lenderId: Type.String(), endsAt: DateTime }), Type.Null()]),
  actor: ActorSchema,
  at: DateTime,
});

export const CheckEntry = Type.Object({
  checkId: Type.String(),
  lender: LenderSummary,
  channel: Channel,
  reference: Type.String({ description: 'The lender’s own application reference.' }),
  restricted: Type.Boolean({ description: 'true: the lender was told not to lend.' }),
  checkedAt: DateTime,
});

export const Term = Type.Union(
  [
    Type.Object(
      { months: Type.Integer({ description: 'A number of calendar months from today.' }) },
      { additionalProperties: false },
    ),
    Type.Object(
      { until: Type.String({ maxLength: 32, description: 'The last day covered, YYYY-MM-DD (Asia/Almaty).' }) },
      { additionalProperties: false },
    ),
    Type.Object({ indefinite: Type.Literal(true) }, { additionalProperties: false, description: 'Until cancelled.' }),
  ],
  { description: 'How long the ban lasts: a number of months, a last day, or until cancelled.' },
);

// No minItems: an empty list is the scope rule's to refuse, as invalid_scope, the same answer as the portal and the CLI give.
export const LenderTypes = Type.Array(LenderType, {
  maxItems: 8,
  description: 'The lender types the ban covers; at least one (400 invalid_scope otherwise).',
});
export const Channels = Type.Array(Channel, {
  maxItems: 8,
  description: 'The channels the ban covers; at least one (400 invalid_scope otherwise).',
});

/** PUT: the whole ban. Nothing defaults, so a client that forgets a field is told rather than weakening the ban. */
export const PutBody = Type.Object(
  { lenderTypes: LenderTypes, channels: Channels, term: Term },
  { additionalProperties: false, description: 'Every part of the ban: lender types, channels and term.' },
);

/** PATCH: only what changes; everything omitted stays as it is. */
export const PatchBody = Type.Object(
  { lenderTypes: Type.Optional(LenderTypes), channels: Type.Optional(Channels), term: Type.Optional(Term) },
  { additionalProperties: false, minProperties: 1, description: 'At least one of lender types, channels and term.' },
);

export const ExemptionBody = Type.Object(
  {
    lenderBin: Type.String({ maxLength: 64, description: 'The BIN of the lender to let through.' }),
    hours: Type.Integer({ description: 'How long the lender is let through, in hours, up to the policy’s limit.' }),
  },
  { additionalProperties: false },
);

export function termOf(term: Static<typeof Term>): TermRequest {
  if ('months' in term) return { kind: 'months', months: term.months };
  if ('until' in term) return { kind: 'until', date: term.until };
  return { kind: 'indefinite' };
}
