import { pseudonymSql } from '@novamed-stream/db';
import { LINEAGE_COLUMNS } from '@novamed-stream/projection';
import { describe, expect, it } from 'vitest';
import {
  ALL_PROJECTORS,
  MEDICATION_REQUEST_ANALYTICS_FIELDS,
  ORDER_ANALYTICS_FIELDS,
  REFILL_ANALYTICS_FIELDS,
} from '../src/index.js';

const ALLOW_LISTS: Record<string, readonly string[]> = {
  orders: ORDER_ANALYTICS_FIELDS,
  medication_requests: MEDICATION_REQUEST_ANALYTICS_FIELDS,
  refills: REFILL_ANALYTICS_FIELDS,
};

// SQL words the hand-written views use; any other bare identifier must be a column.
const SQL_WORDS = new Set(
  'select from where as and or is not null in count filter coalesce group by at time zone date'.split(
    ' ',
  ),
);

/** Bare identifiers a view reads: no string literals, aliases, pseudonym internals or schema. */
function referencedColumns(select: string): string[] {
  let text = select;
  for (const kind of ['patient', 'practitioner'] as const) {
    text = text
      .replaceAll(pseudonymSql(kind, 'patient_id'), ' ')
      .replaceAll(pseudonymSql(kind, 'practitioner_id'), ' ');
  }
  text = text
    .replaceAll(/'[^']*'/g, ' ')
    .replaceAll(/\bas\s+[a-z_0-9]+/g, ' ')
    .replaceAll(/\bS\.[a-z_]+/g, ' ');
  const words = text.match(/\b[a-z_][a-z_0-9]*\b/g) ?? [];
  return [...new Set(words.filter((w) => !SQL_WORDS.has(w) && !/^\d/.test(w)))];
}

describe.each(ALL_PROJECTORS.map((d) => [d.name, d] as const))(
  'the %s analytics views',
  (name, definition) => {
    const { schema } = definition.readModel;
    const columns = new Set([
      definition.table.idColumn,
      ...definition.table.columns.map((c) => c.name),
      ...LINEAGE_COLUMNS.map((c) => c.name),
    ]);

    it('allow-list no data key of a field the schema drops, pseudonymises or reduces', () => {
      const allowed = ALLOW_LISTS[name];
      expect(allowed).toBeDefined();
      for (const [field, annotations] of Object.entries(schema.properties)) {
        if (annotations.deidentify === 'keep' || annotations.source === undefined) continue;
        expect(
          allowed ?? [],
          `${field} is ${JSON.stringify(annotations.deidentify)}`,
        ).not.toContain(annotations.source.key ?? field);
      }
    });

    it('derive the state view from the schema: kept columns, pseudonyms, never a dropped one', () => {
      const select =
        definition.views?.find((v) => v.name === definition.table.stateTable)?.select('S') ?? '';
      for (const [field, annotations] of Object.entries(schema.properties)) {
        const rule = annotations.deidentify;
        const listed = new RegExp(`(^|[\\s,])${field}(,|\\s|$)`).test(select);
        if (rule === 'keep') expect(listed, field).toBe(true);
        else if (rule === 'drop') expect(select, field).not.toMatch(new RegExp(`\\b${field}\\b`));
        else if (typeof rule === 'object' && 'pseudonym' in rule) {
          expect(select).toContain(`as ${rule.pseudonym}_pseudonym`);
          expect(listed, `${field} is listed as it is`).toBe(false);
        }
      }
    });

    // The first two views are derived from the schema; the rest are hand-written SQL.
    it.each((definition.views ?? []).slice(2).map((v) => [v.name, v] as const))(
      '%s reads only columns of the state schema or the lineage',
      (_view, view) => {
        const unknown = referencedColumns(view.select('S')).filter((w) => !columns.has(w));
        expect(unknown).toEqual([]);
      },
    );
  },
);
