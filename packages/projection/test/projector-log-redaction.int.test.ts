import { Writable } from 'node:stream';
import { createDb, type Database } from '@novamed-stream/db';
import { ordersProjector } from '@novamed-stream/projectors';
import { createLogger } from '@novamed-stream/service-kit';
import {
  createTestDatabase,
  createTestTopic,
  orderJourneys,
  testKafka,
  testStack,
} from '@novamed-stream/testkit';
import type { Kysely } from 'kysely';
import { afterAll, expect, it } from 'vitest';
import { readProjectorServiceEnv, runProjectorService } from '../src/index.js';
import { type RawEvent, toKafkaMessage } from './fixtures.js';

// A real projector service with the logger its main.ts builds (only the destination is a
// captured stream) reads a valid event and a rejected one (invalid data for its type, so it
// goes to projection_errors and the dead-letter topic), both full of canary PHI. No log line
// may carry any canary.

const CANARIES = {
  patient_id: 'pat_CANARY_7f3a',
  patient_name: 'Canary Q Patientname',
  street: '77 Canary Street',
  medication_name: 'Canarymycin 500mg',
};

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
});

function withCanaries(event: RawEvent, overrides: Partial<RawEvent>): RawEvent {
  return {
    ...event,
    ...overrides,
    data: {
      ...event.data,
      patient_id: CANARIES.patient_id,
      patient_name: CANARIES.patient_name,
      medication_name: CANARIES.medication_name,
      shipping_address: { line1: CANARIES.street, city: 'Springfield', zip: '94102' },
      notes: { nested: { deeper: { patient: { name: CANARIES.patient_name } } } },
    },
  };
}

async function until(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

it('a projector logs none of the PHI of the events it applies or rejects', async () => {
  const topic = await createTestTopic({ prefix: 'log-redaction', partitions: 1 });
  const database = await createTestDatabase('log_redaction');
  cleanups.push(() => database.drop());
  const [created] = orderJourneys({ runId: 'redact', count: 1, seed: 1 });
  const valid = withCanaries(created!, { event_id: 'evt_redact_valid' });
  // order:shipped without tracking data: invalid for its type, rejected by the projector.
  const rejected = withCanaries(created!, {
    event_id: 'evt_redact_rejected',
    event_type: 'order:shipped',
  });
  const producer = testKafka('log-redaction').producer({
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [valid, rejected].map(toKafkaMessage) });
  await producer.disconnect();

  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  const config = readProjectorServiceEnv(
    {
      KAFKA_BROKERS: testStack().kafkaBrokers.join(','),
      DATABASE_URL: database.url,
      EVENTS_TOPIC: topic,
      DEAD_LETTER_TOPIC: `${topic}.dead`,
      TOPIC_PARTITIONS: '1',
      HEALTH_HOST: '127.0.0.1',
      LOG_LEVEL: 'trace',
    },
    { HEALTH_PORT: 0 },
  );
  const logger = createLogger({
    service: 'projector-orders',
    level: config.LOG_LEVEL,
    destination,
  });
  const service = await runProjectorService(ordersProjector, config, { logger });
  cleanups.unshift(() => service.stop());
  const db: Kysely<Database> = createDb({ connectionString: database.url });
  cleanups.unshift(() => db.destroy());
  // Both are in one batch (one transaction): once the rejection is stored, both were handled.
  await until(async () => {
    const rows = await db
      .selectFrom('novamed.projection_errors')
      .select('event_id')
      .where('event_id', '=', rejected.event_id)
      .execute();
    return rows.length === 1;
  });
  await service.stop();

  expect(lines.length, 'the projector logged nothing: the capture is broken').toBeGreaterThan(2);
  expect(lines.some((line) => line.includes('projector service ready'))).toBe(true);
  for (const [field, canary] of Object.entries(CANARIES)) {
    const leaks = lines.filter((line) => line.includes(canary));
    expect(leaks, `${field} leaked into the projector's log`).toEqual([]);
  }
});
