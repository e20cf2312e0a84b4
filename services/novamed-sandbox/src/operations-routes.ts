import type { FastifyPluginAsync } from 'fastify';
import type { SandboxMetrics } from './sandbox-metrics.js';

/** Options of {@link operationsRoutes}. */
export interface OperationsRoutesOptions {
  metrics: SandboxMetrics;
}

/** `GET /healthz` (the process is up) and `GET /metrics` (Prometheus); no API key. */
export const operationsRoutes: FastifyPluginAsync<OperationsRoutesOptions> = async (
  app,
  { metrics },
) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/metrics', async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.header('content-type', metrics.registry.contentType).send(body);
  });
};
