import { createHash } from 'node:crypto';
import { aggregateOf, decodeEvent, EVENT_TYPES, type NovaMedEvent } from '@novamed-stream/events';
import { type AggregateState, project } from '@novamed-stream/read-models';
import type { ProjectorDefinition } from './projector-definition.js';

const PROBE_START = Date.parse('2025-01-15T08:00:00.000Z');

/** Every field any event type may carry, with a value that varies with `n`. */
function probeData(type: string, aggregate: string, n: number): Record<string, unknown> {
  const at = (hours: number) => new Date(PROBE_START + (n * 10 + hours) * 3_600_000).toISOString();
  return {
    order_id: `ord_probe_${aggregate}`,
    medication_request_id: `mr_probe_${aggregate}`,
    refill_id: `rf_probe_${aggregate}`,
    patient_id: `pat_probe_${n % 2}`,
    practitioner_id: `prac_probe_${n % 3}`,
    medication_name: n % 2 === 0 ? 'Amoxicillin 500mg' : 'Lisinopril 10mg',
    quantity: 10 + n,
    refills: n % 4,
    tracking_number: `1Z${n}`,
    carrier: n % 2 === 0 ? 'UPS' : 'FedEx',
    estimated_delivery: '2025-01-18',
    shipping_address:
      n % 3 === 0
        ? {
            line1: `${n} Main Street`,
            line2: null,
            city: 'San Francisco',
            state: 'CA',
            zip: '94102',
          }
        : { line1: `${n} Oak Avenue`, city: 'Austin', state: 'TX', zip: '73301' },
    reason: n % 2 === 0 ? 'patient request' : null,
    approved_at: at(1),
    filled_at: at(2),
    delivered_at: at(3),
    cancelled_at: at(4),
    requested_at: at(0),
    denied_at: at(5),
    probe_unknown_field: { type, n },
  };
}

interface ProbeEvent {
  event_type: string;
  event_id: string;
  timestamp: string;
  clinic_id: string;
  data: Record<string, unknown>;
}

/**
 * A fixed set of deliveries exercising every documented event type (and an unknown one): per
 * aggregate kind, one aggregate through its whole lifecycle in order, one in reverse with a
 * timestamp tie and a redelivery, and one with a terminal event before later ones.
 */
function probeEvents(): ProbeEvent[] {
  const events: ProbeEvent[] = [];
  for (const kind of ['order', 'medication_request', 'refill'] as const) {
    const types = [...EVENT_TYPES.filter((t) => aggregateOf(t) === kind), `${kind}:probe_unknown`];
    const scenarios: Array<{ name: string; order: string[]; tie: boolean }> = [
      { name: 'forward', order: types, tie: false },
      { name: 'reverse', order: [...types].reverse(), tie: true },
      {
        name: 'terminal-first',
        order: [types[types.length - 2]!, ...types.slice(0, 2)],
        tie: false,
      },
    ];
    for (const scenario of scenarios) {
      const aggregate = `${kind}_${scenario.name}`;
      scenario.order.forEach((type, n) => {
        const hour = scenario.tie && n === 1 ? 0 : types.indexOf(type);
        const event = {
          event_type: type,
          event_id: `evt_probe_${aggregate}_${n}`,
          timestamp: new Date(PROBE_START + hour * 3_600_000).toISOString(),
          clinic_id: `clinic_probe_${n % 2}`,
          data: probeData(type, aggregate, n),
        };
        events.push(event);
        if (n === 0) events.push(event); // a redelivery
      });
    }
  }
  return events;
}

/**
 * A digest of the logic that decides a projector's rows: its tables and columns (names and
 * types), and what its event validation and read model compute from a fixed probe of
 * deliveries (every event type, out of order, with a redelivery and a timestamp tie). Two
 * builds with the same fingerprint ran the same logic (as far as the probe can tell), so their
 * rows must be equal; a different fingerprint means the logic changed and differences are
 * expected. Column comments and analytics views do not count: they do not change rows.
 */
export function logicFingerprint<S extends AggregateState>(
  definition: ProjectorDefinition<S>,
): string {
  const { readModel } = definition;
  const decoded: unknown[] = [];
  const byAggregate = new Map<string, NovaMedEvent[]>();
  for (const raw of probeEvents()) {
    const result = decodeEvent(JSON.stringify(raw));
    if (!result.ok) {
      decoded.push([raw.event_id, result.reason]);
      continue;
    }
    const id = readModel.idOf(result.event);
    decoded.push([raw.event_id, id ?? null]);
    if (id === undefined) continue;
    const key = `${raw.event_id.split('_').slice(2, -1).join('_')}|${id}`;
    byAggregate.set(key, [...(byAggregate.get(key) ?? []), result.event]);
  }
  const states = [...byAggregate.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, events]) => [key, project(readModel, events)]);
  const { table } = definition;
  // Only what decides the rows: comments and analytics views do not.
  const spec = {
    name: definition.name,
    readModel: { name: readModel.name, aggregate: readModel.aggregate },
    table: {
      stateTable: table.stateTable,
      eventsTable: table.eventsTable,
      idColumn: table.idColumn,
      columns: table.columns.map((c) => [c.name, c.type]),
    },
  };
  return createHash('sha256')
    .update(JSON.stringify({ spec, decoded, states }))
    .digest('hex')
    .slice(0, 32);
}
