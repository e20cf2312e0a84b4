/**
 * `npm run stack` / the devstack alone: Kafka and Postgres in the foreground until Ctrl-C.
 * The whole system (`npm start`) is the CLI's `up`, which extends this with the services.
 */
import { runLocalStack } from './run-local-stack.js';

await runLocalStack();
