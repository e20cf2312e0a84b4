import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/** What the health endpoint reports. */
export interface HealthReport {
  healthy: boolean;
  [key: string]: unknown;
}

/** Options for {@link startHealthServer}. */
export interface HealthServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  health: () => HealthReport;
}

/** A running health server. */
export interface HealthServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

const NOT_FOUND = '{"error":{"code":"NOT_FOUND","message":"try /healthz or /metrics"}}';
const METRICS_FAILED = '{"error":{"code":"METRICS_FAILED","message":"could not collect metrics"}}';

/**
 * The health and metrics server of a worker process (a Fastify app, like the ingress's and
 * the sandbox's): `GET /healthz` (200 or 503 with the JSON verdict) and `GET /metrics`
 * (Prometheus text format); anything else is a 404 with a JSON error.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const app = Fastify({ logger: false, exposeHeadRoutes: false });
  app.get('/healthz', async (_request, reply) => {
    const report = options.health();
    return reply
      .code(report.healthy ? 200 : 503)
      .type('application/json')
      .send(JSON.stringify(report));
  });
  app.get('/metrics', async (_request, reply) => {
    try {
      const text = await options.registry.metrics();
      return reply.code(200).type(options.registry.contentType).send(text);
    } catch {
      return reply.code(500).type('application/json').send(METRICS_FAILED);
    }
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).type('application/json').send(NOT_FOUND),
  );
  const host = options.host ?? '0.0.0.0';
  await app.listen({ port: options.port, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    app,
    url: `http://${host !== '0.0.0.0' ? host : '127.0.0.1'}:${port}`,
    close: () => app.close(),
  };
}
