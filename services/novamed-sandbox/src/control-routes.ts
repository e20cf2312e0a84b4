import { type FastifyPluginAsyncTypebox, type Static, Type } from '@fastify/type-provider-typebox';
import { isIsoDateTime } from '@novamed-stream/events';
import type { ApiKeyCheck } from './api-key-check.js';
import { type ErrorReply, replyWithError } from './errors.js';
import type { GenerationRequest, Sandbox, StartOutcome } from './sandbox.js';
import { UUID_PATTERN } from './uuid.js';

const rate01 = (description: string) =>
  Type.Number({ minimum: 0, maximum: 1, default: 0, description });

/** Body of `POST /sandbox/generator/start`. Unknown fields are refused (typos would be silent). */
export const StartGenerationBody = Type.Object(
  {
    rate: Type.Number({
      exclusiveMinimum: 0,
      maximum: 10_000,
      default: 5,
      description: 'new events per second',
    }),
    count: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100_000_000, description: 'stop after N events' }),
    ),
    lifecycles: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10_000_000,
        description: 'stop after N care episodes, each carried to its end',
      }),
    ),
    duration_seconds: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: 30 * 86_400, description: 'stop after' }),
    ),
    seed: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 4_294_967_295, description: 'replay a run' }),
    ),
    clinic_ids: Type.Optional(
      Type.Array(Type.String({ pattern: UUID_PATTERN }), {
        minItems: 1,
        maxItems: 100,
        description: 'default: every clinic with a webhook',
      }),
    ),
    start_at: Type.Optional(
      Type.String({ description: 'timestamp of the first event (ISO 8601); default now' }),
    ),
    concurrency: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10_000, description: 'episodes in progress at once' }),
    ),
    faults: Type.Optional(
      Type.Object(
        {
          duplicate_rate: rate01('share of events delivered twice'),
          out_of_order_rate: rate01('share of events delivered after their successor'),
          burst_rate: rate01('share of events that start a burst'),
          burst_size: Type.Integer({
            minimum: 0,
            maximum: 10_000,
            default: 50,
            description: 'events sent at once in a burst',
          }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Query of `GET /sandbox/deliveries`. */
export const DeliveriesQuery = Type.Object(
  {
    outcome: Type.Optional(
      Type.Union([
        Type.Literal('pending'),
        Type.Literal('delivered'),
        Type.Literal('failed'),
        Type.Literal('abandoned'),
      ]),
    ),
    event_id: Type.Optional(Type.String({ maxLength: 255 })),
    clinic_id: Type.Optional(Type.String({ maxLength: 255 })),
    webhook_id: Type.Optional(Type.String({ maxLength: 255 })),
    limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
  },
  { additionalProperties: false },
);

/** Query of `GET /sandbox/ground-truth`. */
export const GroundTruthQuery = Type.Object(
  { clinic_id: Type.Optional(Type.String({ maxLength: 255 })) },
  { additionalProperties: false },
);

/** The generator's request from the API's body (snake_case, seconds) with absent options left out. */
function generationRequest(body: Static<typeof StartGenerationBody>): GenerationRequest {
  return {
    rate: body.rate,
    ...(body.count === undefined ? {} : { count: body.count }),
    ...(body.lifecycles === undefined ? {} : { lifecycles: body.lifecycles }),
    ...(body.duration_seconds === undefined
      ? {}
      : { durationMs: Math.round(body.duration_seconds * 1000) }),
    ...(body.seed === undefined ? {} : { seed: body.seed }),
    ...(body.clinic_ids === undefined ? {} : { clinicIds: body.clinic_ids }),
    ...(body.start_at === undefined ? {} : { startAt: Date.parse(body.start_at) }),
    ...(body.concurrency === undefined ? {} : { concurrency: body.concurrency }),
    ...(body.faults === undefined
      ? {}
      : {
          faults: {
            duplicateRate: body.faults.duplicate_rate,
            outOfOrderRate: body.faults.out_of_order_rate,
            burstRate: body.faults.burst_rate,
            burstSize: body.faults.burst_size,
          },
        }),
  };
}

/** The API error for a generation the sandbox refused to start. */
function refuseStart<R extends ErrorReply>(
  reply: R,
  outcome: Extract<StartOutcome, { ok: false }>,
): R {
  switch (outcome.reason) {
    case 'ALREADY_RUNNING':
      return replyWithError(reply, 'GENERATION_RUNNING');
    case 'NO_WEBHOOKS':
      return replyWithError(
        reply,
        'NO_WEBHOOKS_REGISTERED',
        outcome.clinicIds.length > 0
          ? `Without a webhook: ${outcome.clinicIds.join(', ')}.`
          : 'No webhook is registered.',
      );
    default: {
      const never: never = outcome;
      throw new Error(`unknown refusal ${String(never)}`);
    }
  }
}

/** Options of {@link controlRoutes}. */
export interface ControlRoutesOptions {
  sandbox: Sandbox;
  checkApiKey: ApiKeyCheck;
}

/**
 * The sandbox's own API under `/sandbox` (not part of NovaMed's): start and stop generation,
 * read the delivery log, its summary, the ground truth and the webhooks. Same `x-api-key` as
 * the registration API.
 */
export const controlRoutes: FastifyPluginAsyncTypebox<ControlRoutesOptions> = async (
  app,
  { sandbox, checkApiKey },
) => {
  app.addHook('onRequest', async (request, reply) => {
    if (!checkApiKey(request.headers['x-api-key'])) return replyWithError(reply, 'UNAUTHORIZED');
  });

  app.post(
    '/sandbox/generator/start',
    { schema: { body: StartGenerationBody } },
    async (request, reply) => {
      const body = request.body;
      if (body.start_at !== undefined && !isIsoDateTime(body.start_at)) {
        return replyWithError(
          reply,
          'INVALID_REQUEST',
          'start_at must be an ISO 8601 date-time with a time zone.',
        );
      }
      const outcome = sandbox.startGeneration(generationRequest(body));
      if (!outcome.ok) return refuseStart(reply, outcome);
      reply.code(202);
      return { success: true, data: outcome.status, message: 'Generation started' };
    },
  );

  app.post('/sandbox/generator/stop', async () => {
    const status = sandbox.stopGeneration();
    return {
      success: true,
      data: status ?? null,
      message: status === undefined ? 'No generation run to stop' : 'Generation stopped',
    };
  });

  app.get('/sandbox/generator', async () => ({
    success: true,
    data: sandbox.generation() ?? null,
  }));

  app.get('/sandbox/status', async () => ({ success: true, data: sandbox.status() }));

  app.get('/sandbox/webhooks', async () => ({ success: true, data: sandbox.registry.list() }));

  app.get('/sandbox/deliveries', { schema: { querystring: DeliveriesQuery } }, async (request) => {
    const deliveries = sandbox.log.query(request.query);
    return { success: true, data: { deliveries, count: deliveries.length } };
  });

  app.get('/sandbox/deliveries/summary', async () => ({
    success: true,
    data: sandbox.log.summary(),
  }));

  app.get(
    '/sandbox/ground-truth',
    { schema: { querystring: GroundTruthQuery } },
    async (request) => ({
      success: true,
      data: {
        events: sandbox.truth.events,
        counts: sandbox.truth.counts(),
        ...sandbox.truth.snapshot(request.query.clinic_id),
      },
    }),
  );

  app.post('/sandbox/reset', async (_request, reply) => {
    if (!sandbox.reset()) return replyWithError(reply, 'SANDBOX_BUSY');
    return { success: true, message: 'Delivery log and ground truth cleared' };
  });
};
