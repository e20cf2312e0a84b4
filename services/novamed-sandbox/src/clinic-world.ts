import type { Address } from '@novamed-stream/events';
import { LOCALITIES, STREET_NAMES, UNIT_PREFIXES } from './fake-data.js';
import type { Random } from './random.js';

/** A fake patient of a clinic: an id and the address orders ship to. PHI: never logged. */
export interface Patient {
  readonly id: string;
  readonly address: Address;
}

/** A fake prescriber of a clinic. */
export interface Practitioner {
  readonly id: string;
}

/** The people of one clinic that the generator's lifecycles refer to. */
export interface ClinicWorld {
  readonly clinicId: string;
  readonly patients: readonly Patient[];
  readonly practitioners: readonly Practitioner[];
}

/** Sizes of a generated clinic. */
export interface ClinicWorldSize {
  patients: number;
  practitioners: number;
}

/** A postal address in a real city, state and ZIP; one in five has a `line2`. */
export function fakeAddress(random: Random): Address {
  const locality = random.pick(LOCALITIES);
  const address: Address = {
    line1: `${random.int(1, 9899)} ${random.pick(STREET_NAMES)}`,
    city: locality.city,
    state: locality.state,
    zip: random.pick(locality.zips),
  };
  if (random.chance(0.2)) {
    address.line2 = `${random.pick(UNIT_PREFIXES)} ${random.int(1, 40)}${random.string(1, 'ABCD')}`;
  }
  return address;
}

/**
 * The patients and practitioners of one clinic, drawn from `random` (fork it per clinic so
 * each clinic's people depend only on the seed and the clinic id). Ids look like the guide's
 * (`pat_67890`, `prac_22222`), with enough digits to be unique across clinics.
 */
export function createClinicWorld(
  clinicId: string,
  random: Random,
  size: ClinicWorldSize = { patients: 60, practitioners: 5 },
): ClinicWorld {
  const patients: Patient[] = [];
  const seen = new Set<string>();
  const uniqueId = (prefix: string) => {
    for (;;) {
      const id = `${prefix}_${random.digits(10)}`;
      if (!seen.has(id)) {
        seen.add(id);
        return id;
      }
    }
  };
  for (let i = 0; i < size.patients; i++) {
    patients.push({ id: uniqueId('pat'), address: fakeAddress(random) });
  }
  const practitioners: Practitioner[] = [];
  for (let i = 0; i < size.practitioners; i++) practitioners.push({ id: uniqueId('prac') });
  return { clinicId, patients, practitioners };
}
