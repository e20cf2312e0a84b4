import type { Database } from '@novamed-stream/db';
import type { NovaMedEvent } from '@novamed-stream/events';
import { compareRows, type EntityKind, LifecyclePlans, plannedStage } from '@novamed-stream/oracle';
import {
  medicationRequestsProjector,
  ordersProjector,
  refillsProjector,
} from '@novamed-stream/projectors';
import type { AggregateState, OrderState, ReadModel } from '@novamed-stream/read-models';
import { generateEventMix, type MixMessage } from '@novamed-stream/testkit';
import fc from 'fast-check';
import { type Kysely, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  applyBatch,
  type BatchMessage,
  ensureVersionTables,
  type ProjectorDefinition,
  stateFromRow,
} from '../src/index.js';
import { asBatch, type RawEvent, rng, shuffle, useMigratedDatabase } from './fixtures.js';

const TOPIC = 'novamed.events.v1';
const DEFINITIONS = [ordersProjector, medicationRequestsProjector, refillsProjector] as const;
let db: Kysely<Database>;
let nextVersion = 0;

useMigratedDatabase('apply_batch_oracle', (opened) => {
  db = opened;
});

type Definition = ProjectorDefinition<AggregateState>;

/** Applies `messages` in random batch sizes at consecutive offsets of one partition. */
async function applyAll(
  definition: Definition,
  version: number,
  messages: readonly MixMessage[],
  random: () => number,
): Promise<void> {
  let offset = 0;
  while (offset < messages.length) {
    const size = 1 + Math.floor(random() * 40);
    const batch: BatchMessage[] = messages
      .slice(offset, offset + size)
      .map((m, i) => ({ offset: String(offset + i), value: m.value, headers: m.headers }));
    const outcome = await applyBatch(db, definition, version, {
      topic: TOPIC,
      partition: 0,
      messages: batch,
    });
    expect(outcome).toMatchObject({ ok: true, rejected: [] });
    offset += size;
  }
}

/** The read model's rows against the oracle's, for every planned event delivered. */
async function oracleComparison(definition: Definition, version: number, plans: LifecyclePlans) {
  const kind: EntityKind = definition.readModel.aggregate;
  const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(
    `${definition.name}_v${version}.${definition.table.stateTable}`,
  )}`.execute(db);
  return compareRows(
    kind,
    plans.expectedRows(kind),
    rows.map((row) => stateFromRow(definition, row)),
  );
}

describe('applyBatch on a real Postgres converges on the independent oracle', () => {
  it('random permutations, redeliveries and batchings of an interleaved mix of all three kinds reach the oracle rows', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        async (seed, duplicateShare) => {
          const random = rng(seed);
          const mix = generateEventMix({ runId: `p${seed}`, messages: 500, seed });
          const extra = mix.messages.filter(() => random() < duplicateShare);
          const delivered = shuffle([...mix.messages, ...extra], random);
          const version = ++nextVersion;
          for (const definition of DEFINITIONS) {
            await ensureVersionTables(db, definition as Definition, version);
            await applyAll(definition as Definition, version, delivered, random);
            const result = await oracleComparison(definition as Definition, version, mix.plans);
            expect(result, definition.name).toMatchObject({ wrongRows: 0 });
          }
        },
      ),
      { numRuns: 4, seed: 20251130 },
    );
  });

  it('bites: the orders projector with cancellations read as deliveries fails the comparison', async () => {
    const wrongModel: ReadModel<OrderState> = {
      ...ordersProjector.readModel,
      evolve: (state, event) =>
        ordersProjector.readModel.evolve(
          state,
          event.event_type === 'order:cancelled'
            ? ({ ...event, event_type: 'order:delivered' } as NovaMedEvent)
            : event,
        ),
    };
    const wrong = { ...ordersProjector, readModel: wrongModel } as unknown as Definition;
    const mix = generateEventMix({ runId: 'bite', messages: 600, seed: 5 });
    const cancelled = mix.plans
      .plans('order')
      .filter((p) => p.stages.some((s) => s.stage === 'cancelled'));
    expect(cancelled.length).toBeGreaterThan(0);
    const results = [];
    for (const definition of [ordersProjector as unknown as Definition, wrong]) {
      const version = ++nextVersion;
      await ensureVersionTables(db, definition, version);
      await applyAll(definition, version, mix.messages, rng(1));
      results.push(await oracleComparison(definition, version, mix.plans));
    }
    expect(results[0]).toMatchObject({ wrongRows: 0 });
    expect(results[1]?.mismatched.map((m) => m.id).sort()).toEqual(
      cancelled.map((p) => p.id).sort(),
    );
  });

  it('the same event_id with a different body: the first copy applied wins, across batches and within one', async () => {
    const order = (
      type: string,
      eventId: string,
      at: string,
      data: Record<string, unknown>,
    ): RawEvent => ({
      event_type: type,
      event_id: eventId,
      timestamp: at,
      clinic_id: 'clinic_same',
      data: { order_id: 'ord_same', ...data },
    });
    const created = order('order:created', 'evt_s1', '2025-02-01T10:00:00.000Z', {
      patient_id: 'p',
    });
    const shipped = order('order:shipped', 'evt_s2', '2025-02-01T12:00:00.000Z', {
      patient_id: 'p',
      medication_request_id: 'mr',
      carrier: 'UPS',
      tracking_number: 'T1',
      estimated_delivery: '2025-02-04',
      shipping_address: { line1: '1 Main Street', city: 'Austin', state: 'TX', zip: '73301' },
    });
    // Same event_id as `shipped`, another body: another stage, other values, another time.
    const impostor = order('order:cancelled', 'evt_s2', '2025-02-01T13:00:00.000Z', {
      reason: 'other body',
    });
    const cases: { name: string; batches: RawEvent[][]; first: RawEvent }[] = [
      {
        name: 'original first, copy in a later batch',
        batches: [[created, shipped], [impostor]],
        first: shipped,
      },
      {
        name: 'copy first, original in a later batch',
        batches: [[created, impostor], [shipped]],
        first: impostor,
      },
      {
        name: 'both in one batch, original first',
        batches: [[created, shipped, impostor]],
        first: shipped,
      },
      {
        name: 'both in one batch, copy first',
        batches: [[impostor, created, shipped]],
        first: impostor,
      },
    ];
    const definition = ordersProjector as unknown as Definition;
    for (const { name, batches, first } of cases) {
      const version = ++nextVersion;
      await ensureVersionTables(db, definition, version);
      let offset = 0;
      for (const events of batches) {
        const outcome = await applyBatch(db, definition, version, {
          topic: TOPIC,
          partition: 0,
          messages: asBatch(events, offset),
        });
        expect(outcome, name).toMatchObject({ ok: true, rejected: [] });
        offset += events.length;
      }
      // The oracle over the plan in topic order keeps an event_id's first stage.
      const plans = new LifecyclePlans();
      for (const events of batches) for (const e of events) plans.record(plannedStage(e));
      const result = await oracleComparison(definition, version, plans);
      expect(result, name).toMatchObject({ wrongRows: 0 });
      const [row] = (
        await sql<
          Record<string, unknown>
        >`select * from ${sql.table(`orders_v${version}.orders`)}`.execute(db)
      ).rows;
      expect(row?.['status'], name).toBe(first === shipped ? 'shipped' : 'cancelled');
      const history = await sql<{ event_type: string }>`select event_type from ${sql.table(
        `orders_v${version}.order_events`,
      )} where event_id = 'evt_s2'`.execute(db);
      expect(history.rows, name).toEqual([{ event_type: first.event_type }]);
    }
  });
});
