import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import underPressure from '@fastify/under-pressure';
import {
  type Envelope,
  eventHeaders,
  fieldTooLong,
  fieldWithControlCharacter,
  parseEnvelope,
  QUARANTINE_HEADERS,
  routingKey,
} from '@novamed-stream/events';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyVerifier } from './api-key-verifier.js';
import { assertNever } from './assert-never.js';
import { ErrorBodySchema, type ErrorCode, replyWithError } from './errors.js';
import type { AppendOutcome, EventAppender } from './event-appender.js';
import { IngressMetrics } from './ingress-metrics.js';
import { parseJsonBody, registerRawJsonBodyParser } from './json-body.js';

/** Options of {@link webhookRoute}. */
export interface WebhookRouteOptions {
  path: string;
  verifyApiKey: ApiKeyVerifier;
  appender: EventAppender;
  eventsTopic: string;
  quarantineTopic: string;
  bodyLimitBytes: number;
  retryAfterSeconds: number;
  metrics: IngressMetrics;
  /** True once shutdown began: new webhooks get 503 SHUTTING_DOWN. */
  isDraining: () => boolean;
  /** Event loop delay (ms) and heap use (bytes) beyond which webhooks get 503; 0 = off. */
  maxEventLoopDelayMs: number;
  maxHeapUsedBytes: number;
}

/** The 200 answer: the event is durable in Kafka. */
export const AcceptedSchema = Type.Object(
  {
    received: Type.Literal(true),
    event_id: Type.String({ description: 'the event_id of the stored event' }),
  },
  { description: 'Stored durably in Kafka' },
);

const errorResponse = (description: string) =>
  Type.Object(ErrorBodySchema.properties, { description });

/** The 400 codes after which the body goes to the quarantine topic. */
type RejectCode = Extract<
  ErrorCode,
  | 'INVALID_JSON'
  | 'INVALID_UTF8'
  | 'LONE_SURROGATE'
  | 'DUPLICATE_MEMBER'
  | 'NESTING_TOO_DEEP'
  | 'NUMBER_OUT_OF_RANGE'
  | 'MEMBER_NAME_TOO_LONG'
  | 'FORBIDDEN_JSON_KEY'
  | 'INVALID_ENVELOPE'
  | 'CONTROL_CHARACTER'
  | 'IDENTIFIER_TOO_LONG'
>;

const EMPTY = Buffer.alloc(0);

/** The 503 code for an append that was not acknowledged. */
export function codeForAppendFailure(outcome: Exclude<AppendOutcome, { ok: true }>): ErrorCode {
  switch (outcome.reason) {
    case 'DEADLINE_EXCEEDED':
      return 'APPEND_TIMEOUT';
    case 'OVERLOADED':
      return 'OVERLOADED';
    case 'CLOSED':
      return 'SHUTTING_DOWN';
    case 'SEND_FAILED':
      switch (outcome.failure) {
        case 'TIMEOUT':
          return 'APPEND_TIMEOUT';
        case 'NOT_ENOUGH_REPLICAS':
          return 'NOT_ENOUGH_REPLICAS';
        case 'BROKER_UNAVAILABLE':
        case 'REJECTED':
          return 'BROKER_UNAVAILABLE';
        default:
          return assertNever(outcome.failure);
      }
    default:
      return assertNever(outcome);
  }
}

/** The route's OpenAPI description: what each answer means to the sender. */
const WEBHOOK_SCHEMA = {
  summary: 'Receive one NovaMed webhook event',
  description:
    'Stores the body, byte for byte, in the events topic and answers 200 only once Kafka ' +
    'acknowledged it (acks=all). Any other answer means "not stored": NovaMed retries.',
  tags: ['webhooks'],
  // The x-api-key header is documented by the `apiKey` security scheme (api-docs.ts).
  security: [{ apiKey: [] }],
  response: {
    200: AcceptedSchema,
    400: errorResponse(
      'Not stored, and not to be retried as is; the body goes to the quarantine topic. ' +
        'INVALID_JSON; the I-JSON profile: INVALID_UTF8, LONE_SURROGATE, ' +
        'DUPLICATE_MEMBER, NESTING_TOO_DEEP, NUMBER_OUT_OF_RANGE, MEMBER_NAME_TOO_LONG; ' +
        'FORBIDDEN_JSON_KEY; ' +
        'INVALID_ENVELOPE; CONTROL_CHARACTER; IDENTIFIER_TOO_LONG. The message names the rule and where ' +
        '(JSON path, byte offset or field), never a value.',
    ),
    401: errorResponse('UNAUTHORIZED: missing or wrong x-api-key'),
    413: errorResponse('PAYLOAD_TOO_LARGE: body over the limit'),
    415: errorResponse('UNSUPPORTED_MEDIA_TYPE: not application/json (UTF-8)'),
    503: errorResponse(
      'APPEND_TIMEOUT, BROKER_UNAVAILABLE, NOT_ENOUGH_REPLICAS, OVERLOADED or ' +
        'SHUTTING_DOWN: not stored; retry (Retry-After header)',
    ),
  },
};

/** Outcome of {@link checkBody}: a usable envelope, or the 400 code and a value-free detail. */
export type BodyCheck =
  | { ok: true; envelope: Envelope }
  | { ok: false; code: RejectCode; detail: string };

/**
 * Checks a raw body in the order the error codes promise: JSON of the I-JSON profile, then the
 * envelope, then control characters and length of the identifying fields (they become the
 * Kafka key and headers and Postgres text).
 */
export function checkBody(raw: Buffer): BodyCheck {
  const json = parseJsonBody(raw);
  if (!json.ok) return { ok: false, code: json.code, detail: json.detail };
  const parsed = parseEnvelope(json.value);
  if (!parsed.ok) return { ok: false, code: 'INVALID_ENVELOPE', detail: parsed.reason };
  const envelope: Envelope = parsed.envelope;
  const controlled = fieldWithControlCharacter(envelope);
  if (controlled !== undefined) {
    return { ok: false, code: 'CONTROL_CHARACTER', detail: `(in ${controlled})` };
  }
  const tooLong = fieldTooLong(envelope);
  if (tooLong !== undefined) {
    return { ok: false, code: 'IDENTIFIER_TOO_LONG', detail: `(in ${tooLong})` };
  }
  return { ok: true, envelope };
}

/**
 * Writes a rejected body to the quarantine topic with its reason (counting it, or logging that
 * it could not be kept), then answers the 400.
 */
async function quarantine(
  options: WebhookRouteOptions,
  request: FastifyRequest,
  reply: FastifyReply,
  raw: Buffer,
  rejection: Extract<BodyCheck, { ok: false }>,
  receivedAt: Date,
) {
  const { code, detail } = rejection;
  const outcome = await options.appender.append(options.quarantineTopic, {
    key: null,
    value: raw,
    headers: {
      [QUARANTINE_HEADERS.reason]: code,
      [QUARANTINE_HEADERS.detail]: detail,
      [QUARANTINE_HEADERS.receivedAt]: receivedAt.toISOString(),
      [QUARANTINE_HEADERS.contentType]: (request.headers['content-type'] ?? '').slice(0, 200),
    },
  });
  if (outcome.ok) {
    options.metrics.quarantined.inc({ reason: code });
  } else {
    options.metrics.quarantineFailures.inc({ reason: code });
    request.log.error(
      { code, quarantine: outcome.reason, bytes: raw.length },
      'rejected body could not be quarantined',
    );
  }
  request.log.info({ code, detail, bytes: raw.length }, 'webhook rejected');
  return replyWithError(reply, code, { retryAfterSeconds: options.retryAfterSeconds, detail });
}

/** Appends an accepted envelope's exact bytes and answers 200 once Kafka acknowledged them. */
async function append(
  options: WebhookRouteOptions,
  request: FastifyRequest,
  reply: FastifyReply,
  raw: Buffer,
  envelope: Envelope,
  receivedAt: Date,
) {
  const { metrics } = options;
  const started = performance.now();
  const outcome = await options.appender.append(options.eventsTopic, {
    key: routingKey(envelope),
    value: raw,
    headers: eventHeaders(envelope, receivedAt),
  });
  const seconds = (performance.now() - started) / 1000;
  if (outcome.ok) {
    metrics.appendDuration.observe({ outcome: 'acknowledged' }, seconds);
    metrics.events.inc({ event_type: IngressMetrics.eventTypeLabel(envelope.event_type) });
    return reply.code(200).send({ received: true, event_id: envelope.event_id });
  }
  const code = codeForAppendFailure(outcome);
  metrics.appendDuration.observe({ outcome: 'failed' }, seconds);
  metrics.appendFailures.inc({ code });
  request.log.warn(
    { code, event_id: envelope.event_id, event_type: envelope.event_type },
    'event not acknowledged by Kafka',
  );
  return replyWithError(reply, code, { retryAfterSeconds: options.retryAfterSeconds });
}

/**
 * `POST <path>`: authenticates (before the body is read), keeps the body as raw bytes, checks
 * it is JSON with a usable envelope, appends the exact bytes to the events topic and answers
 * 200 only after Kafka acknowledged them. Authenticated bodies rejected with 400 go to the
 * quarantine topic.
 */
export const webhookRoute: FastifyPluginAsyncTypebox<WebhookRouteOptions> = async (
  app,
  options,
) => {
  const { retryAfterSeconds } = options;
  registerRawJsonBodyParser(app, options.bodyLimitBytes);

  // Hooks of this scope run in the order added: the key first (nothing is read or written for
  // a stranger), then the shutdown check, then overload (under-pressure).
  app.addHook('onRequest', (request, reply, done) => {
    if (!options.verifyApiKey(request.headers['x-api-key'])) {
      replyWithError(reply, 'UNAUTHORIZED', { retryAfterSeconds });
      return;
    }
    if (options.isDraining()) {
      reply.header('connection', 'close');
      replyWithError(reply, 'SHUTTING_DOWN', { retryAfterSeconds });
      return;
    }
    done();
  });
  await app.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    maxHeapUsedBytes: options.maxHeapUsedBytes,
    retryAfter: retryAfterSeconds,
  });

  app.post(
    options.path,
    { bodyLimit: options.bodyLimitBytes, schema: WEBHOOK_SCHEMA },
    async (request, reply) => {
      const receivedAt = new Date();
      const raw = Buffer.isBuffer(request.body) ? request.body : EMPTY;
      const checked = checkBody(raw);
      return checked.ok
        ? append(options, request, reply, raw, checked.envelope, receivedAt)
        : quarantine(options, request, reply, raw, checked, receivedAt);
    },
  );
};
