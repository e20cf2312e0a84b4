import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type HealthServer, startHealthServer } from '../src/index.js';

let server: HealthServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('startHealthServer', () => {
  it('answers /healthz, /metrics and a JSON 404 like the old node:http server', async () => {
    let healthy = true;
    server = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      registry: new Registry(),
      health: () => ({ healthy, projector: 'orders' }),
    });
    const ok = await fetch(`${server.url}/healthz?x=1`);
    expect(ok.status).toBe(200);
    // Fastify adds `; charset=utf-8`; the old server sent the bare type.
    expect(ok.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await ok.json()).toEqual({ healthy: true, projector: 'orders' });
    healthy = false;
    expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
    const metrics = await fetch(`${server.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const missing = await fetch(`${server.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe(
      '{"error":{"code":"NOT_FOUND","message":"try /healthz or /metrics"}}',
    );
    expect((await fetch(`${server.url}/healthz`, { method: 'POST' })).status).toBe(404);
  });
});
