import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Database } from '@novamed-stream/db';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import type { Admin, Kafka } from 'kafkajs';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { analyticsSummary } from './analytics-summary.js';
import { type AuthOptions, authRoutes } from './auth-routes.js';
import type { MetricsSource } from './config.js';
import { createConsoleKeyVerifier } from './console-key-verifier.js';
import { errorBody } from './errors.js';
import { explorerRoutes } from './explorer-routes.js';
import { liveRoutes } from './live-routes.js';
import { LiveSampler, type LiveSamplerOptions } from './live-sampler.js';
import { SessionStore } from './session-store.js';

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  /** Accepted console keys (several during a rotation). */
  apiKeys: readonly string[];
  /** Read-only connection (see `createConsoleDb`). */
  db: Kysely<Database>;
  /** kafkajs client: the admin for offsets and lag, and the explorer's topic scan. */
  kafka: Kafka;
  topic: string;
  metrics: readonly MetricsSource[];
  sampleIntervalMs?: number;
  /** A pino logger (its redaction is the caller's), or false for none. */
  logger?: Logger | false;
}

/** The app with the sampler (tests drive it) and its own close. */
export type ConsoleApp = FastifyInstance & { sampler: LiveSampler };

const here = dirname(fileURLToPath(import.meta.url));

/** The `public/` folder beside `src/` and `dist/`. */
function publicDir(): string {
  const candidate = join(here, '..', 'public');
  if (!existsSync(candidate)) throw new Error(`console assets missing at ${candidate}`);
  return candidate;
}

/** uPlot's dist folder, served from its npm package (no CDN: pages work offline). */
function uplotDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
}

const SECURITY_HEADERS = {
  // Scripts and styles only from the console itself: no inline script, no CDN.
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/**
 * The kafkajs admin, connected on first use (a failed connect is tried again by the next call),
 * and the sampler's port onto it.
 */
function lazyAdmin(kafka: Kafka): { admin: Admin; samplerAdmin: LiveSamplerOptions['admin'] } {
  const admin = kafka.admin();
  let adminConnected: Promise<void> | undefined;
  const connectedAdmin = async (): Promise<Admin> => {
    adminConnected ??= admin.connect().catch((error: unknown) => {
      adminConnected = undefined;
      throw error;
    });
    await adminConnected;
    return admin;
  };
  const samplerAdmin: LiveSamplerOptions['admin'] = {
    listTopics: async () => (await connectedAdmin()).listTopics(),
    fetchTopicOffsets: async (topic) => (await connectedAdmin()).fetchTopicOffsets(topic),
    fetchTopicOffsetsByTimestamp: async (topic, at) =>
      (await connectedAdmin()).fetchTopicOffsetsByTimestamp(topic, at),
    describeGroups: async (ids) => (await connectedAdmin()).describeGroups(ids),
    listGroups: async () => (await connectedAdmin()).listGroups(),
    fetchOffsets: async (o) => (await connectedAdmin()).fetchOffsets(o),
  };
  return { admin, samplerAdmin };
}

/** Validation -> 400; Postgres connection classes and refused connections -> 503; else 500. */
function handleError(error: Error, request: FastifyRequest, reply: FastifyReply) {
  const status = (error as { statusCode?: number }).statusCode;
  if ((error as { validation?: unknown }).validation || status === 400) {
    return reply.code(400).send(errorBody('BAD_REQUEST'));
  }
  const code = (error as { code?: unknown }).code;
  const infrastructure =
    typeof code === 'string' && (/^(08|57|53)/.test(code) || code.startsWith('ECONN'));
  request.log.error({ err: { name: error.name, code } }, 'request failed');
  return infrastructure
    ? reply.code(503).send(errorBody('UNAVAILABLE'))
    : reply.code(500).send(errorBody('INTERNAL'));
}

/**
 * The console: the sign-in, the explorer, the live flow (server-sent events) and the analytics
 * page, each page and API behind a console key. Listening is the caller's (main.ts).
 */
export async function buildApp(options: BuildAppOptions): Promise<ConsoleApp> {
  const fastifyOptions: FastifyServerOptions = {
    loggerInstance:
      options.logger === false || options.logger === undefined ? undefined : options.logger,
    logger: options.logger === false || options.logger === undefined ? false : undefined,
    trustProxy: false,
  };
  const app = Fastify(
    fastifyOptions as FastifyServerOptions,
  ).withTypeProvider<TypeBoxTypeProvider>();
  const { admin, samplerAdmin } = lazyAdmin(options.kafka);
  const sampler = new LiveSampler({
    db: options.db,
    admin: samplerAdmin,
    topic: options.topic,
    metrics: options.metrics,
    intervalMs: options.sampleIntervalMs ?? 2000,
  });

  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(errorBody('NOT_FOUND')));

  await app.register(fastifyStatic, { root: publicDir(), prefix: '/assets/', index: false });
  await app.register(fastifyStatic, {
    root: uplotDir(),
    prefix: '/vendor/uplot/',
    decorateReply: false,
    allowedPath: (path) => path === '/uPlot.iife.min.js' || path === '/uPlot.min.css',
  });
  app.get('/healthz', async () => ({ status: 'ok' }));

  const auth: AuthOptions = {
    verify: createConsoleKeyVerifier(options.apiKeys),
    sessions: new SessionStore(),
  };
  await app.register(authRoutes, auth);
  await app.register(explorerRoutes, {
    deps: { db: options.db, kafka: options.kafka, topic: options.topic },
    auth,
  });
  await app.register(liveRoutes, {
    sampler,
    auth,
    analytics: () => analyticsSummary(options.db),
  });

  app.addHook('preClose', async () => {
    sampler.stop();
  });
  app.addHook('onClose', async () => {
    await sampler.settle();
    await admin.disconnect().catch(() => undefined);
  });
  return Object.assign(app, { sampler }) as unknown as ConsoleApp;
}
