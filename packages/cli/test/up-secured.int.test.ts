import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ensureTopic,
  findFreePorts,
  findRepoRoot,
  type RunningStack,
  type StartedExtension,
  stackClientEnv,
  startStack,
} from '@novamed-stream/devstack';
import { checkKafkaConnection } from '@novamed-stream/service-kit';
import { processesUsing, testStack, uniqueName } from '@novamed-stream/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readUpOptions, systemExtension } from '../src/up.js';

/**
 * `npm start` with DEVSTACK_SECURITY=sasl_ssl, in-process the way `up` runs it (the stack, the
 * events topic, then the system extension's services as child processes), on free ports and a
 * data folder of its own, so no stack file is written and a user's own `npm start` is left
 * alone. The README test drives the plain-text `npm start` itself.
 */

const execFileAsync = promisify(execFile);

let dataDir: string;
let stack: RunningStack;
let system: StartedExtension;
let password: string;
let upEnv: Record<string, string>;
let kafkaPort: number;

beforeAll(async () => {
  dataDir = join(testStack().dataRoot, uniqueName('up_secured'));
  const ports = await findFreePorts(9);
  const port = (index: number) => String(ports[index]);
  upEnv = {
    INGRESS_PORT: port(0),
    ORDERS_HEALTH_PORT: port(1),
    MEDICATION_REQUESTS_HEALTH_PORT: port(2),
    REFILLS_HEALTH_PORT: port(3),
    SANDBOX_PORT: port(4),
    CONSOLE_PORT: port(5),
    SANDBOX_STREAM_RATE: '0',
    TOPIC_PARTITIONS: '2',
  };
  kafkaPort = ports[6] as number;
  stack = await startStack({
    dataDir,
    security: 'sasl_ssl',
    kafkaPort,
    kafkaControllerPort: ports[7] as number,
    postgresPort: ports[8] as number,
    kafkaHeap: { initial: '128m', max: '512m' },
    log: () => undefined,
  });
  await ensureTopic({
    brokers: stack.kafkaBrokers,
    topic: stack.topic,
    partitions: 2,
    connection: stack.kafkaConnection,
  });
  system = await systemExtension(readUpOptions(upEnv, dataDir)).start(stack);
  if (stack.security.kind !== 'sasl_ssl') throw new Error('the stack is not secured');
  password = (await readFile(stack.security.sasl.passwordFile, 'utf8')).trim();
});

afterAll(async () => {
  await system?.stop();
  await stack?.stop();
});

describe('npm start with DEVSTACK_SECURITY=sasl_ssl', () => {
  it('gives every service the secured variables: a password file, never the password', () => {
    const env = stackClientEnv(stack);
    expect(env).toMatchObject({
      // KAFKA_PORT is the SASL_SSL listener's.
      KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'novamed',
      KAFKA_SSL_CA_FILE: expect.stringMatching(/ca\.pem$/),
      KAFKA_SASL_PASSWORD_FILE: expect.stringMatching(/kafka-password$/),
      DATABASE_URL: expect.stringMatching(/\?sslmode=verify-full$/),
      DATABASE_CA_FILE: expect.stringMatching(/ca\.pem$/),
    });
    expect(JSON.stringify(env)).not.toContain(password);
    expect(JSON.stringify(system.stackFields)).not.toContain(password);
  });

  it('serves the README curl through SASL_SSL, and the printed psql (verify-full) sees the row', async () => {
    const orderId = uniqueName('ord_secured');
    const fixture = JSON.parse(
      await readFile(
        join(findRepoRoot(), 'packages/events/test/fixtures/order-shipped.json'),
        'utf8',
      ),
    ) as { event_id: string; data: Record<string, unknown> };
    const webhookUrl = String(system.stackFields['webhookUrl']);
    const answer = await fetch(webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': String(system.stackFields['webhookKey']),
      },
      body: JSON.stringify({
        ...fixture,
        event_id: uniqueName('evt_secured'),
        data: { ...fixture.data, order_id: orderId },
      }),
    });
    expect(answer.status, await answer.clone().text()).toBe(200);

    // The psql command `up` prints, as a user copies it.
    const printed = system.notes?.find((line) => /psql .*shipped_at/.test(line));
    const psql = printed?.trim().match(/^psql '([^']+)'/)?.[1];
    expect(psql, printed).toMatch(/sslmode=verify-full&sslrootcert=\/.*ca\.pem$/);
    let rows = '';
    const deadline = Date.now() + 60_000;
    while (!rows.includes(orderId) && Date.now() < deadline) {
      const { stdout } = await execFileAsync('psql', [
        psql as string,
        '-At',
        '-c',
        `select order_id, status, carrier from analytics.orders where order_id = '${orderId}'`,
      ]);
      rows = stdout;
      if (!rows.includes(orderId)) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(rows.trim()).toBe(`${orderId}|shipped|UPS`);
  });

  it('refuses plain-text clients: Kafka at the advertised brokers, Postgres without TLS', async () => {
    const kafka = await checkKafkaConnection({
      clientId: 'up-secured-test',
      brokers: stack.kafkaBrokers,
    });
    expect(kafka).toMatchObject({ ok: false, reason: 'TLS_REQUIRED' });

    const plainUrl = new URL(stack.databaseUrl);
    plainUrl.search = '?sslmode=disable';
    const client = new pg.Client({ connectionString: plainUrl.toString() });
    await expect(client.connect()).rejects.toThrow(/no pg_hba\.conf entry.*no encryption/);
    await client.end().catch(() => undefined);
  });

  it('writes no password into any log (services, Kafka, Postgres)', async () => {
    const logs = [
      ...(await filesUnder(join(dataDir, 'logs'))),
      ...stack.kafkaNodes.map((node) => node.logFile),
      ...(stack.postgres ? [stack.postgres.logFile] : []),
    ];
    expect(logs.length).toBeGreaterThanOrEqual(8);
    for (const log of logs) {
      const text = await readFile(log, 'utf8');
      expect(text.length, log).toBeGreaterThan(0);
      expect(text.includes(password), `${log} holds the SASL password`).toBe(false);
    }
  });

  it('stops every process it started', async () => {
    await system.stop();
    await stack.stop();
    expect(processesUsing(dataDir)).toEqual([]);
    // The two files that hold the password are the owner's only.
    for (const file of [
      join(dataDir, 'sasl-ssl', 'kafka-password'),
      join(stack.kafkaNodes[0]?.dataDir ?? '', 'server.properties'),
    ]) {
      expect((await stat(file)).mode & 0o077, file).toBe(0);
    }
  });
});

async function filesUnder(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names.map((name) => join(dir, name));
}
