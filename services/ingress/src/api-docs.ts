import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { EnvelopeSchema, I_JSON_MAX_DEPTH } from '@novamed-stream/events';
import type { FastifyInstance } from 'fastify';

const { $id: _id, ...envelopeDoc } = EnvelopeSchema;

/** No C0 control character or DEL (the ingress answers 400 CONTROL_CHARACTER). */
const NO_CONTROL = '^[^\\u0000-\\u001F\\u007F]*$';

/** What the ingress requires of the body beyond the schema (docs/topic-contract.md). */
const BODY_RULES =
  'The NovaMed event envelope, as UTF-8 JSON in the I-JSON profile (RFC 7493) that every ' +
  'stored message keeps, so every JSON parser reads it the same way; otherwise 400, quarantined: ' +
  'well-formed UTF-8 without byte order mark (INVALID_UTF8); no escaped UTF-16 surrogate without ' +
  'its pair (LONE_SURROGATE); no member name twice in one object, compared after unescaping, at ' +
  'any depth (DUPLICATE_MEMBER); at most ' +
  I_JSON_MAX_DEPTH +
  ' nested arrays/objects, the envelope counting 1 (NESTING_TOO_DEEP); numbers an IEEE 754 ' +
  'double holds: finite, not rounding a non-zero value to 0, and integer literals (no fraction, ' +
  'no exponent) within ±(2^53-1), literals of at most 100 characters (NUMBER_OUT_OF_RANGE); ' +
  'member names of at most 1024 bytes (MEMBER_NAME_TOO_LONG); no `__proto__` or ' +
  '`constructor.prototype` key (FORBIDDEN_JSON_KEY). event_id, event_type, clinic_id and, when ' +
  'strings, data.order_id, data.medication_request_id and data.refill_id hold no control ' +
  'character U+0000-U+001F or U+007F (CONTROL_CHARACTER) and are at most 256 bytes long ' +
  '(IDENTIFIER_TOO_LONG).';

const { event_id: eventIdDoc, clinic_id: clinicIdDoc } = envelopeDoc.properties;
const webhookBodyDoc = {
  ...envelopeDoc,
  description: BODY_RULES,
  properties: {
    ...envelopeDoc.properties,
    event_id: { ...eventIdDoc, pattern: NO_CONTROL },
    clinic_id: { ...clinicIdDoc, pattern: NO_CONTROL },
  },
};

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
          body: webhookBodyDoc,
        },
      };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: false } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
