import type { FastifyPluginAsync } from 'fastify';
import type { IngressMetrics } from './ingress-metrics.js';

/** Options of {@link metricsRoute}. */
export interface MetricsRouteOptions {
  metrics: IngressMetrics;
}

/** `GET /metrics`: the instance's Prometheus registry in the text exposition format. */
export const metricsRoute: FastifyPluginAsync<MetricsRouteOptions> = async (app, options) => {
  const { registry } = options.metrics;
  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics', tags: ['operations'], produces: ['text/plain'] } },
    async (_request, reply) => {
      const body = await registry.metrics();
      return reply.header('content-type', registry.contentType).send(body);
    },
  );
};
