import { projectorMain, readProjectorServiceEnv } from '@novamed-stream/projection';
import { ordersProjector } from '@novamed-stream/projectors';

// The only file of this service that reads the environment (see README.md for the variables).
await projectorMain(ordersProjector, () =>
  readProjectorServiceEnv(process.env, { HEALTH_PORT: 9101 }),
);
