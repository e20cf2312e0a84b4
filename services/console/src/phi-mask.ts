import { PHI_FIELDS } from '@novamed-stream/events';

/**
 * Columns of the de-identified views that the console still masks by default: the
 * pseudonyms (they link one person's rows), the address's city/state/ZIP and the medication.
 * With the event fields named in the events package's PHI list (patient ids, names,
 * addresses, medication), at any depth.
 */
export const MASKED_COLUMNS: readonly string[] = [
  'patient_pseudonym',
  'practitioner_pseudonym',
  'ship_city',
  'ship_state',
  'ship_zip5',
  ...PHI_FIELDS,
];

const MASKED = new Set(MASKED_COLUMNS);

/** A row with its PHI removed, and the paths of what was removed (the page shows a mask). */
export interface MaskedRecord {
  fields: Record<string, unknown>;
  /** Dotted paths of the masked values, e.g. `patient_pseudonym`, `data.shipping_address`. */
  masked: string[];
}

/**
 * Removes every value whose name is in {@link MASKED_COLUMNS}, at any depth of objects and
 * arrays (the value becomes null and its path is listed). Nothing masked reaches the browser:
 * showing it is a separate, audited request.
 */
export function maskRecord(record: Record<string, unknown>): MaskedRecord {
  const masked: string[] = [];
  const walk = (value: unknown, path: string): unknown => {
    if (Array.isArray(value)) return value.map((item, i) => walk(item, `${path}[${i}]`));
    if (value === null || typeof value !== 'object' || value instanceof Date) return value;
    const copy: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      const at = path === '' ? key : `${path}.${key}`;
      if (MASKED.has(key) && inner !== null && inner !== undefined) {
        masked.push(at);
        copy[key] = null;
      } else {
        copy[key] = walk(inner, at);
      }
    }
    return copy;
  };
  return { fields: walk(record, '') as Record<string, unknown>, masked };
}
