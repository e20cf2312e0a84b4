import { projectorMain, readProjectorServiceEnv } from '@novamed-stream/projection';
import { refillsProjector } from '@novamed-stream/projectors';

// The only file of this service that reads the environment (see README.md for the variables).
await projectorMain(refillsProjector, () =>
  readProjectorServiceEnv(process.env, { HEALTH_PORT: 9103 }),
);
