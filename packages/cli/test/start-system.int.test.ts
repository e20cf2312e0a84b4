import { mkdtemp, readFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { createDb, type Database, migrateToLatest } from '@novamed-stream/db';
import { pollUntil } from '@novamed-stream/service-kit';
import {
  createTestDatabase,
  postAndRead,
  type RunningSystem,
  startSystem,
  testStack,
  uniqueName,
} from '@novamed-stream/testkit';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Next to `up` (the same services as processes): the CLI package may use the db package's
// migrations, the testkit may not (the db package devDepends on it).
let db: Kysely<Database>;
let drop: () => Promise<void>;
let system: RunningSystem | undefined;
let logDir: string;
const agent = new Agent({ keepAlive: true });

beforeAll(async () => {
  const database = await createTestDatabase('start_system');
  drop = database.drop;
  db = createDb({ connectionString: database.url, maxConnections: 2 });
  const migrated = await migrateToLatest(db);
  expect(migrated.ok).toBe(true);
  logDir = await mkdtemp(join(testStack().dataRoot, 'start-system-'));
  system = await startSystem({
    logDir,
    databaseUrl: database.url,
    sandbox: {},
    console: {},
  });
});
afterAll(async () => {
  await system?.stop();
  agent.destroy();
  await db?.destroy();
  await drop?.();
});

describe('startSystem', () => {
  it('runs the real services as processes: a webhook sent to its ingress reaches the read model', async () => {
    const running = system as RunningSystem;
    expect(running.processes.map((p) => p.spec.name).sort()).toEqual(
      ['console', 'ingress', 'medication_requests', 'novamed-sandbox', 'orders', 'refills'].sort(),
    );
    for (const url of [`${running.sandbox?.url}/healthz`, `${running.console?.url}/healthz`]) {
      expect((await fetch(url)).status, url).toBe(200);
    }
    const orderId = uniqueName('ord_system');
    const fixture = JSON.parse(
      await readFile(
        new URL('../../events/test/fixtures/order-shipped.json', import.meta.url),
        'utf8',
      ),
    ) as { event_id: string; data: Record<string, unknown> };
    const body = JSON.stringify({
      ...fixture,
      event_id: uniqueName('evt_system'),
      data: { ...fixture.data, order_id: orderId },
    });
    const answer = await postAndRead(agent, running.ingress.webhookUrl, running.webhookKey, body);
    expect(answer.status).toBe(200);

    const row = await pollUntil(
      async () => {
        const result = await sql<{ status: string; carrier: string }>`
          select status, carrier from analytics.orders where order_id = ${orderId}`.execute(db);
        const found = result.rows[0];
        return found ? { status: 'done', value: found } : { status: 'wait', reason: 'no row yet' };
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(row.ok && row.value).toEqual({ status: 'shipped', carrier: 'UPS' });
  });

  it('stops every process gracefully (exit code 0), and no log holds the webhook key', async () => {
    const running = system as RunningSystem;
    await running.stop();
    system = undefined;
    for (const p of running.processes) {
      expect({ name: p.spec.name, exits: p.exits }).toEqual({
        name: p.spec.name,
        exits: [{ code: 0, signal: null }],
      });
      expect(await readFile(p.logFile, 'utf8')).not.toContain(running.webhookKey);
    }
  });
});
