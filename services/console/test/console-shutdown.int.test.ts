import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createDb, migrateToLatest } from '@novamed-stream/db';
import { createTestDatabase, type TestDatabase, testStack } from '@novamed-stream/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The console as `npm start` runs it (its own process, on the service kit's runService): it
 * stops cleanly on SIGTERM while a live page holds a server-sent event stream open, and when
 * the process that started it (over an IPC channel) goes away.
 */

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const KEY = 'console-shutdown-test-key-0001';
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('console_shutdown');
  // The migrations create the console_reader role the console takes on every connection.
  const db = createDb({ connectionString: database.url });
  expect((await migrateToLatest(db)).ok).toBe(true);
  await db.destroy();
});

afterAll(async () => {
  await database?.drop();
});

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

async function startConsole(withIpc: boolean): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', main], {
    env: {
      PATH: process.env['PATH'] ?? '',
      PORT: '0',
      CONSOLE_API_KEYS: KEY,
      DATABASE_URL: database.url,
      KAFKA_BROKERS: testStack().kafkaBrokers.join(','),
      SAMPLE_INTERVAL_MS: '500',
    },
    stdio: withIpc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // PORT=0: the console logs where it listens (Fastify's "Server listening at" line).
  const deadline = Date.now() + 30_000;
  for (;;) {
    const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    if (
      url !== undefined &&
      (await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      return { child, url, output: () => output, exited };
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`the console did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Resolves with the exit code and how long the stop took. */
async function stopped(started: Started, stop: () => void) {
  const at = Date.now();
  stop();
  const code = await started.exited;
  return { code, tookMs: Date.now() - at };
}

function lines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('console shutdown', () => {
  it('exits 0 soon after SIGTERM, while a live stream is open', async () => {
    const started = await startConsole(false);
    const stream = await fetch(`${started.url}/api/live/stream`, {
      headers: { 'x-console-key': KEY },
    });
    expect(stream.status).toBe(200);
    const reader = stream.body?.getReader();
    expect((await reader?.read())?.done).toBe(false);

    const { code, tookMs } = await stopped(started, () => started.child.kill('SIGTERM'));
    expect(code, started.output()).toBe(0);
    expect(tookMs).toBeLessThan(5000);
    // The stream was ended by the console, not cut by the exit.
    expect((await reader?.read())?.done).toBe(true);
    const messages = lines(started.output()).map((line) => [line['service'], line['msg']]);
    expect(messages).toContainEqual(['console', 'shutting down']);
    expect(messages).toContainEqual(['console', 'shutdown complete']);
    expect(started.output()).not.toContain(KEY);
  }, 60_000);

  it('exits 0 when the process that started it is gone (its IPC channel closes)', async () => {
    const started = await startConsole(true);
    const { code } = await stopped(started, () => started.child.disconnect());
    expect(code, started.output()).toBe(0);
    expect(lines(started.output())).toContainEqual(
      expect.objectContaining({ signal: 'parent process gone', msg: 'shutting down' }),
    );
  }, 60_000);
});
