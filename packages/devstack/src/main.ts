/**
 * `npm start`: runs the local stack (Kafka and Postgres, or the ones named by KAFKA_BROKERS /
 * DATABASE_URL) in the foreground until Ctrl-C, and publishes where it is in
 * `.novamed-stream/stack.json`.
 */
import { readDevstackEnv } from './devstack-env.js';
import { DevstackError, isDevstackError } from './errors.js';
import { type EnsuredTopic, ensureTopic } from './kafka-topic.js';
import { readLogTail } from './log-tail.js';
import { isProcessAlive } from './process-tree.js';
import { type RunningStack, startStack } from './stack.js';
import { readStackFile, removeStackFile, stackFilePath, writeStackFile } from './stack-file.js';

async function main(): Promise<void> {
  const started = Date.now();
  const env = readDevstackEnv(process.env);
  const stackFile = stackFilePath();
  await assertNoStackRunning(stackFile);
  let stack: RunningStack | undefined;
  let stopping = false;

  const stopGracefully = async (running: RunningStack) => {
    await running.stop();
    await removeStackFile(stackFile);
    console.log('Stopped.');
    process.exit(0);
  };
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second Ctrl-C: do not wait for the graceful shutdown any longer.
      console.log(`\n${signal} again: killing the servers.`);
      await Promise.all([stack?.kafka?.kill(), stack?.postgres?.kill()]);
      await removeStackFile(stackFile);
      process.exit(1);
    }
    stopping = true;
    if (!stack) {
      console.log(`\n${signal}: stopping once the servers are up...`);
      return;
    }
    console.log(`\n${signal}: stopping...`);
    await stopGracefully(stack);
  };
  process.on('SIGINT', (signal) => void shutdown(signal).catch(fail));
  process.on('SIGTERM', (signal) => void shutdown(signal).catch(fail));

  console.log('Starting the local stack (Kafka, Postgres)...');
  stack = await startStack({
    dataDir: env.dataDir,
    kafkaBrokers: env.kafkaBrokers,
    databaseUrl: env.databaseUrl,
    kafkaPort: env.kafkaPort,
    kafkaControllerPort: env.kafkaControllerPort,
    postgresPort: env.postgresPort,
  });
  const running = stack;
  if (stopping) {
    await stopGracefully(running);
    return;
  }
  let topic: EnsuredTopic;
  try {
    topic = await ensureTopic({
      brokers: running.kafkaBrokers,
      topic: running.topic,
      partitions: env.topicPartitions,
    });
  } catch (error) {
    await running.stop();
    throw error;
  }
  await writeStackFile(
    {
      kafkaBrokers: running.kafkaBrokers,
      databaseUrl: running.databaseUrl,
      topic: running.topic,
      startedAt: new Date().toISOString(),
      pids: {
        devstack: process.pid,
        ...(running.kafka?.pid ? { kafka: running.kafka.pid } : {}),
        ...(running.postgres?.pid ? { postgres: running.postgres.pid } : {}),
      },
      dataDir: env.dataDir,
      logFiles: {
        ...(running.kafka ? { kafka: running.kafka.logFile } : {}),
        ...(running.postgres ? { postgres: running.postgres.logFile } : {}),
      },
    },
    stackFile,
  );
  console.log(summary(running, topic, stackFile, Date.now() - started));

  // A server that dies while we run (crash, OOM, someone's kill) ends the stack loudly instead
  // of leaving a half-working one behind a stack file that says all is well.
  const watch = setInterval(() => {
    const dead = [running.kafka, running.postgres].find((server) => server && !server.running);
    if (!dead || stopping) return;
    clearInterval(watch);
    stopping = true;
    void (async () => {
      const name = dead === running.kafka ? 'Kafka' : 'Postgres';
      console.error(
        `\n${name} exited unexpectedly. Last lines of ${dead.logFile}:\n` +
          `${await readLogTail(dead.logFile)}\n\nStopping the rest of the stack.`,
      );
      await running.stop();
      await removeStackFile(stackFile);
      process.exit(1);
    })().catch(fail);
  }, 1000);
}

/** Refuses to start next to a live `npm start`, or next to servers a killed one left behind. */
async function assertNoStackRunning(stackFile: string): Promise<void> {
  const previous = await readStackFile(stackFile).catch(() => undefined);
  if (!previous) return;
  const { devstack, ...servers } = previous.pids;
  if (devstack !== undefined && isProcessAlive(devstack)) {
    throw new DevstackError(`The local stack is already running (npm start, pid ${devstack}).`, {
      hint: `Use it (see ${stackFile}), or stop it with Ctrl-C in its terminal first.`,
    });
  }
  const orphans = Object.entries(servers).filter(([, pid]) => isProcessAlive(pid));
  if (orphans.length > 0) {
    throw new DevstackError(
      'An earlier `npm start` was killed and left its servers running: ' +
        orphans.map(([name, pid]) => `${name} (pid ${pid})`).join(', ') +
        '.',
      {
        hint: `Stop them with \`kill ${orphans.map(([, pid]) => pid).join(' ')}\`, then retry.`,
      },
    );
  }
  await removeStackFile(stackFile);
}

function summary(
  stack: RunningStack,
  topic: EnsuredTopic,
  stackFile: string,
  elapsedMs: number,
): string {
  const rows: [string, string][] = [
    [
      stack.kafka ? `Kafka ${stack.kafka.version} (KRaft)` : 'Kafka (KAFKA_BROKERS)',
      stack.kafkaBrokers.join(','),
    ],
    ['topic', `${stack.topic} (${topic.partitions} partitions${topic.created ? ', created' : ''})`],
    [stack.postgres ? 'Postgres 17' : 'Postgres (DATABASE_URL)', stack.databaseUrl],
  ];
  if (stack.kafka) {
    rows.push(['Kafka data', stack.kafka.dataDir], ['Kafka log', stack.kafka.logFile]);
  }
  if (stack.postgres) {
    rows.push(['Postgres data', stack.postgres.dataDir], ['Postgres log', stack.postgres.logFile]);
  }
  rows.push(['stack file', stackFile]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return (
    `\nLocal stack is up (${(elapsedMs / 1000).toFixed(1)} s):\n\n` +
    rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n') +
    `\n\n  export KAFKA_BROKERS=${stack.kafkaBrokers.join(',')}` +
    `\n  export DATABASE_URL=${stack.databaseUrl}` +
    '\n\nCtrl-C to stop.'
  );
}

function fail(error: unknown): never {
  if (isDevstackError(error)) {
    console.error(`\nCould not start the local stack: ${error.message}\n\n${error.hint}`);
  } else {
    console.error('\nThe local stack failed unexpectedly:', error);
  }
  process.exit(1);
}

main().catch(fail);
