import { AppError } from '../errors.js';
import type { CitizenFacts } from '../registry/restriction.js';
import { type CitizenKey, citizenKeyOf } from './citizen-key.js';
import { validateIin } from './iin.js';

export interface Citizen {
  key: CitizenKey;
  facts: CitizenFacts;
}

/** Validates an IIN and turns it into what the registry may keep. The IIN goes no further. */
export function identifyCitizen(pepper: Buffer, iin: string): Citizen {
  const v = validateIin(iin);
  if (!v.ok) throw new AppError('invalid_iin', v.message);
  return { key: citizenKeyOf(pepper, iin), facts: { birthYear: v.facts.birthDate.year, sex: v.facts.sex } };
}
