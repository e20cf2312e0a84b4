import { readFileSync } from 'node:fs';
import {
  createLogDestination,
  flushLogger,
  KafkaConnectionError,
  requireKafkaConnection,
  retry,
  runService,
} from '@novamed-stream/service-kit';
import { buildApp, type IngressApp } from './build-app.js';
import { type IngressConfig, loadConfig } from './config.js';
import { createKafkaClient } from './kafka-client.js';
import { createLogger } from './logger.js';

// The only file that reads process.env: everything else receives typed options.

const USAGE = 'usage: main.ts [serve | ensure-topics]';
/** Attempts (2 s apart) to reach Kafka at boot before giving up. */
const TOPIC_ATTEMPTS = 15;

function fail(message: string): never {
  process.stderr.write(`ingress: ${message}\n`);
  process.exit(1);
}

function readTls(tls: NonNullable<IngressConfig['tls']>): { cert: Buffer; key: Buffer } {
  const read = (variable: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      const reason = error instanceof Error && 'code' in error ? String(error.code) : 'error';
      return fail(`${variable}: cannot read ${file} (${reason})`);
    }
  };
  return { cert: read('TLS_CERT_FILE', tls.certFile), key: read('TLS_KEY_FILE', tls.keyFile) };
}

/**
 * Stops the process within seconds when a secured-connection setting is wrong (refused password,
 * untrusted certificate, TLS against plain text): retrying cannot fix those.
 */
async function checkKafkaSettings(): Promise<void> {
  try {
    await requireKafkaConnection({
      clientId: config.kafkaClientId,
      brokers: config.kafkaBrokers,
      connection: config.kafkaConnection,
    });
  } catch (error) {
    if (error instanceof KafkaConnectionError) fail(error.message);
    throw error;
  }
}

/** Creates or checks the topics; false when one has another shape than configured. */
async function ensureTopics(app: IngressApp, attempts: number, signal?: AbortSignal) {
  try {
    const checks = await retry(() => app.ingress.ensureTopics(), {
      retries: attempts - 1,
      minDelayMs: 2000,
      maxDelayMs: 2000,
      signal,
      onRetry: (error, attempt) =>
        app.log.warn(
          { attempt, err: { message: error.message } },
          'Kafka not reachable yet; retrying',
        ),
    });
    return checks.every((check) => check.status !== 'MISMATCH');
  } catch (error) {
    if (signal?.aborted) throw error;
    const message = error instanceof Error ? error.message : String(error);
    return fail(`cannot create or check the Kafka topics via KAFKA_BROKERS: ${message}`);
  }
}

const command = process.argv[2] ?? 'serve';
if (command !== 'serve' && command !== 'ensure-topics') fail(USAGE);
const result = loadConfig(process.env);
if (!result.ok) fail(`invalid configuration:\n  ${result.errors.join('\n  ')}`);
const { config } = result;

// Buffered asynchronous writes, flushed synchronously on every exit path (the kit's shutdown).
const logger = createLogger({ level: config.logLevel, destination: createLogDestination() });
const build = () =>
  buildApp({
    apiKeys: config.apiKeys,
    kafka: createKafkaClient({
      brokers: config.kafkaBrokers,
      clientId: config.kafkaClientId,
      logger,
      requestTimeoutMs: config.limits.appendDeadlineMs,
      connection: config.kafkaConnection,
    }),
    topics: config.topics,
    webhookPath: config.webhookPath,
    limits: config.limits,
    http: config.http,
    https: config.tls ? readTls(config.tls) : undefined,
    logger,
    retryAfterSeconds: config.retryAfterSeconds,
  });

if (command === 'ensure-topics') {
  await checkKafkaSettings();
  const app = await build();
  const ok = await ensureTopics(app, 1);
  await app.close();
  flushLogger(logger);
  process.exit(ok ? 0 : 2);
}

await runService({
  name: 'ingress',
  logger,
  shutdownTimeoutMs: config.shutdownTimeoutMs,
  start: async (signal) => {
    await checkKafkaSettings();
    const app = await build();
    await ensureTopics(app, TOPIC_ATTEMPTS, signal);
    await app.listen({ port: config.port, host: config.host });
    return app;
  },
  stop: async (app) => {
    app.log.info('draining in-flight requests');
    app.ingress.startDraining();
    await app.close();
  },
});
