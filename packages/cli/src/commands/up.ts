import { readDevstackEnv } from '@novamed-stream/devstack';
import type { Command } from '../command.js';
import { up } from '../up.js';

/** `novamed-stream up` (also `npm start`). */
export const upCommand: Command = {
  name: 'up',
  summary: 'Start the whole local system in the foreground (npm start); Ctrl-C stops it',
  help: `novamed-stream up: start the whole local system in the foreground

Usage: novamed-stream up

Starts Kafka 4.1.1 (KRaft, from Maven Central jars, Java 17) and Postgres 17 (embedded), or
uses KAFKA_BROKERS / DATABASE_URL; runs the migrations; creates the topics; starts the ingress
(INGRESS_PORT, default 8080) and the projectors (health ports 9101-9103); writes
.novamed-stream/stack.json, which the other commands read. Prints where everything is.
Ctrl-C, SIGTERM or SIGHUP stops everything, services first, then Kafka and Postgres, and exits 0;
a second Ctrl-C kills at once. If up itself is killed, its services, Kafka and Postgres stop
by themselves within seconds.

Environment: KAFKA_BROKERS, DATABASE_URL, KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093),
POSTGRES_PORT (54329), DEVSTACK_DATA_DIR, TOPIC_PARTITIONS (6), INGRESS_PORT (8080),
WEBHOOK_API_KEYS (default: a random key, saved in stack.json), ORDERS_HEALTH_PORT,
MEDICATION_REQUESTS_HEALTH_PORT, REFILLS_HEALTH_PORT.

Example:
  npm start`,
  options: {},
  async run({ io }) {
    // Runs until Ctrl-C, SIGTERM or SIGHUP, stops everything, then resolves with the exit code.
    return up(io.env as NodeJS.ProcessEnv, readDevstackEnv(io.env as NodeJS.ProcessEnv).dataDir);
  },
};
