import {
  describeError,
  readProjectorServiceEnv,
  runProjectorService,
} from '@novamed-stream/projection';
import { medicationRequestsProjector } from '@novamed-stream/projectors';
import { ConfigError, createLogger, runService } from '@novamed-stream/service-kit';

// The only file of this service that reads the environment (see README.md for the variables).
const NAME = 'projector-medication-requests';

function readConfig() {
  try {
    return readProjectorServiceEnv(process.env, { HEALTH_PORT: 9102 });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${NAME}: ${error.message}\n`);
    process.exit(1);
  }
}

const config = readConfig();
const logger = createLogger({ service: NAME, level: config.LOG_LEVEL });
await runService({
  name: NAME,
  logger,
  // Whatever the stop waits for (a database retry, a broker that is gone), exit soon.
  shutdownTimeoutMs: 10_000,
  start: (signal) => runProjectorService(medicationRequestsProjector, config, { signal, logger }),
  stop: (service) => service.stop(),
  describeError: (error) => describeError(error).error,
});
