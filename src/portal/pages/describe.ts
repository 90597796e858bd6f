import type { Channel, LenderType } from '../../registry/policy.js';
import type { Actor, Scope } from '../../registry/restriction.js';
import { lastDayOf } from '../../registry/term.js';
import type { Translator } from '../i18n.js';

/** A ban's scope in plain words, e.g. "Banks and microfinance organisations, online and in person". */
export function describeScope(scope: Scope, tr: Translator): string {
  const types = scope.lenderTypes.length === 2 ? tr.t('scope.types.all') : tr.t(`scope.types.${scope.lenderTypes[0]}`);
  const channels = scope.channels.length === 2 ? tr.t('scope.channels.all') : tr.t(`scope.channels.${scope.channels[0]}`);
  return tr.t('scope.sentence', { types, channels });
}

/** A calendar day (YYYY-MM-DD, Asia/Almaty) in words; noon keeps it on the same day in any reading. */
export function calendarDate(isoDate: string, tr: Translator): string {
  return tr.date(new Date(`${isoDate}T12:00:00+05:00`));
}

/** A ban's term in plain words: "Until the end of 30 May 2027" or "Until you cancel it". */
export function describeTerm(endsAt: Date | null, tr: Translator): string {
  return endsAt === null ? tr.t('term.untilCancelled') : tr.t('term.untilEndOf', { date: calendarDate(lastDayOf(endsAt), tr) });
}

/** Who made a change: "You", or the service-centre operator by name. */
export function describeActor(actor: Actor, tr: Translator): string {
  return actor.kind === 'operator' ? tr.t('actor.operator', { name: actor.name }) : tr.t('actor.citizen');
}

export function describeLenderType(type: LenderType, tr: Translator): string {
  return tr.t(`lenderType.${type}`);
}

export function describeChannel(channel: Channel, tr: Translator): string {
  return tr.t(`channel.${channel}`);
}
