import { ordersProjector, refillsProjector } from '@novamed-stream/projectors';
import type { OrderState } from '@novamed-stream/read-models';
import { describe, expect, it } from 'vitest';
import { logicFingerprint, type ProjectorDefinition } from '../src/index.js';

describe('logicFingerprint', () => {
  it('is stable for the same logic and differs between projectors', () => {
    expect(logicFingerprint(ordersProjector)).toBe(logicFingerprint(ordersProjector));
    expect(logicFingerprint(ordersProjector)).toMatch(/^[0-9a-f]{32}$/);
    expect(logicFingerprint(ordersProjector)).not.toBe(logicFingerprint(refillsProjector));
  });

  it('changes when what the read model computes changes', () => {
    const changed: ProjectorDefinition<OrderState> = {
      ...ordersProjector,
      readModel: {
        ...ordersProjector.readModel,
        // A release that stops recording carriers.
        evolve: (state, event) => ({
          ...ordersProjector.readModel.evolve(state, event),
          carrier: null,
        }),
      },
    };
    expect(logicFingerprint(changed)).not.toBe(logicFingerprint(ordersProjector));
  });

  it('changes with a column type, not with a comment or the analytics views', () => {
    const withColumns = (
      change: (c: { name: string }) => object,
    ): ProjectorDefinition<OrderState> => ({
      ...ordersProjector,
      table: {
        ...ordersProjector.table,
        columns: ordersProjector.table.columns.map((c) =>
          c.name === 'carrier' ? { ...c, ...change(c) } : c,
        ),
      },
    });
    const base = logicFingerprint(ordersProjector);
    expect(logicFingerprint(withColumns(() => ({ type: 'jsonb' })))).not.toBe(base);
    expect(logicFingerprint(withColumns(() => ({ comment: 'shipping company' })))).toBe(base);
    expect(logicFingerprint({ ...ordersProjector, views: [] })).toBe(base);
  });
});
