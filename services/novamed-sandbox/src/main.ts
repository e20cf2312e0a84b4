import { destination as pinoDestination } from 'pino';
import { buildSandboxApp } from './build-sandbox-app.js';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';

// The only file that reads process.env: everything else receives typed options.

/** A stop waits this long for deliveries in flight, then exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 5000;

function fail(message: string): never {
  process.stderr.write(`novamed-sandbox: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const result = loadConfig(process.env);
  if (!result.ok) fail(`invalid configuration:\n  ${result.errors.join('\n  ')}`);
  const { config } = result;

  const destination = pinoDestination({ dest: 1, sync: false });
  const logger = createLogger({ level: config.logLevel, destination });
  const app = await buildSandboxApp({
    apiKeys: [config.apiKey],
    webhookSecret: config.webhookSecret,
    timeScale: config.timeScale,
    deliveryTimeoutMs: config.deliveryTimeoutMs,
    maxConcurrentDeliveries: config.maxConcurrentDeliveries,
    maxConcurrentDeliveriesPerWebhook: config.maxConcurrentDeliveriesPerWebhook,
    deliveryLogSize: config.deliveryLogSize,
    maxWebhooksPerClinic: config.maxWebhooksPerClinic,
    requireHttps: config.requireHttps,
    logger,
  });
  const { sandbox } = app;

  let lastLine = '';
  const logSummary = (force: boolean) => {
    const { line } = sandbox.log.summary();
    if (!force && line === lastLine) return;
    lastLine = line;
    app.log.info({ summary: line }, 'delivery summary');
  };
  if (config.summaryIntervalSeconds > 0) {
    setInterval(() => logSummary(false), config.summaryIntervalSeconds * 1000).unref();
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    // Deliveries cut short or never sent are not waited for past the deadline: whatever is
    // still pending then is abandoned, and the last summary says how many.
    const force = setTimeout(() => {
      app.log.warn(
        { timeoutMs: SHUTDOWN_TIMEOUT_MS, abandoned: sandbox.log.pending },
        'shutdown timed out; abandoning pending deliveries',
      );
      logSummary(true);
      destination.flushSync();
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    force.unref();
    try {
      const pending = sandbox.log.pending;
      await app.close();
      if (pending > 0) app.log.info({ abandoned: pending }, 'pending deliveries abandoned');
      logSummary(true);
      destination.flushSync();
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      destination.flushSync();
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // Run by `npm start` (an IPC channel): stop when that process is gone, however it ended.
  if (process.channel) {
    process.on('disconnect', () => void shutdown('parent process gone'));
    process.channel.unref();
  }

  await app.listen({ port: config.port, host: config.host });

  if (config.register) {
    for (const clinicId of config.register.clinicIds) {
      const outcome = sandbox.register(clinicId, config.register.webhookUrl);
      if (!outcome.ok && outcome.reason === 'LIMIT_REACHED') {
        fail('REGISTER_CLINIC_IDS: cannot register REGISTER_WEBHOOK_URL (webhook limit)');
      }
    }
  }
  if (config.stream) {
    const started = sandbox.startGeneration({
      rate: config.stream.rate,
      ...(config.stream.seed === undefined ? {} : { seed: config.stream.seed }),
      faults: {
        duplicateRate: config.stream.duplicateRate,
        outOfOrderRate: config.stream.outOfOrderRate,
      },
    });
    if (!started.ok) fail(`could not start the stream (${started.reason})`);
  }
}

main().catch((error: unknown) => {
  fail(error instanceof Error ? (error.stack ?? error.message) : String(error));
});
