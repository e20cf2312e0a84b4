import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ensureTopics, type TopicAdmin, type TopicCheck } from '@novamed-stream/service-kit';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { registerApiDocs } from './api-docs.js';
import { createApiKeyVerifier } from './api-key-verifier.js';
import type { BatchProducer } from './batch-producer.js';
import {
  DEFAULT_HTTP_TIMEOUTS,
  DEFAULT_LIMITS,
  DEFAULT_RETRY_AFTER_SECONDS,
  DEFAULT_TOPICS,
  DEFAULT_WEBHOOK_PATH,
  type HttpTimeouts,
  type IngressLimits,
  type TopicsConfig,
} from './config.js';
import { codeForError, ERRORS, replyWithError } from './errors.js';
import { EventAppender } from './event-appender.js';
import { healthRoutes } from './health-routes.js';
import { IngressMetrics } from './ingress-metrics.js';
import { createIdempotentProducer } from './kafka-client.js';
import { createLogger, type LoggerOptions } from './logger.js';
import { metricsRoute } from './metrics-route.js';
import { ProducerSession } from './producer-session.js';
import { webhookRoute } from './webhook-route.js';

/** The producer side the app drives: a {@link ProducerSession}, or a fake in tests. */
export interface IngressProducer extends BatchProducer {
  /** Connects (or starts reconnecting in the background); never throws. */
  connect(): Promise<unknown>;
  close(): Promise<void>;
  /** True while appends can be acknowledged (for `/readyz`). */
  isReady(): boolean;
}

/** A topic admin the app connects for {@link IngressControls.ensureTopics} only. */
export interface IngressAdmin extends TopicAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/** Options of {@link buildApp}. Everything but `apiKeys` and a Kafka side has a default. */
export interface BuildAppOptions {
  /** Accepted `x-api-key` values (several during a rotation). */
  apiKeys: readonly string[];
  /** A kafkajs client: the app makes its idempotent producer session and admin from it. */
  kafka?: Kafka;
  /** Narrow producer, used instead of one made from `kafka`. */
  producer?: IngressProducer;
  /** Narrow admin, used instead of one made from `kafka`. */
  admin?: IngressAdmin;
  topics?: Partial<TopicsConfig>;
  webhookPath?: string;
  limits?: Partial<IngressLimits>;
  http?: Partial<HttpTimeouts>;
  /** Serve HTTPS with this certificate and key (PEM). */
  https?: { cert: string | Buffer; key: string | Buffer };
  /** A pino logger, or the level and destination of a new one (tests capture a stream). */
  logger?: Logger | LoggerOptions;
  retryAfterSeconds?: number;
  /** Collect prom-client's process metrics too. Default true. */
  processMetrics?: boolean;
  /** Pause between reconnect attempts of a broken producer, in ms. Default 1000. */
  reconnectIntervalMs?: number;
}

/** What the entry point (and tests) can do with a built app, as `app.ingress`. */
export interface IngressControls {
  /** Creates missing topics and checks existing ones (see `ensureTopics`). */
  ensureTopics(): Promise<TopicCheck[]>;
  /** Marks the app as shutting down: `/readyz` answers 503, new webhooks get 503. */
  startDraining(): void;
  /** Producer connected and not draining. */
  isReady(): boolean;
  readonly appender: EventAppender;
  readonly metrics: IngressMetrics;
  readonly topics: TopicsConfig;
}

declare module 'fastify' {
  interface FastifyInstance {
    ingress: IngressControls;
  }
}

function isLogger(value: Logger | LoggerOptions | undefined): value is Logger {
  return typeof (value as Logger | undefined)?.child === 'function';
}

const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/** {@link BuildAppOptions} with every default filled in. */
interface ResolvedOptions {
  limits: IngressLimits;
  http: HttpTimeouts;
  topics: TopicsConfig;
  webhookPath: string;
  retryAfterSeconds: number;
  logger: Logger;
}

function resolveOptions(options: BuildAppOptions): ResolvedOptions {
  return {
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    http: { ...DEFAULT_HTTP_TIMEOUTS, ...options.http },
    topics: { ...DEFAULT_TOPICS, ...options.topics },
    webhookPath: options.webhookPath ?? DEFAULT_WEBHOOK_PATH,
    retryAfterSeconds: options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
    logger: isLogger(options.logger) ? options.logger : createLogger(options.logger),
  };
}

/** The given producer, or an idempotent {@link ProducerSession} on `kafka`. */
function producerFor(options: BuildAppOptions, resolved: ResolvedOptions): IngressProducer {
  if (options.producer !== undefined) return options.producer;
  const { kafka } = options;
  if (kafka === undefined) throw new Error('buildApp needs `kafka` or `producer`');
  return new ProducerSession({
    createProducer: () => createIdempotentProducer(kafka),
    sendTimeoutMs: resolved.limits.appendDeadlineMs,
    connectTimeoutMs: resolved.limits.appendDeadlineMs,
    reconnectIntervalMs: options.reconnectIntervalMs ?? 1000,
    logger: resolved.logger.child({ component: 'producer' }),
  });
}

function serverOptionsFor(
  options: BuildAppOptions,
  { logger, limits, http }: ResolvedOptions,
): FastifyServerOptions {
  const serverOptions: FastifyServerOptions = {
    loggerInstance: logger,
    // One line per request comes from our onResponse hook (route pattern, status, time).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: limits.bodyLimitBytes,
    connectionTimeout: http.connectionTimeoutMs,
    requestTimeout: http.requestTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    // Shutdown answers go through our own hook, with the shared error body and Retry-After.
    return503OnClosing: false,
  };
  // Node checks `requestTimeout` only every `connectionsCheckingInterval` (default 30 s), and
  // checks a request whose headers are complete (a slow body) only when `headersTimeout` is at
  // most `requestTimeout` (its default is 60 s; Fastify sets `requestTimeout` only after the
  // server exists). Without these a slow client held its socket for 30 s, and a slow body for
  // ever, whatever REQUEST_TIMEOUT_MS said. Both are construction options of the server.
  const nodeServerOptions =
    http.requestTimeoutMs > 0
      ? {
          requestTimeout: http.requestTimeoutMs,
          headersTimeout: http.requestTimeoutMs,
          connectionsCheckingInterval: Math.min(
            1000,
            Math.max(100, Math.floor(http.requestTimeoutMs / 4)),
          ),
        }
      : {};
  Object.assign(serverOptions, { http: nodeServerOptions });
  // Fastify's typings model HTTPS as another server type; at run time it is the same option,
  // and nothing here depends on the server class.
  if (options.https) {
    Object.assign(serverOptions, { https: { ...options.https, ...nodeServerOptions } });
  }
  return serverOptions;
}

function appenderFor(
  producer: IngressProducer,
  limits: IngressLimits,
  metrics: IngressMetrics,
): EventAppender {
  return new EventAppender({
    producer,
    lingerMs: limits.lingerMs,
    maxBatchMessages: limits.maxBatchMessages,
    maxBatchBytes: limits.maxBatchBytes,
    maxPending: limits.maxPending,
    maxPendingBytes: limits.maxPendingBytes,
    deadlineMs: limits.appendDeadlineMs,
    ackTimeoutMs: limits.appendDeadlineMs,
    onBatchSettled: (batch) => {
      metrics.batchSize.observe(batch.messages);
      metrics.produceDuration.observe(
        { outcome: batch.failure === undefined ? 'acknowledged' : 'failed' },
        batch.durationMs / 1000,
      );
    },
  });
}

/** What the app-wide hooks of {@link registerAppHooks} act on. */
interface AppHookContext {
  logger: Logger;
  metrics: IngressMetrics;
  appender: EventAppender;
  producer: IngressProducer;
  retryAfterSeconds: number;
  isDraining: () => boolean;
  startDraining: () => void;
}

/**
 * The error and not-found answers (the shared error body), one log line and one metric per
 * answer, `connection: close` while draining, and the producer's lifecycle.
 */
function registerAppHooks(app: FastifyInstance, context: AppHookContext): void {
  const { logger, metrics, appender, producer, retryAfterSeconds } = context;
  app.setErrorHandler<FastifyError>((error, request, reply) => {
    const code = codeForError(error);
    if (ERRORS[code].status >= 500 && code !== 'OVERLOADED') {
      request.log.error({ err: error }, 'request failed');
    } else {
      request.log.info({ code, cause: error.code }, 'request refused');
    }
    return replyWithError(reply, code, { retryAfterSeconds });
  });
  app.setNotFoundHandler((_request, reply) =>
    replyWithError(reply, 'NOT_FOUND', { retryAfterSeconds }),
  );
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ route, status: String(reply.statusCode) });
    const line = {
      method: request.method,
      route,
      statusCode: reply.statusCode,
      responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
    };
    if (QUIET_ROUTES.has(route)) request.log.debug(line, 'request completed');
    else request.log.info(line, 'request completed');
    done();
  });
  // Node's server.close() reaps only the keep-alive sockets idle at that moment; a socket whose
  // request was in flight would stay open after its answer and hold the shutdown. Answers sent
  // while draining close their connection.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (context.isDraining()) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onReady', async () => {
    await producer.connect();
  });
  app.addHook('preClose', async () => {
    context.startDraining();
  });
  app.addHook('onClose', async () => {
    await appender.close();
    logger.info('appender flushed');
    await producer.close();
    logger.info('producer disconnected');
  });
}

/** Creates the events and quarantine topics when missing, and checks them (`ensureTopics`). */
async function ensureIngressTopics(
  admin: IngressAdmin | undefined,
  topics: TopicsConfig,
  logger: Logger,
): Promise<TopicCheck[]> {
  if (admin === undefined) throw new Error('ensureTopics needs `kafka` or `admin`');
  await admin.connect();
  try {
    const specs = [topics.events, topics.quarantine].map((topic) => ({
      topic,
      partitions: topics.partitions,
      replicationFactor: topics.replicationFactor,
    }));
    return await ensureTopics(admin, specs, { logger: logger.child({ component: 'topics' }) });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Builds the ingress Fastify app: the webhook route, `/healthz`, `/readyz`, `/metrics`,
 * `/openapi.json` and `/docs`. It does not listen. `app.ready()` connects the producer
 * (without failing when Kafka is down: readiness stays false and it keeps retrying);
 * `app.close()` stops accepting, lets in-flight requests finish, flushes the appender and
 * disconnects the producer.
 */
export async function buildApp(options: BuildAppOptions) {
  const resolved = resolveOptions(options);
  const { limits, topics, logger, retryAfterSeconds } = resolved;
  const verifyApiKey = createApiKeyVerifier(options.apiKeys);
  const producer = producerFor(options, resolved);
  const app = Fastify(serverOptionsFor(options, resolved)).withTypeProvider<TypeBoxTypeProvider>();

  let draining = false;
  const isDraining = () => draining;
  const metrics = new IngressMetrics({
    pendingAppends: () => appender.pending,
    producerReady: () => producer.isReady(),
    processMetrics: options.processMetrics ?? true,
  });
  const appender = appenderFor(producer, limits, metrics);
  const isReady = () => !draining && producer.isReady();
  const startDraining = () => {
    draining = true;
  };

  app.decorate('ingress', {
    ensureTopics: () =>
      ensureIngressTopics(options.admin ?? options.kafka?.admin(), topics, logger),
    startDraining,
    isReady,
    appender,
    metrics,
    topics,
  } satisfies IngressControls);
  registerAppHooks(app, {
    logger,
    metrics,
    appender,
    producer,
    retryAfterSeconds,
    isDraining,
    startDraining,
  });

  await registerApiDocs(app, { webhookPath: resolved.webhookPath });
  await app.register(healthRoutes, { isReady, retryAfterSeconds });
  await app.register(metricsRoute, { metrics });
  await app.register(webhookRoute, {
    path: resolved.webhookPath,
    verifyApiKey,
    appender,
    eventsTopic: topics.events,
    quarantineTopic: topics.quarantine,
    bodyLimitBytes: limits.bodyLimitBytes,
    retryAfterSeconds,
    metrics,
    isDraining,
    maxEventLoopDelayMs: limits.maxEventLoopDelayMs,
    maxHeapUsedBytes: limits.maxHeapUsedBytes,
  });
  return app;
}

/** The app {@link buildApp} returns. */
export type IngressApp = Awaited<ReturnType<typeof buildApp>>;
