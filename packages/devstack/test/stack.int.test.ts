import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { DevstackError, startStack } from '@novamed-stream/devstack';
import { processesUsing, testStack, uniqueName } from '@novamed-stream/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('startStack on a failure', () => {
  let squatter: Server;
  let takenPort: number;
  beforeAll(async () => {
    squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    takenPort = (squatter.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => squatter.close(resolve));
  });

  it('stops the Postgres it started when Kafka cannot, and names KAFKA_PORT', async () => {
    const dataDir = join(testStack().dataRoot, uniqueName('failed_stack'));
    const started = startStack({ dataDir, kafkaPort: takenPort, log: () => undefined });

    await expect(started).rejects.toThrow(DevstackError);
    await expect(started).rejects.toMatchObject({
      message: expect.stringContaining(`127.0.0.1:${takenPort}`),
      hint: expect.stringContaining('KAFKA_PORT'),
    });
    // Postgres got as far as creating its cluster, and no process uses its data any more.
    expect(existsSync(join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    expect(processesUsing(dataDir)).toEqual([]);
  });

  it('gives up starting Kafka when Postgres cannot start, and names POSTGRES_PORT', async () => {
    const dataDir = join(testStack().dataRoot, uniqueName('failed_stack'));
    const started = startStack({ dataDir, postgresPort: takenPort, log: () => undefined });

    await expect(started).rejects.toMatchObject({
      name: 'DevstackError',
      hint: expect.stringContaining('POSTGRES_PORT'),
    });
    expect(processesUsing(dataDir)).toEqual([]);
  });
});
