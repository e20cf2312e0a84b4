/**
 * Runs the local stack (Kafka and Postgres, or the ones named by KAFKA_BROKERS / DATABASE_URL)
 * in the foreground until Ctrl-C, and publishes where it is in `.novamed-stream/stack.json`.
 * An {@link StackExtension} starts more on top (the CLI's `up` starts the services).
 */
import { type DevstackEnv, readDevstackEnv } from './devstack-env.js';
import { DevstackError, isDevstackError } from './errors.js';
import type { KafkaBroker } from './kafka-broker.js';
import { type EnsuredTopic, ensureTopic } from './kafka-topic.js';
import { readLogTail } from './log-tail.js';
import { startOrphanGuard } from './orphan-guard.js';
import { isProcessAlive } from './process-tree.js';
import { type RunningStack, type StackOptions, startStack } from './stack.js';
import { stackClientEnv } from './stack-client-env.js';
import {
  readStackFile,
  removeStackFile,
  type StackFile,
  stackFilePath,
  writeStackFile,
} from './stack-file.js';

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

/**
 * What ends `up`: SIGINT (Ctrl-C), SIGTERM, SIGHUP (the terminal closed), or the parent process
 * going away (its IPC channel closes). The first asks for an orderly stop; another one more
 * than 1.5 s later (the same Ctrl-C often arrives twice: from the terminal and relayed by npm)
 * asks to kill at once.
 */
class StopRequests {
  #stopReason: string | undefined;
  #firstAt = 0;
  #onStop: Array<(reason: string) => void> = [];
  #onKill: Array<(reason: string) => void> = [];
  readonly #handlers = new Map<string, () => void>();

  install(): void {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const handler = () => this.#request(signal);
      this.#handlers.set(signal, handler);
      process.on(signal, handler);
    }
    if (process.channel) {
      const handler = () => this.#request('parent process gone');
      this.#handlers.set('disconnect', handler);
      process.on('disconnect', handler);
      process.channel.unref();
    }
  }

  uninstall(): void {
    for (const [event, handler] of this.#handlers) process.off(event, handler);
    this.#handlers.clear();
  }

  /** The first request's reason, once one came. */
  get reason(): string | undefined {
    return this.#stopReason;
  }

  /** Resolves with the reason of the first stop request. */
  stopped(): Promise<string> {
    const reason = this.#stopReason;
    if (reason !== undefined) return Promise.resolve(reason);
    return new Promise((resolve) => this.#onStop.push(resolve));
  }

  /** Resolves with the reason of a second request (kill at once). */
  killed(): Promise<string> {
    return new Promise((resolve) => this.#onKill.push(resolve));
  }

  #request(reason: string): void {
    if (this.#stopReason === undefined) {
      this.#stopReason = reason;
      this.#firstAt = Date.now();
      for (const resolve of this.#onStop.splice(0)) resolve(reason);
      return;
    }
    if (Date.now() - this.#firstAt < 1500) return;
    for (const resolve of this.#onKill.splice(0)) resolve(reason);
  }
}

/**
 * Runs the local stack in the foreground until Ctrl-C, SIGTERM or SIGHUP (or the parent process
 * going away), then stops the extension's services, then Kafka and Postgres, removes the stack
 * file and resolves with the exit code: 0 after an orderly stop, 1 when something failed or
 * died, or when a second Ctrl-C killed everything. Never calls `process.exit`.
 */
export async function runLocalStack(extension?: StackExtension): Promise<number> {
  const requests = new StopRequests();
  requests.install();
  // A closed terminal makes writes to it fail; that must not end `up` before it has stopped
  // what it started.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  try {
    return await run(requests, extension);
  } catch (error) {
    report(error);
    return 1;
  } finally {
    requests.uninstall();
  }
}

async function run(requests: StopRequests, extension?: StackExtension): Promise<number> {
  const started = Date.now();
  const env = readDevstackEnv(process.env);
  const stackFile = stackFilePath();
  await assertNoStackRunning(stackFile);
  const guard = startOrphanGuard();
  try {
    let stack: RunningStack | undefined;
    void requests.stopped().then((reason) => {
      console.log(`\n${reason}: stopping${stack ? '' : ' once the servers are up'}...`);
    });
    console.log('Starting the local stack (Kafka, Postgres)...');
    stack = await startStack(stackOptionsOf(env));
    const running = stack;
    for (const node of running.kafkaNodes) guard.watch(node.pid, 'SIGTERM');
    guard.watch(running.postgres?.pid, 'SIGINT');
    const lifecycle = new StackLifecycle(running, requests, stackFile);

    const topic = await stopOnFailure(running, () =>
      ensureTopic({
        brokers: running.kafkaBrokers,
        topic: running.topic,
        partitions: env.topicPartitions,
        ...running.topicReplication,
        connection: running.kafkaConnection,
      }),
    );
    if (requests.reason !== undefined) return await lifecycle.stopOrKill();
    if (extension) {
      console.log(`Starting ${extension.name}...`);
      const ext = await stopOnFailure(running, () => extension.start(running));
      lifecycle.extension = ext;
      for (const pid of Object.values(ext.pids)) guard.watch(pid, 'SIGTERM');
      if (requests.reason !== undefined) return await lifecycle.stopOrKill();
    }
    await writeStackFile(stackFileContents(running, env.dataDir, lifecycle.extension), stackFile);
    console.log(summary(running, topic, stackFile, Date.now() - started, lifecycle.extension));

    const death = watchForDeath(running, lifecycle.extension);
    const ended = await Promise.race([requests.stopped().then(() => undefined), death.died]);
    death.cancel();
    if (ended === undefined) return await lifecycle.stopOrKill();
    console.error(`\n${ended} Stopping the rest of the stack.`);
    await lifecycle.stopOrKill();
    return 1;
  } finally {
    guard.release();
  }
}

/** {@link startStack}'s options from the environment. */
function stackOptionsOf(env: DevstackEnv): StackOptions {
  return {
    dataDir: env.dataDir,
    kafkaBrokers: env.kafkaBrokers,
    databaseUrl: env.databaseUrl,
    kafkaPort: env.kafkaPort,
    kafkaControllerPort: env.kafkaControllerPort,
    kafkaBrokerCount: env.kafkaBrokerCount,
    topicReplication: {
      replicationFactor: env.topicReplicationFactor,
      minInsyncReplicas: env.topicMinInsyncReplicas,
    },
    postgresPort: env.postgresPort,
    security: env.security,
  };
}

/** Runs `step`; when it fails, stops the stack's servers before rethrowing. */
async function stopOnFailure<T>(stack: RunningStack, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

/** How the started stack (and its extension, once started) is stopped or killed. */
class StackLifecycle {
  extension: StartedExtension | undefined;

  constructor(
    private readonly stack: RunningStack,
    private readonly requests: StopRequests,
    private readonly stackFile: string,
  ) {}

  /** An orderly stop, cut short by a second request; resolves with the exit code. */
  async stopOrKill(): Promise<number> {
    const outcome = await Promise.race([
      this.stopAll().then(() => 'stopped' as const),
      this.requests.killed().then((reason) => reason),
    ]);
    if (outcome === 'stopped') {
      console.log('Stopped.');
      return 0;
    }
    console.log(`\n${outcome} again: killing the servers.`);
    await this.killAll();
    return 1;
  }

  private async stopAll(): Promise<void> {
    await this.extension?.stop();
    await this.stack.stop();
    await removeStackFile(this.stackFile);
  }

  private async killAll(): Promise<void> {
    await this.extension?.kill?.();
    await Promise.all([
      ...this.stack.kafkaNodes.map((node) => node.kill()),
      this.stack.postgres?.kill(),
    ]);
    await removeStackFile(this.stackFile);
  }
}

/** What `.novamed-stream/stack.json` says about the running stack and its extension. */
function stackFileContents(
  stack: RunningStack,
  dataDir: string,
  ext: StartedExtension | undefined,
): StackFile {
  return {
    kafkaBrokers: stack.kafkaBrokers,
    databaseUrl: stack.databaseUrl,
    topic: stack.topic,
    startedAt: new Date().toISOString(),
    pids: {
      devstack: process.pid,
      ...Object.fromEntries(kafkaNodeEntries(stack, (node) => node.pid)),
      ...(stack.postgres?.pid ? { postgres: stack.postgres.pid } : {}),
      ...ext?.pids,
    },
    security: stack.security,
    ...ext?.stackFields,
    dataDir,
    logFiles: {
      ...Object.fromEntries(kafkaNodeEntries(stack, (node) => node.logFile)),
      ...(stack.postgres ? { postgres: stack.postgres.logFile } : {}),
    },
  };
}

/**
 * Checks every second that the servers and the extension's parts still run. A server that dies
 * while we run (crash, OOM, someone's kill) ends the stack loudly instead of leaving a
 * half-working one behind a stack file that says all is well: `died` resolves with what to say.
 */
function watchForDeath(
  stack: RunningStack,
  ext: StartedExtension | undefined,
): { died: Promise<string>; cancel(): void } {
  let watch: NodeJS.Timeout | undefined;
  const died = new Promise<string>((resolve) => {
    watch = setInterval(() => {
      const deadPart = ext?.dead();
      if (deadPart) {
        return resolve(
          `${deadPart} exited unexpectedly (its log is in the service logs folder above).`,
        );
      }
      const dead = [...stack.kafkaNodes, stack.postgres].find(
        (server) => server && !server.running,
      );
      if (!dead) return;
      clearInterval(watch);
      const name = dead === stack.postgres ? 'Postgres' : 'Kafka';
      void readLogTail(dead.logFile).then((tail) =>
        resolve(`${name} exited unexpectedly. Last lines of ${dead.logFile}:\n${tail}\n`),
      );
    }, 1000);
  });
  return { died, cancel: () => clearInterval(watch) };
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
      stack.kafka
        ? `Kafka ${stack.kafka.version} (KRaft${stack.kafkaNodes.length > 1 ? `, ${stack.kafkaNodes.length} nodes` : ''})`
        : 'Kafka (KAFKA_BROKERS)',
      stack.kafkaBrokers.join(','),
    ],
    ['topic', `${stack.topic} (${topic.partitions} partitions${topic.created ? ', created' : ''})`],
    [stack.postgres ? 'Postgres 17' : 'Postgres (DATABASE_URL)', stack.databaseUrl],
  ];
  if (stack.security.kind === 'sasl_ssl') {
    const { caFile, sasl } = stack.security;
    rows.push([
      'security',
      `Kafka SASL_SSL (${sasl.mechanism.toUpperCase()}, user ${sasl.username}, password in ` +
        `${sasl.passwordFile}), Postgres TLS only; CA ${caFile}`,
    ]);
  }
  for (const [name, node] of kafkaNodeEntries(stack, (node) => node)) {
    const suffix = name === 'kafka' ? '' : ` ${name.slice('kafka-'.length)}`;
    rows.push([`Kafka data${suffix}`, node.dataDir], [`Kafka log${suffix}`, node.logFile]);
  }
  if (stack.postgres) {
    rows.push(['Postgres data', stack.postgres.dataDir], ['Postgres log', stack.postgres.logFile]);
  }
  rows.push(...(ext?.rows ?? []), ['stack file', stackFile]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return (
    `\nLocal stack is up (${(elapsedMs / 1000).toFixed(1)} s):\n\n` +
    rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n') +
    // What the CLI or a service started by hand needs (file names, never a password).
    Object.entries(stackClientEnv(stack))
      .map(([name, value], index) => `${index === 0 ? '\n\n' : '\n'}  export ${name}=${value}`)
      .join('') +
    (ext?.notes?.length ? `\n\n${ext.notes.join('\n')}` : '') +
    '\n\nCtrl-C to stop.'
  );
}

/**
 * One entry per local Kafka node, keyed `kafka` (node 1, as with a single broker) then `kafka-2`,
 * `kafka-3`...; entries whose value is undefined (a node not running) are left out.
 */
function kafkaNodeEntries<T>(
  stack: RunningStack,
  pick: (node: KafkaBroker) => T | undefined,
): [string, T][] {
  return stack.kafkaNodes.flatMap((node, index) => {
    const value = pick(node);
    return value === undefined ? [] : [[index === 0 ? 'kafka' : `kafka-${index + 1}`, value]];
  });
}

function report(error: unknown): void {
  // The default data folder (<tmp>/novamed-stream/dev) is one per machine: another OS user's
  // earlier run owns it.
  const denied = /EACCES|EPERM/.test(error instanceof Error ? error.message : String(error))
    ? '\n\nA file or folder of the local stack belongs to another user of this machine: set ' +
      'DEVSTACK_DATA_DIR to a folder of your own (e.g. DEVSTACK_DATA_DIR=$HOME/.novamed-stream-dev).'
    : '';
  if (isDevstackError(error)) {
    console.error(`\nCould not start the local stack: ${error.message}\n\n${error.hint}${denied}`);
  } else {
    console.error('\nThe local stack failed unexpectedly:', error, denied);
  }
}
