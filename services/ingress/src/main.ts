import { readFileSync } from 'node:fs';
import { buildApp, type IngressApp } from './build-app.js';
import { type IngressConfig, loadConfig } from './config.js';
import { createKafkaClient } from './kafka-client.js';
import { createLogDestination, createLogger } from './logger.js';

// The only file that reads process.env: everything else receives typed options.

const USAGE = 'usage: main.ts [serve | ensure-topics]';

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

async function ensureTopicsWithRetry(app: IngressApp, attempts: number): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      const checks = await app.ingress.ensureTopics();
      return checks.every((check) => check.status !== 'MISMATCH');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (attempt >= attempts) {
        fail(`cannot create or check the Kafka topics via KAFKA_BROKERS: ${message}`);
      }
      app.log.warn({ attempt, err: { message } }, 'Kafka not reachable yet; retrying');
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

async function main(): Promise<void> {
  const command = process.argv[2] ?? 'serve';
  if (command !== 'serve' && command !== 'ensure-topics') fail(USAGE);
  const result = loadConfig(process.env);
  if (!result.ok) fail(`invalid configuration:\n  ${result.errors.join('\n  ')}`);
  const { config } = result;

  // Buffered asynchronous writes, flushed synchronously on every exit path below.
  const destination = createLogDestination();
  const logger = createLogger({ level: config.logLevel, destination });
  const kafka = createKafkaClient({
    brokers: config.kafkaBrokers,
    clientId: config.kafkaClientId,
    logger,
    requestTimeoutMs: config.limits.appendDeadlineMs,
  });
  const app = await buildApp({
    apiKeys: config.apiKeys,
    kafka,
    topics: config.topics,
    webhookPath: config.webhookPath,
    limits: config.limits,
    http: config.http,
    https: config.tls ? readTls(config.tls) : undefined,
    logger,
    retryAfterSeconds: config.retryAfterSeconds,
  });

  if (command === 'ensure-topics') {
    const ok = await ensureTopicsWithRetry(app, 1);
    await app.close();
    destination.flushSync();
    process.exit(ok ? 0 : 2);
  }

  await ensureTopicsWithRetry(app, 15);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: draining in-flight requests');
    app.ingress.startDraining();
    const force = setTimeout(() => {
      app.log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out');
      destination.flushSync();
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    try {
      await app.close();
      app.log.info('shutdown complete');
      destination.flushSync();
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      destination.flushSync();
      process.exit(1);
    }
  };
  // `on`, not `once`: a second signal (e.g. relayed by a process manager) must not kill the
  // process halfway through draining; `shutdown` runs once.
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // Run by `npm start` (an IPC channel): stop when that process is gone, however it ended.
  if (process.channel) {
    process.on('disconnect', () => void shutdown('parent process gone'));
    process.channel.unref();
  }
  process.on('unhandledRejection', (reason) => {
    app.log.fatal({ err: reason }, 'unhandled rejection');
    destination.flushSync();
    process.exit(1);
  });

  await app.listen({ port: config.port, host: config.host });
}

main().catch((error: unknown) => {
  fail(error instanceof Error ? (error.stack ?? error.message) : String(error));
});
