import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { ErrorBodySchema, replyWithError } from './errors.js';

/** Options of {@link healthRoutes}. */
export interface HealthRoutesOptions {
  /** True when the producer is connected and the ingress is not draining. */
  isReady: () => boolean;
  retryAfterSeconds: number;
}

const StatusSchema = Type.Object({ status: Type.String() });

/**
 * `GET /healthz` (the process is up: liveness) and `GET /readyz` (the producer is connected and
 * the ingress is not shutting down: send traffic here; 503 NOT_READY otherwise).
 */
export const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (
  app,
  options,
) => {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: the process is up',
        tags: ['operations'],
        response: { 200: StatusSchema },
      },
    },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the Kafka producer is connected and the ingress is not draining',
        tags: ['operations'],
        response: {
          200: StatusSchema,
          503: Type.Object(ErrorBodySchema.properties, { description: 'NOT_READY' }),
        },
      },
    },
    async (_request, reply) => {
      if (options.isReady()) return { status: 'ready' };
      return replyWithError(reply, 'NOT_READY', { retryAfterSeconds: options.retryAfterSeconds });
    },
  );
};
