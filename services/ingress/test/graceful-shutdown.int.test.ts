import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { HEADERS } from '@novamed-stream/events';
import { readTopic, testKafka, testStack, uniqueName } from '@novamed-stream/testkit';
import { afterAll, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const KEY = `shutdown-key-${randomUUID()}`;
const eventsTopic = uniqueName('shutdown_events');

let child: ChildProcess | undefined;

afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/**
 * Starts the ingress entry point with tsx and resolves with its URL. tsx runs in-process
 * (`node --import tsx`), not through the tsx CLI: the CLI relays SIGTERM to its child and
 * SIGKILLs it when the child does not acknowledge within ~30 ms, which a loaded event loop can
 * miss, so a SIGTERM test through it would test tsx, not the ingress.
 */
function startIngress(output: string[]): Promise<string> {
  child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=source', 'services/ingress/src/main.ts'],
    {
      cwd: repoRoot,
      env: {
        PATH: process.env['PATH'],
        HOME: process.env['HOME'],
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
        PORT: '0',
        HOST: '127.0.0.1',
        WEBHOOK_API_KEYS: KEY,
        KAFKA_BROKERS: testStack().kafkaBrokers.join(','),
        EVENTS_TOPIC: eventsTopic,
        QUARANTINE_TOPIC: uniqueName('shutdown_quarantine'),
        TOPIC_PARTITIONS: '3',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const process_ = child;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no listening line:\n${output.join('')}`)),
      60_000,
    );
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output.join(''));
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    process_.stdout?.on('data', onData);
    process_.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    process_.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ingress exited early (${code}):\n${output.join('')}`));
    });
  });
}

it('loses no acknowledged event when SIGTERM arrives under load, and exits 0', async () => {
  const output: string[] = [];
  const url = await startIngress(output);
  const running = child;
  if (!running) throw new Error('not started');
  const exited = new Promise<number | null>((resolve) =>
    running.once('exit', (code) => resolve(code)),
  );

  const acknowledged: string[] = [];
  const statuses = new Map<string, number>();
  let signalled = false;
  let acknowledgedAfterSignal = 0;
  const worker = async () => {
    for (;;) {
      const eventId = `evt_${randomUUID()}`;
      try {
        const response = await fetch(`${url}/webhooks/novamed`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': KEY },
          body: JSON.stringify({
            event_type: 'order:created',
            event_id: eventId,
            timestamp: new Date().toISOString(),
            clinic_id: 'clinic_shutdown',
            data: { order_id: `ord_${randomUUID()}` },
          }),
        });
        await response.arrayBuffer();
        const key = String(response.status);
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (response.status === 200) {
          acknowledged.push(eventId);
          if (signalled) acknowledgedAfterSignal += 1;
        }
      } catch {
        // Connection refused or reset once the server stopped accepting: the load is over.
        if (signalled) return;
      }
    }
  };
  const workers = Array.from({ length: 40 }, worker);

  // Let the load run for a while (at least 200 acknowledged events, or 10 s).
  const warmUntil = Date.now() + 10_000;
  while (acknowledged.length < 200 && Date.now() < warmUntil) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const beforeSignal = acknowledged.length;
  signalled = true;
  running.kill('SIGTERM');
  const code = await exited;
  await Promise.all(workers);

  expect(code, output.join('').split('\n').slice(-30).join('\n')).toBe(0);
  expect(beforeSignal).toBeGreaterThanOrEqual(200);
  expect(output.join('')).toContain('shutdown complete');
  const stored = new Set(
    (await readTopic(testKafka('shutdown-check'), eventsTopic)).map(
      (message) => message.headers[HEADERS.eventId],
    ),
  );
  expect(acknowledged.filter((eventId) => !stored.has(eventId))).toEqual([]);
  // Only 200s and shutdown 503s were answered; nothing else went wrong.
  expect([...statuses.keys()].filter((status) => status !== '200' && status !== '503')).toEqual([]);
  console.log(
    `graceful shutdown: ${beforeSignal} acknowledged before SIGTERM, ${acknowledged.length} in all (${acknowledgedAfterSignal} answered after it), statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
  );
});
