import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendLikeNovaMed } from '@novamed-stream/testkit';
import { afterEach, describe, expect, it } from 'vitest';

// A plain local HTTP server stands in for the ingress: these tests are about the sender's own
// bookkeeping (which events it took, which answers it reported), not about the ingress.
let server: http.Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** Starts a server that answers each body with `status(body)`; records the bodies it got. */
async function serve(status: (body: string) => number): Promise<{ url: string; bodies: string[] }> {
  const bodies: string[] = [];
  server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      bodies.push(body);
      setTimeout(() => response.writeHead(status(body)).end('{}'), 2);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/webhooks/novamed`, bodies };
}

const events = Array.from({ length: 500 }, (_, i) => ({ body: `{"n":${i}}` }));

describe('sendLikeNovaMed', () => {
  it('stops taking events once its signal is aborted: the events sent are the first report.events', async () => {
    const { url, bodies } = await serve(() => 200);
    const stop = new AbortController();
    let answers = 0;
    const { report, acknowledged } = await sendLikeNovaMed(events, {
      url: () => url,
      apiKey: 'k',
      concurrency: 4,
      ratePerSecond: 500,
      onAnswer: () => {
        answers++;
        if (answers === 40) stop.abort();
      },
      signal: stop.signal,
    });
    expect(report.events).toBeGreaterThanOrEqual(40);
    expect(report.events).toBeLessThan(events.length);
    expect(new Set(bodies)).toEqual(new Set(events.slice(0, report.events).map((e) => e.body)));
    expect(acknowledged).toHaveLength(report.events);
    expect(report.acknowledged).toBe(report.events);
  });

  it('reports every answer to onAnswer, retries included', async () => {
    const seen = new Set<string>();
    // The first try of each body gets a 503, the retry a 200.
    const { url } = await serve((body) => {
      if (seen.has(body)) return 200;
      seen.add(body);
      return 503;
    });
    const statuses: number[] = [];
    const { report } = await sendLikeNovaMed(events.slice(0, 20), {
      url: () => url,
      apiKey: 'k',
      concurrency: 4,
      retryDelaysMs: [1],
      onAnswer: (answer) => statuses.push(answer.status),
    });
    expect(report.attempts).toBe(40);
    expect(statuses.filter((s) => s === 503)).toHaveLength(20);
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(report.events).toBe(20);
  });
});
