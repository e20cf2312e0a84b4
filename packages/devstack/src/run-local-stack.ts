/**
 * Runs the local stack (Kafka and Postgres, or the ones named by KAFKA_BROKERS / DATABASE_URL)
 * in the foreground until Ctrl-C, and publishes where it is in `.novamed-stream/stack.json`.
 * An {@link StackExtension} starts more on top (the CLI's `up` starts the services).
 */
import { readDevstackEnv } from './devstack-env.js';
import { DevstackError, isDevstackError } from './errors.js';
import { type EnsuredTopic, ensureTopic } from './kafka-topic.js';
import { readLogTail } from './log-tail.js';
import { isProcessAlive } from './process-tree.js';
import { type RunningStack, startStack } from './stack.js';
import { readStackFile, removeStackFile, stackFilePath, writeStackFile } from './stack-file.js';

/** What runs on top of the stack: started after it, stopped before it. */
export interface StackExtension {
  /** Shown while starting, e.g. 'ingress and projectors'. */
  readonly name: string;
  start(stack: RunningStack): Promise<StartedExtension>;
}

/** A started extension. */
export interface StartedExtension {
  /** Rows added to the summary table. */
  rows: [string, string][];
  /** Fields added to stack.json (e.g. ingressUrl, webhookKey). */
  stackFields: Record<string, unknown>;
  /** Process ids added to stack.json's `pids`. */
  pids: Record<string, number>;
  /** Extra lines printed after the table (how to look at things). */
  notes?: string[];
  /** The name of a part that died, if any (checked every second). */
  dead(): string | undefined;
  stop(): Promise<void>;
  /** Ends everything at once (a second Ctrl-C). */
  kill?(): Promise<void>;
}

/** Runs the local stack until SIGINT/SIGTERM; exits the process when done. */
export async function runLocalStack(extension?: StackExtension): Promise<void> {
  return main(extension).catch(fail);
}

async function main(extension?: StackExtension): Promise<void> {
  const started = Date.now();
  const env = readDevstackEnv(process.env);
  const stackFile = stackFilePath();
  await assertNoStackRunning(stackFile);
  let stack: RunningStack | undefined;
  let started_: StartedExtension | undefined;
  let stopping = false;
  let firstSignalAt = 0;

  const stopGracefully = async (running: RunningStack) => {
    await started_?.stop();
    await running.stop();
    await removeStackFile(stackFile);
    console.log('Stopped.');
    process.exit(0);
  };
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) {
      // The same Ctrl-C often arrives twice (from the terminal and relayed by npm): only a
      // second press, a moment later, means "stop waiting".
      if (Date.now() - firstSignalAt < 1500) return;
      console.log(`\n${signal} again: killing the servers.`);
      await started_?.kill?.();
      await Promise.all([stack?.kafka?.kill(), stack?.postgres?.kill()]);
      await removeStackFile(stackFile);
      process.exit(1);
    }
    stopping = true;
    firstSignalAt = Date.now();
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
  if (extension) {
    console.log(`Starting ${extension.name}...`);
    try {
      started_ = await extension.start(running);
    } catch (error) {
      await running.stop();
      throw error;
    }
    if (stopping) {
      await stopGracefully(running);
      return;
    }
  }
  const ext = started_;
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
        ...ext?.pids,
      },
      ...ext?.stackFields,
      dataDir: env.dataDir,
      logFiles: {
        ...(running.kafka ? { kafka: running.kafka.logFile } : {}),
        ...(running.postgres ? { postgres: running.postgres.logFile } : {}),
      },
    },
    stackFile,
  );
  console.log(summary(running, topic, stackFile, Date.now() - started, ext));

  // A server that dies while we run (crash, OOM, someone's kill) ends the stack loudly instead
  // of leaving a half-working one behind a stack file that says all is well.
  const watch = setInterval(() => {
    const deadPart = ext?.dead();
    if (deadPart && !stopping) {
      clearInterval(watch);
      stopping = true;
      console.error(`\n${deadPart} exited unexpectedly (its log is above). Stopping the stack.`);
      void (async () => {
        await ext?.stop();
        await running.stop();
        await removeStackFile(stackFile);
        process.exit(1);
      })().catch(fail);
      return;
    }
    const dead = [running.kafka, running.postgres].find((server) => server && !server.running);
    if (!dead || stopping) return;
    clearInterval(watch);
    stopping = true;
    void (async () => {
      const name = dead === running.kafka ? 'Kafka' : 'Postgres';
      await ext?.stop();
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
  ext: StartedExtension | undefined,
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
  rows.push(...(ext?.rows ?? []), ['stack file', stackFile]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return (
    `\nLocal stack is up (${(elapsedMs / 1000).toFixed(1)} s):\n\n` +
    rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n') +
    `\n\n  export KAFKA_BROKERS=${stack.kafkaBrokers.join(',')}` +
    `\n  export DATABASE_URL=${stack.databaseUrl}` +
    (ext?.notes?.length ? `\n\n${ext.notes.join('\n')}` : '') +
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
