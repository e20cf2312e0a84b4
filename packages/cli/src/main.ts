import { parseArgs } from 'node:util';
import { readDevstackEnv } from '@novamed-stream/devstack';
import { up } from './up.js';

const HELP = `novamed-stream: run and operate the NovaMed event backbone

Usage: novamed-stream <command> [options]

Commands:
  up        Start the whole local system: Kafka, Postgres, migrations, topics, the ingress
            and the three projectors. Prints where everything is; Ctrl-C stops it all.
  help      Show this help.

Options:
  -h, --help  Show help for a command.

Configuration comes from the environment; see README.md (KAFKA_BROKERS, DATABASE_URL,
INGRESS_PORT, WEBHOOK_API_KEYS, ...).`;

const UP_HELP = `novamed-stream up: start the whole local system in the foreground

Starts Kafka 4.1.1 (KRaft, from Maven Central jars, Java 17) and Postgres 17 (embedded), or
uses KAFKA_BROKERS / DATABASE_URL; runs the migrations; creates the topics; starts the ingress
(INGRESS_PORT, default 8080) and the projectors (health ports 9101-9103); writes
.novamed-stream/stack.json. Ctrl-C stops everything, services first.

Environment: KAFKA_BROKERS, DATABASE_URL, KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093),
POSTGRES_PORT (54329), DEVSTACK_DATA_DIR, TOPIC_PARTITIONS (6), INGRESS_PORT (8080),
WEBHOOK_API_KEYS (default: a random key, saved in stack.json), ORDERS_HEALTH_PORT,
MEDICATION_REQUESTS_HEALTH_PORT, REFILLS_HEALTH_PORT.`;

const { positionals, values } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  strict: false,
  options: { help: { type: 'boolean', short: 'h' } },
});
const [command] = positionals;

switch (command) {
  case 'up':
    if (values['help']) {
      console.log(UP_HELP);
      break;
    }
    await up(process.env, readDevstackEnv(process.env).dataDir);
    break;
  case undefined:
  case 'help':
    console.log(HELP);
    break;
  default:
    console.error(`Unknown command: ${command}\n\n${HELP}`);
    process.exit(2);
}
