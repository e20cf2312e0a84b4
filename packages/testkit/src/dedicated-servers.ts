import { chmod, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import {
  findFreePorts,
  KafkaBroker,
  KafkaCluster,
  type KafkaSaslSslListener,
  PostgresServer,
  resolveKafkaJars,
} from '@novamed-stream/devstack';
import { testStack } from './test-stack.js';

/**
 * Starts a Kafka broker of the test's own, on free ports and fresh data in this run's temp
 * folder, for tests that kill or restart a broker without disturbing other files. Reuses the
 * cached jars. The caller stops it (`await broker.stop()` in `afterAll`).
 */
export async function startDedicatedBroker(
  options: {
    /** Adds a SASL_SSL listener on another free port (`broker.saslSslBrokers`). */
    saslSsl?: Omit<KafkaSaslSslListener, 'port'>;
  } = {},
): Promise<KafkaBroker> {
  const stack = testStack();
  const libDir = stack.kafkaLibDir ?? (await resolveKafkaJars());
  const [port, controllerPort, saslSslPort] = await findFreePorts(options.saslSsl ? 3 : 2);
  const broker = new KafkaBroker({
    dataDir: await mkdtemp(join(stack.dataRoot, 'dedicated-kafka-')),
    port: port as number,
    controllerPort: controllerPort as number,
    libDir,
    heap: { initial: '128m', max: '512m' },
    ...(options.saslSsl ? { saslSsl: { ...options.saslSsl, port: saslSslPort as number } } : {}),
  });
  await broker.start();
  return broker;
}

/**
 * Starts a local Kafka cluster of the test's own (`nodes` KRaft nodes, each broker and
 * controller, default 3) on free ports and fresh data in this run's temp folder, for tests that
 * kill nodes. The caller stops it (`await cluster.stop()` in `afterAll`).
 */
export async function startDedicatedCluster(nodes = 3): Promise<KafkaCluster> {
  const stack = testStack();
  const libDir = stack.kafkaLibDir ?? (await resolveKafkaJars());
  const ports = await findFreePorts(2 * nodes);
  const cluster = new KafkaCluster({
    dataDir: await mkdtemp(join(stack.dataRoot, 'dedicated-cluster-')),
    nodes: Array.from({ length: nodes }, (_, i) => ({
      port: ports[2 * i] as number,
      controllerPort: ports[2 * i + 1] as number,
    })),
    libDir,
    heap: { initial: '128m', max: '384m' },
  });
  await cluster.start();
  return cluster;
}

/**
 * Starts a Postgres server of the test's own, on a free port and fresh data in this run's temp
 * folder, for tests that kill or restart it. The caller stops it (`await server.stop()`).
 */
export async function startDedicatedPostgres(
  options: {
    /** Serve TLS with this certificate and key (plain text stays allowed). */
    tls?: { certFile: string; keyFile: string };
  } = {},
): Promise<PostgresServer> {
  const stack = testStack();
  const [port] = await findFreePorts(1);
  const parent = await mkdtemp(join(stack.dataRoot, 'dedicated-postgres-'));
  // mkdtemp makes 0700 folders; as root, Postgres runs as `postgres` and must traverse it.
  await chmod(parent, 0o755);
  const server = new PostgresServer({
    dataDir: join(parent, 'data'),
    port: port as number,
    ...(options.tls ? { tls: options.tls } : {}),
  });
  await server.start();
  return server;
}
