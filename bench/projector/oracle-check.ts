import type { Database } from '@novamed-stream/db';
import { compareRows, type LifecyclePlans } from '@novamed-stream/oracle';
import { type ProjectorDefinition, stateFromRow } from '@novamed-stream/projection';
import type { AggregateState } from '@novamed-stream/read-models';
import { type Kysely, sql } from 'kysely';

/** One read-model version's rows against the oracle's. */
export interface OracleVersionCheck {
  projector: string;
  version: number;
  rows: number;
  expectedRows: number;
  missing: number;
  unexpected: number;
  mismatched: number;
  /** Columns that differed, with how many rows each (names only, never values). */
  columns: Record<string, number>;
}

/** Whether every checked version holds exactly the oracle's rows. */
export interface OracleCheck {
  ok: boolean;
  checks: OracleVersionCheck[];
}

/**
 * Compares the rows a benchmark left in each read model's version tables with the independent
 * oracle's rows for the generated mix (`generateEventMix(...).plans`, every planned event
 * delivered). Versions whose tables do not exist (variants skipped) are left out. Logs one line
 * per version; the caller decides what a mismatch does to the run.
 */
export async function checkRowsWithOracle(
  db: Kysely<Database>,
  plans: LifecyclePlans,
  definitions: readonly ProjectorDefinition<AggregateState>[],
  versions: readonly number[],
  log: (line: string) => void,
): Promise<OracleCheck> {
  const checks: OracleVersionCheck[] = [];
  for (const definition of definitions) {
    const kind = definition.readModel.aggregate;
    const expected = plans.expectedRows(kind);
    for (const version of versions) {
      const table = `${definition.name}_v${version}.${definition.table.stateTable}`;
      const exists = await sql<{
        t: string | null;
      }>`select to_regclass(${table})::text as t`.execute(db);
      if (exists.rows[0]?.t == null) continue;
      const rows = (
        await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db)
      ).rows;
      const result = compareRows(
        kind,
        expected,
        rows.map((row) => stateFromRow(definition, row)),
      );
      const columns: Record<string, number> = {};
      for (const m of result.mismatched) {
        for (const c of m.columns) columns[c] = (columns[c] ?? 0) + 1;
      }
      const check: OracleVersionCheck = {
        projector: definition.name,
        version,
        rows: rows.length,
        expectedRows: expected.length,
        missing: result.missing.length,
        unexpected: result.unexpected.length,
        mismatched: result.mismatched.length,
        columns,
      };
      checks.push(check);
      log(
        `oracle ${definition.name} v${version}: ${result.wrongRows === 0 ? 'OK' : 'MISMATCH'} (${rows.length}/${expected.length} rows, ${check.missing} missing, ${check.unexpected} unexpected, ${check.mismatched} differ${result.wrongRows === 0 ? '' : `: ${JSON.stringify(columns)}`})`,
      );
    }
  }
  return {
    ok: checks.length > 0 && checks.every((c) => c.missing + c.unexpected + c.mismatched === 0),
    checks,
  };
}
