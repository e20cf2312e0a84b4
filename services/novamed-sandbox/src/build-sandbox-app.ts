import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyError, LogController } from 'fastify';
import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import { createApiKeyCheck } from './api-key-check.js';
import { controlRoutes } from './control-routes.js';
import type { WebhookTransport } from './delivery-engine.js';
import {
  codeForError,
  describeValidation,
  ERRORS,
  replyWithError,
  type ValidationIssue,
} from './errors.js';
import { createLogger, type LoggerOptions } from './logger.js';
import { operationsRoutes } from './operations-routes.js';
import { registrationRoutes } from './registration-routes.js';
import { Sandbox } from './sandbox.js';
import { SandboxMetrics } from './sandbox-metrics.js';

/** Options of {@link buildSandboxApp}. Only the two keys are required. */
export interface BuildSandboxAppOptions {
  /** The partner API key(s) clients send in `x-api-key` to the registration and control APIs. */
  apiKeys: readonly string[];
  /** The webhook secret sent in `x-api-key` with every delivery. */
  webhookSecret: string;
  /** Default: HTTP with fetch. */
  transport?: WebhookTransport;
  /** Multiplies the retry delays (1 min, 5 min, 15 min, 1 h), e.g. 0.01 in tests. Default 1. */
  timeScale?: number;
  /** Per-attempt timeout. Default 5000 ms (the guide's). */
  deliveryTimeoutMs?: number;
  /** Attempts in flight at once. Default 64. */
  maxConcurrentDeliveries?: number;
  /** Attempts in flight at once to one webhook. Default 32. */
  maxConcurrentDeliveriesPerWebhook?: number;
  /** Finished deliveries kept for `GET /sandbox/deliveries`. Default 10 000. */
  deliveryLogSize?: number;
  /** Default 10. */
  maxWebhooksPerClinic?: number;
  /** Refuse `http:` webhook URLs, as NovaMed's production does. Default false. */
  requireHttps?: boolean;
  /** Default 16 KiB. */
  bodyLimitBytes?: number;
  /** A pino logger, or the level and destination of a new one. */
  logger?: Logger | LoggerOptions;
  /** Collect prom-client's process metrics. Default true. */
  processMetrics?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The sandbox behind the routes (tests and the entry point drive it directly too). */
    sandbox: Sandbox;
  }
}

function isLogger(value: Logger | LoggerOptions | undefined): value is Logger {
  return typeof (value as Logger | undefined)?.child === 'function';
}

const decorateSandbox = fp<{ sandbox: Sandbox }>(
  async (app, { sandbox }) => {
    app.decorate('sandbox', sandbox);
    app.addHook('onClose', async () => {
      await sandbox.close();
    });
  },
  { name: 'novamed-sandbox' },
);

/**
 * Builds the sandbox's Fastify app (it does not listen): NovaMed's registration API
 * (`POST`/`DELETE /api/external/webhook`), the control API under `/sandbox`, `/healthz` and
 * `/metrics`. `app.close()` stops generation and waits for the attempts in flight.
 */
export async function buildSandboxApp(options: BuildSandboxAppOptions) {
  const logger = isLogger(options.logger) ? options.logger : createLogger(options.logger);
  const checkApiKey = createApiKeyCheck(options.apiKeys);
  let sandbox: Sandbox | undefined;
  const metrics = new SandboxMetrics({
    pendingDeliveries: () => sandbox?.engine.pending ?? 0,
    webhooks: () => sandbox?.registry.size ?? 0,
    processMetrics: options.processMetrics ?? true,
  });
  sandbox = new Sandbox({
    webhookSecret: options.webhookSecret,
    logger,
    metrics,
    ...(options.transport === undefined ? {} : { transport: options.transport }),
    ...(options.timeScale === undefined ? {} : { timeScale: options.timeScale }),
    ...(options.deliveryTimeoutMs === undefined
      ? {}
      : { deliveryTimeoutMs: options.deliveryTimeoutMs }),
    ...(options.maxConcurrentDeliveries === undefined
      ? {}
      : { maxConcurrentDeliveries: options.maxConcurrentDeliveries }),
    ...(options.maxConcurrentDeliveriesPerWebhook === undefined
      ? {}
      : { maxConcurrentDeliveriesPerWebhook: options.maxConcurrentDeliveriesPerWebhook }),
    ...(options.deliveryLogSize === undefined ? {} : { deliveryLogSize: options.deliveryLogSize }),
    ...(options.maxWebhooksPerClinic === undefined
      ? {}
      : { maxWebhooksPerClinic: options.maxWebhooksPerClinic }),
  });

  const app = Fastify({
    loggerInstance: logger,
    // Request lines come from our onResponse hook (route pattern, status, time; no body).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes ?? 16 * 1024,
    // Refuse unknown fields instead of dropping them, so a typo is an error, not a no-op.
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // JSON only: a text/plain body is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler<FastifyError>((error, request, reply) => {
    const code = codeForError(error);
    if (ERRORS[code].status >= 500) request.log.error({ err: error }, 'request failed');
    const detail =
      code === 'INVALID_REQUEST' && error.validation
        ? describeValidation(error.validationContext, error.validation as ValidationIssue[])
        : undefined;
    return replyWithError(reply, code, detail);
  });
  app.setNotFoundHandler((_request, reply) => replyWithError(reply, 'NOT_FOUND'));
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const line = {
      method: request.method,
      route,
      statusCode: reply.statusCode,
      responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
    };
    if (route === '/healthz' || route === '/metrics') request.log.debug(line, 'request completed');
    else request.log.info(line, 'request completed');
    done();
  });

  await app.register(decorateSandbox, { sandbox });
  await app.register(operationsRoutes, { metrics });
  await app.register(registrationRoutes, {
    sandbox,
    checkApiKey,
    requireHttps: options.requireHttps ?? false,
  });
  await app.register(controlRoutes, { sandbox, checkApiKey });
  return app;
}

/** The app {@link buildSandboxApp} returns. */
export type SandboxApp = Awaited<ReturnType<typeof buildSandboxApp>>;
