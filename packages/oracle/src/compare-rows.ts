import type { EntityKind, ExpectedRow } from './lifecycle-plan.js';
import { LIFECYCLE_RULES } from './lifecycle-rules.js';

/** Where a read model's rows and the oracle's differ; ids and column names only (no values). */
export interface RowComparison {
  /** Expected rows with no actual row. */
  readonly missing: string[];
  /** Actual rows the oracle does not expect. */
  readonly unexpected: string[];
  /** Rows present on both sides whose columns differ, with the columns that do. */
  readonly mismatched: { readonly id: string; readonly columns: string[] }[];
  /** missing + unexpected + mismatched rows: 0 when the read model agrees. */
  readonly wrongRows: number;
}

/** A canonical JSON text: object keys sorted, `Date`s as ISO strings. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

function normalise(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : value;
}

/**
 * Compares a read model's rows with the oracle's, by id, column by column over the oracle's
 * columns (an actual row's extra columns, such as bookkeeping and lineage, are not compared).
 * Values compare as canonical JSON, so key order in objects does not matter; a `Date` equals
 * its ISO string. Report ids and column names only: values can be patient data.
 */
export function compareRows(
  kind: EntityKind,
  expected: readonly ExpectedRow[],
  actual: readonly object[],
): RowComparison {
  const idColumn = LIFECYCLE_RULES[kind].idColumn;
  const actualById = new Map(
    actual.map((row) => {
      const record = row as Record<string, unknown>;
      return [String(record[idColumn]), record];
    }),
  );
  const expectedIds = new Set<string>();
  const missing: string[] = [];
  const mismatched: { id: string; columns: string[] }[] = [];
  for (const want of expected) {
    const id = String(want[idColumn]);
    expectedIds.add(id);
    const got = actualById.get(id);
    if (got === undefined) {
      missing.push(id);
      continue;
    }
    const columns = Object.keys(want).filter(
      (column) => canonical(normalise(want[column])) !== canonical(normalise(got[column])),
    );
    if (columns.length > 0) mismatched.push({ id, columns });
  }
  const unexpected = [...actualById.keys()].filter((id) => !expectedIds.has(id));
  return {
    missing,
    unexpected,
    mismatched,
    wrongRows: missing.length + unexpected.length + mismatched.length,
  };
}
