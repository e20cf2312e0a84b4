import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasExited, terminate, waitForExit } from './child-exit.js';
import { DevstackError } from './errors.js';
import { assertPortFree, LOCAL_HOST } from './free-port.js';
import { DEFAULT_KAFKA_VERSION } from './kafka-jars.js';
import { renderKafkaLog4jProperties } from './kafka-log4j-properties.js';
import { waitForKafka } from './kafka-readiness.js';
import {
  type KafkaSaslSslListener,
  renderKafkaSaslSslProperties,
  scramFormatArgs,
} from './kafka-sasl-ssl-properties.js';
import { type KafkaVoter, renderKafkaServerProperties } from './kafka-server-properties.js';
import { readLogTail } from './log-tail.js';
import { runCommand } from './run-command.js';

/** Options for {@link KafkaBroker}. */
export interface KafkaBrokerOptions {
  /**
   * The broker's own folder: `server.properties`, `log4j2.properties`, the log file and the
   * partition data (`logs/`). Reusing it keeps topics and offsets across restarts.
   */
  dataDir: string;
  /** Client port on 127.0.0.1. */
  port: number;
  /** KRaft controller port on 127.0.0.1. */
  controllerPort: number;
  /** Folder with the broker's jars, from {@link resolveKafkaJars}. */
  libDir: string;
  /** JVM heap: initial and maximum (`-Xms`/`-Xmx` values). Default 256m / 1g. */
  heap?: { initial: string; max: string };
  /** Where the broker logs (INFO, appended). Default `<dataDir>/kafka.log`. */
  logFile?: string;
  /** How long {@link KafkaBroker.start} waits for the broker to serve clients. Default 60 s. */
  startTimeoutMs?: number;
  /** How long {@link KafkaBroker.stop} waits after SIGTERM before SIGKILL. Default 30 s. */
  stopTimeoutMs?: number;
  /** The `java` executable. Default `$JAVA_HOME/bin/java` when JAVA_HOME is set, else `java`. */
  javaBin?: string;
  /** Environment variable that moves `port`, named in the "port in use" error. */
  portEnvVar?: string;
  /** Environment variable that moves `controllerPort`, named in the "port in use" error. */
  controllerPortEnvVar?: string;
  /** Environment variable that moves the SASL_SSL listener's port, named in the same error. */
  saslSslPortEnvVar?: string;
  /** Kafka version of the jars, for messages only. Default 4.1.1. */
  version?: string;
  /**
   * A SASL_SSL client listener besides the plain one (which readiness checks and inter-broker
   * traffic keep using). Its users are created when the storage is formatted, so set it on the
   * first start of a data folder.
   */
  saslSsl?: KafkaSaslSslListener;
  /** KRaft node id. Default 1. */
  nodeId?: number;
  /** Every controller of the cluster, this node included. Default: this node alone. */
  voters?: readonly KafkaVoter[];
  /**
   * Cluster id written when the storage is formatted; every node of one cluster needs the same.
   * Default: a new random id (a single-node cluster).
   */
  clusterId?: string;
  /** Replication factor of internal and default topics. Default 1. */
  replicationFactor?: number;
  /** `min.insync.replicas` of internal and default topics. Default 1. */
  minInsyncReplicas?: number;
  /**
   * Whether {@link KafkaBroker.start} waits for the group coordinator and producer ids too.
   * Default true; a cluster's nodes cannot serve them until a quorum of nodes runs.
   */
  waitForCoordinators?: boolean;
}

/**
 * One real Apache Kafka node (combined broker and KRaft controller) running as a child `java`
 * process on 127.0.0.1. The storage is formatted on the first start; later starts, including
 * after {@link KafkaBroker.kill}, reuse the data in `dataDir`.
 */
export class KafkaBroker {
  readonly dataDir: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly logFile: string;
  readonly version: string;
  private readonly options: KafkaBrokerOptions;
  private child: ChildProcess | undefined;
  private readonly onHostExit = () => {
    // Last resort when the host process exits without stopping us: a graceful SIGTERM still
    // reaches the JVM (its shutdown hook runs even with no parent).
    if (this.child && !hasExited(this.child)) this.child.kill('SIGTERM');
  };

  constructor(options: KafkaBrokerOptions) {
    this.options = options;
    this.dataDir = options.dataDir;
    this.port = options.port;
    this.controllerPort = options.controllerPort;
    this.logFile = options.logFile ?? join(options.dataDir, 'kafka.log');
    this.version = options.version ?? DEFAULT_KAFKA_VERSION;
  }

  /** Bootstrap servers for clients, e.g. `['127.0.0.1:9092']`. */
  get brokers(): string[] {
    return [`${LOCAL_HOST}:${this.port}`];
  }

  /** Bootstrap servers of the SASL_SSL listener (empty without `saslSsl`). */
  get saslSslBrokers(): string[] {
    const listener = this.options.saslSsl;
    return listener ? [`${LOCAL_HOST}:${listener.port}`] : [];
  }

  /** The JVM's process id while it runs. */
  get pid(): number | undefined {
    return this.child && !hasExited(this.child) ? this.child.pid : undefined;
  }

  /** True while the JVM runs. */
  get running(): boolean {
    return this.pid !== undefined;
  }

  /**
   * Formats the storage if needed, starts the JVM and resolves once clients can use the broker
   * (metadata, group coordinator, producer ids). Throws a {@link DevstackError} with the end of
   * the broker log when a port is taken, the JVM exits, or it is not ready in time; the JVM is
   * then gone.
   * Aborting `signal` kills the JVM too and rejects with the signal's reason.
   */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.running) throw new Error(`Kafka broker on port ${this.port} is already running`);
    await assertPortFree(this.port, 'Kafka', this.options.portEnvVar ?? 'KAFKA_PORT');
    await assertPortFree(
      this.controllerPort,
      'The Kafka controller',
      this.options.controllerPortEnvVar ?? 'KAFKA_CONTROLLER_PORT',
    );
    if (this.options.saslSsl) {
      await assertPortFree(
        this.options.saslSsl.port,
        'The Kafka SASL_SSL listener',
        this.options.saslSslPortEnvVar ?? 'KAFKA_PORT',
      );
    }
    await mkdir(this.dataDir, { recursive: true });
    // With a SASL_SSL listener the file holds its users' passwords (the PLAIN JAAS lines).
    await writeFile(this.serverProperties, this.renderServerProperties(), { mode: 0o600 });
    await chmod(this.serverProperties, 0o600);
    await writeFile(this.log4jProperties, renderKafkaLog4jProperties(this.logFile));
    options.signal?.throwIfAborted();
    if (!existsSync(join(this.logDirs, 'meta.properties'))) await this.formatStorage();
    options.signal?.throwIfAborted();

    const logFd = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.javaBin, [...this.jvmArgs(), 'kafka.Kafka', this.serverProperties], {
        cwd: this.dataDir,
        // The JVM writes straight into the log file (stdout/stderr: JVM errors, crash reports),
        // so nothing is lost if this process goes away first.
        stdio: ['ignore', logFd, logFd],
        // Its own process group: a terminal's Ctrl-C reaches the host, which stops the broker
        // after the services that use it.
        detached: true,
      });
    } finally {
      closeSync(logFd);
    }
    this.child = child;
    let spawnError: Error | undefined;
    child.once('error', (error) => {
      spawnError = error;
    });
    process.on('exit', this.onHostExit);
    child.once('exit', () => process.off('exit', this.onHostExit));

    const readiness = await waitForKafka(this.brokers, {
      timeoutMs: this.options.startTimeoutMs ?? 60_000,
      coordinators: this.options.waitForCoordinators ?? true,
      abortReason: () => {
        if (options.signal?.aborted) return 'start aborted';
        if (spawnError) return `could not run ${this.javaBin}: ${spawnError.message}`;
        if (hasExited(child)) {
          return `the JVM exited (${child.exitCode ?? child.signalCode}) before it was ready`;
        }
        return undefined;
      },
    });
    if (readiness.ok) return;
    await terminate(child, 'SIGKILL', 10_000);
    if (options.signal?.aborted) throw options.signal.reason;
    throw new DevstackError(
      `Kafka ${this.version} on ${this.brokers[0]} did not start: ${readiness.reason}.\n` +
        `Last lines of ${this.logFile}:\n${await readLogTail(this.logFile)}`,
      {
        hint:
          `Read the broker log above. If the data in ${this.dataDir} is from another Kafka ` +
          'version or damaged, delete that folder; set KAFKA_BROKERS to use an existing cluster.',
      },
    );
  }

  /**
   * Graceful stop: SIGTERM (Kafka's controlled shutdown), wait for the JVM to exit, and SIGKILL
   * it if it still runs after `stopTimeoutMs`. Safe to call when not running.
   */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    await terminate(child, 'SIGTERM', this.options.stopTimeoutMs ?? 30_000);
  }

  /** Crash simulation: SIGKILL the JVM and wait until it is gone. The data stays. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || hasExited(child)) return;
    child.kill('SIGKILL');
    await waitForExit(child, 30_000);
  }

  /** Stops the broker if it runs (gracefully) and starts it again on the same data and ports. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  private get serverProperties(): string {
    return join(this.dataDir, 'server.properties');
  }

  private get log4jProperties(): string {
    return join(this.dataDir, 'log4j2.properties');
  }

  private get logDirs(): string {
    return join(this.dataDir, 'logs');
  }

  private get javaBin(): string {
    if (this.options.javaBin) return this.options.javaBin;
    const javaHome = process.env['JAVA_HOME'];
    return javaHome ? join(javaHome, 'bin', 'java') : 'java';
  }

  private renderServerProperties(): string {
    const base = renderKafkaServerProperties({
      port: this.port,
      controllerPort: this.controllerPort,
      logDirs: this.logDirs,
      nodeId: this.options.nodeId,
      voters: this.options.voters,
      replicationFactor: this.options.replicationFactor,
      minInsyncReplicas: this.options.minInsyncReplicas,
    });
    const listener = this.options.saslSsl;
    return listener ? `${base}${renderKafkaSaslSslProperties(listener, this)}` : base;
  }

  private jvmArgs(): string[] {
    const heap = this.options.heap ?? { initial: '256m', max: '1g' };
    return [
      `-Xms${heap.initial}`,
      `-Xmx${heap.max}`,
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${this.log4jProperties}`,
      '-cp',
      // The JVM expands the `*` itself (no shell involved).
      join(this.options.libDir, '*'),
    ];
  }

  private async formatStorage(): Promise<void> {
    const result = await runCommand(
      this.javaBin,
      [
        ...this.jvmArgs(),
        'kafka.tools.StorageTool',
        'format',
        '-t',
        this.options.clusterId ?? randomClusterId(),
        '-c',
        this.serverProperties,
        ...scramFormatArgs(this.options.saslSsl?.users ?? []),
      ],
      { cwd: this.dataDir, timeoutMs: 120_000 },
    );
    if (result?.code === 0) return;
    throw new DevstackError(
      `Formatting the Kafka storage in ${this.logDirs} failed` +
        (result === undefined
          ? `: ${this.javaBin} was not found.`
          : `:\n${`${result.stdout}${result.stderr}`.trim().split('\n').slice(-20).join('\n')}`),
      {
        hint:
          `Install Java 17+ or set JAVA_HOME; if ${this.dataDir} holds old data, delete it. ` +
          'Or set KAFKA_BROKERS to use an existing cluster.',
      },
    );
  }
}

/** A random KRaft cluster id: 16 random bytes, base64url without padding (Kafka's `Uuid`). */
export function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    // Kafka's own generator avoids ids that start with '-' (they read as a CLI flag).
    if (!id.startsWith('-')) return id;
  }
}
