import type { Scope } from '../../registry/restriction.js';
import type { Translator } from '../i18n.js';

/** A ban's scope in plain words, e.g. "Banks and microfinance organisations, online and in person". */
export function describeScope(scope: Scope, tr: Translator): string {
  const types = scope.lenderTypes.length === 2 ? tr.t('scope.types.all') : tr.t(`scope.types.${scope.lenderTypes[0]}`);
  const channels = scope.channels.length === 2 ? tr.t('scope.channels.all') : tr.t(`scope.channels.${scope.channels[0]}`);
  return tr.t('scope.sentence', { types, channels });
}
