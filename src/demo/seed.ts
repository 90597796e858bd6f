import { computeCheckDigit, digitsOf } from '../identity/check-digit.js';
import { makeIin, type Sex } from '../identity/iin.js';
import type { Scope } from '../registry/restriction.js';
import type { TermRequest } from '../registry/term.js';
import type { Services } from '../services.js';

/** Synthetic people only: the IINs are generated, valid in form, and belong to no one. */
export interface DemoCitizen {
  label: string;
  iin: string;
  banned: string;
}

export interface DemoLender {
  id: string;
  name: string;
  type: 'bank' | 'mfo';
  bin: string;
  apiKey: string;
}

export interface DemoData {
  citizens: DemoCitizen[];
  lenders: DemoLender[];
}

/** The first valid IIN for a birth date and sex, searching serials from `from`. */
export function demoIin(year: number, month: number, day: number, sex: Sex, from = 1): string {
  for (let serial = from; serial < 10_000; serial++) {
    const iin = makeIin({ year, month, day }, sex, serial);
    if (iin !== null) return iin;
  }
  throw new Error('no valid serial');
}

/** A valid BIN from its first eleven digits (only the check digit is checked). */
export function demoBin(firstEleven: string): string {
  const c = computeCheckDigit(digitsOf(firstEleven));
  if (c === null) throw new Error(`no check digit exists for ${firstEleven}`);
  return `${firstEleven}${c}`;
}

interface CitizenPlan {
  label: string;
  iin: string;
  ban?: { scope?: Partial<Scope>; term: TermRequest; exemptMfoHours?: number };
}

export const DEMO_OPERATOR = 'Demo service centre (Almaty)';

export function demoCitizenPlans(): CitizenPlan[] {
  return [
    { label: 'Grandmother, 68', iin: demoIin(1958, 3, 14, 'female'), ban: { term: { kind: 'max' } } },
    {
      label: 'Gambling recovery, 36',
      iin: demoIin(1990, 7, 2, 'male'),
      ban: { term: { kind: 'indefinite' } },
    },
    {
      label: 'Remote loans only, 41',
      iin: demoIin(1985, 11, 23, 'female'),
      ban: { scope: { channels: ['remote'] }, term: { kind: 'months', months: 3 } },
    },
    {
      label: 'MFOs only, exemption open for the demo MFO, 47',
      iin: demoIin(1979, 5, 9, 'male'),
      ban: { scope: { lenderTypes: ['mfo'] }, term: { kind: 'indefinite' }, exemptMfoHours: 48 },
    },
    { label: 'No ban, 25', iin: demoIin(2001, 1, 30, 'female') },
    { label: 'No ban, 58', iin: demoIin(1968, 9, 17, 'male') },
  ];
}

/** Fills an empty registry with two lenders and a few synthetic citizens, some of them banned. */
export async function seedDemo(services: Services): Promise<DemoData> {
  const bank = await services.lenders.register({ name: 'Demo Bank JSC', bin: demoBin('99014000001'), type: 'bank' });
  const mfo = await services.lenders.register({ name: 'Demo Microfinance LLP', bin: demoBin('99024000002'), type: 'mfo' });
  const operator = { kind: 'operator' as const, name: DEMO_OPERATOR };
  const citizens: DemoCitizen[] = [];
  for (const plan of demoCitizenPlans()) {
    let banned = 'no';
    if (plan.ban) {
      await services.restrictions.place(plan.iin, { scope: plan.ban.scope, term: plan.ban.term }, operator);
      if (plan.ban.exemptMfoHours) {
        await services.restrictions.exempt(plan.iin, { lenderBin: mfo.lender.bin, hours: plan.ban.exemptMfoHours }, operator);
      }
      banned = 'yes';
    }
    citizens.push({ label: plan.label, iin: plan.iin, banned });
  }
  const lenders = [bank, mfo].map(({ lender, apiKey }) => ({
    id: lender.id,
    name: lender.name,
    type: lender.type,
    bin: lender.bin,
    apiKey,
  }));
  return { citizens, lenders };
}
