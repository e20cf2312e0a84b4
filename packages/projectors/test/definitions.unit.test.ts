import { describe, expect, it } from 'vitest';
import { PROJECTORS } from '../src/index.js';

describe.each(Object.values(PROJECTORS))('$name projector definition', (definition) => {
  it('has a column for every state field and no other', () => {
    const state = definition.readModel.initial('id-1', 'clinic-1');
    const fields = Object.keys(state)
      .filter((f) => f !== definition.table.idColumn)
      .sort();
    const columns = definition.table.columns.map((c) => c.name).sort();
    expect(columns).toEqual(fields);
    expect(state).toHaveProperty(definition.table.idColumn, 'id-1');
  });

  it('stores partner values in columns that accept any value', () => {
    for (const column of definition.table.columns) {
      const isStage = column.name.endsWith('_at');
      if (column.type === 'timestamptz') expect(isStage).toBe(true);
      expect(['text', 'numeric', 'jsonb', 'timestamptz']).toContain(column.type);
    }
  });
});
