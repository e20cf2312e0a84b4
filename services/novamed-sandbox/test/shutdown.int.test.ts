import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { findFreePorts } from '@novamed-stream/devstack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The sandbox as `npm start` runs it (its own process), delivering to a webhook that accepts
 * connections and never answers, as an ingress that hangs does. SIGTERM must end it within a few
 * seconds whatever it waits for, and its last summary must count what it abandoned.
 */

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
let blackHole: Server;
const sockets = new Set<Socket>();
let blackHolePort: number;

beforeAll(async () => {
  blackHole = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  [blackHolePort] = (await findFreePorts(1)) as [number];
  await new Promise<void>((resolve) => blackHole.listen(blackHolePort, '127.0.0.1', resolve));
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => blackHole.close(resolve));
});

describe('novamed-sandbox shutdown', () => {
  it('exits within seconds of SIGTERM while deliveries hang, and counts them as abandoned', async () => {
    const [port] = (await findFreePorts(1)) as [number];
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', main], {
      env: {
        PATH: process.env['PATH'] ?? '',
        PORT: String(port),
        HOST: '127.0.0.1',
        SANDBOX_API_KEY: 'sandbox_shutdown_test_key_0001',
        SANDBOX_WEBHOOK_SECRET: 'webhook_shutdown_test_key_0001',
        REGISTER_WEBHOOK_URL: `http://127.0.0.1:${blackHolePort}/webhooks/novamed`,
        STREAM_RATE: '50',
        DELIVERY_TIMEOUT_MS: '60000',
        SUMMARY_INTERVAL_SECONDS: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    // Deliveries are in flight to the black hole (it holds their connections).
    const deadline = Date.now() + 30_000;
    while (sockets.size < 3 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(sockets.size, output).toBeGreaterThanOrEqual(3);

    const sentAt = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    const tookMs = Date.now() - sentAt;
    expect(tookMs, output).toBeLessThan(8000);
    expect(code).not.toBeNull();

    const summaries = output
      .split('\n')
      .filter((line) => line.includes('"delivery summary"'))
      .map((line) => JSON.parse(line) as { summary: string });
    const last = summaries.at(-1)?.summary ?? '';
    // Every delivery still pending when the sandbox gave up is in its last word.
    const pending = /(\d+) pending/.exec(last)?.[1];
    const abandoned = output.includes('"abandoned"')
      ? output
          .split('\n')
          .filter((line) => line.includes('"abandoned"'))
          .map((line) => (JSON.parse(line) as { abandoned: number }).abandoned)
          .at(-1)
      : undefined;
    expect(Number(pending), last).toBeGreaterThan(0);
    expect(abandoned, output).toBe(Number(pending));
  }, 60_000);
});
