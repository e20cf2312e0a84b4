import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { EnvelopeSchema } from '@novamed-stream/events';
import type { FastifyInstance } from 'fastify';

const { $id: _id, ...envelopeDoc } = EnvelopeSchema;

/** Options of {@link registerApiDocs}. */
export interface ApiDocsOptions {
  /** The webhook route's path: its request body is documented as the event envelope. */
  webhookPath: string;
}

/**
 * Registers the OpenAPI 3 document (served at `/openapi.json`) and the Swagger UI (at `/docs`).
 * Must run before the routes are registered. The webhook body is not validated by Fastify (the
 * route needs the raw bytes), so its envelope schema is added to the document here.
 */
export async function registerApiDocs(app: FastifyInstance, options: ApiDocsOptions) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'novamed-stream ingress',
        description:
          'Receives NovaMed webhooks and stores each one, byte for byte, in Kafka before ' +
          'answering 200. Every non-2xx answer has the body { "error": { "code", "message" } }.',
        version: '0.1.0',
      },
      components: {
        securitySchemes: {
          apiKey: {
            type: 'apiKey',
            in: 'header',
            name: 'x-api-key',
            description:
              'The webhook secret NovaMed sends with every webhook. Several keys may be valid at ' +
              'once (rotation). Missing or wrong: 401 UNAUTHORIZED, checked before the body is read.',
          },
        },
      },
    },
    transform: ({ schema, url, route }) => {
      if (url !== options.webhookPath || route.method !== 'POST') return { schema, url };
      return {
        url,
        schema: {
          ...schema,
          body: { ...envelopeDoc, description: 'The NovaMed event envelope' },
        },
      };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: false } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
