import { createDb, type Database, migrateToLatest } from '@novamed-stream/db';
import { EVENTS_TOPIC } from '@novamed-stream/events';
import {
  createTestDatabase,
  ingressMessage,
  type RawEvent,
  seededRandom,
} from '@novamed-stream/testkit';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect } from 'vitest';
import type { BatchMessage } from '../src/index.js';

export type { RawEvent } from '@novamed-stream/testkit';

/** The test kit's seeded generator (mulberry32), so failures reproduce. */
export const rng = seededRandom;

/** Shuffles in place with the given generator (Fisher-Yates). */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** The Kafka message the ingress would write for an event. */
export function toKafkaMessage(event: RawEvent | Buffer) {
  const value = Buffer.isBuffer(event) ? event : Buffer.from(JSON.stringify(event));
  let parsed: RawEvent;
  try {
    parsed = JSON.parse(value.toString()) as RawEvent;
  } catch {
    return { key: null, value, headers: {} as Record<string, string> };
  }
  return ingressMessage(value, new Date(), parsed);
}

/** Messages at consecutive offsets starting at `first`, as a consumer batch delivers them. */
export function asBatch(events: Array<RawEvent | Buffer>, first = 0): BatchMessage[] {
  return events.map((e, i) => {
    const { value, headers } = toKafkaMessage(e);
    return { offset: String(first + i), value, headers };
  });
}

export { EVENTS_TOPIC };

/**
 * A migrated database of the test file's own: created (and migrated) before its tests, dropped
 * after them. `use` receives the open connection, so the file keeps its own `db` variable.
 */
export function useMigratedDatabase(prefix: string, use: (db: Kysely<Database>) => void): void {
  let db: Kysely<Database> | undefined;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const database = await createTestDatabase(prefix);
    drop = database.drop;
    db = createDb({ connectionString: database.url });
    use(db);
    expect((await migrateToLatest(db)).ok).toBe(true);
  });
  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });
}
