import { createLogDestination, runService } from '@novamed-stream/service-kit';
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

  const logger = createLogger({ level: config.logLevel, destination: createLogDestination() });
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

  await runService({
    name: 'novamed-sandbox',
    logger,
    shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
    // Deliveries cut short or never sent are not waited for past the deadline: whatever is
    // still pending then is abandoned, and the last summary says how many.
    onTimeout: () => {
      logger.warn({ abandoned: sandbox.log.pending }, 'abandoning pending deliveries');
      logSummary(true);
    },
    start: async () => {
      await app.listen({ port: config.port, host: config.host });
      return app;
    },
    stop: async () => {
      const pending = sandbox.log.pending;
      await app.close();
      if (pending > 0) app.log.info({ abandoned: pending }, 'pending deliveries abandoned');
      logSummary(true);
    },
  });

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
