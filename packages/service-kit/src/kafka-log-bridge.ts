import { type LogEntry, type logCreator, logLevel } from 'kafkajs';
import type { Logger } from 'pino';

// kafkajs warns about its own defaults at every idempotent producer creation; the ingress sets
// them on purpose (bounded retries; its ProducerSession replaces the producer after a failure).
const EXPECTED_WARNINGS = ['Limiting retries for the idempotent producer'];

/**
 * A kafkajs `logCreator` that writes kafkajs's lines to `logger` (a child with
 * `component: kafkajs`), so they get the service's format and PHI redaction.
 */
export function kafkaLogBridge(logger: Logger): logCreator {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...extra } = log;
      const context = { namespace, ...extra };
      if (EXPECTED_WARNINGS.some((warning) => message.startsWith(warning))) {
        kafkaLogger.debug(context, message);
        return;
      }
      switch (level) {
        case logLevel.ERROR:
        case logLevel.NOTHING:
          kafkaLogger.error(context, message);
          return;
        case logLevel.WARN:
          kafkaLogger.warn(context, message);
          return;
        case logLevel.INFO:
          kafkaLogger.info(context, message);
          return;
        case logLevel.DEBUG:
          kafkaLogger.debug(context, message);
          return;
      }
    };
}
