import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findFreePorts, findRepoRoot } from '@novamed-stream/devstack';
import { processesUsing } from '@novamed-stream/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The README, run as a new user runs it: a fresh `git clone` of HEAD in a private folder (mode
 * 700, as root's home or `mktemp -d` is), the README's own start command in the background with
 * stdin closed, then the README's own curl and psql, then a signal. The commands are read from
 * README.md, so the README and this test cannot drift apart. Ports and the data folder are
 * moved with the README's variables, so this runs next to a user's own `npm start`.
 */

const execFileAsync = promisify(execFile);
const root = findRepoRoot();

/** The fenced `bash` blocks of README.md's "Quick start" section, in order. */
async function quickStartBlocks(): Promise<string[]> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((part) => part.startsWith('Quick start'));
  if (!section) throw new Error('README.md has no "Quick start" section');
  return [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
}

/** The README line that starts the stack, without its comment: e.g. `npm ci && npm start`. */
function startLine(blocks: string[]): string {
  const line = blocks[0]?.split('\n').find((l) => /\bnpm start\b/.test(l));
  if (!line) throw new Error('README.md quick start has no `npm start` line');
  return line.replace(/\s+#.*$/, '').trim();
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let base: string;
let clone: string;
let dataDir: string;
let env: Record<string, string>;
let blocks: string[];

function startStack(command: string): Started {
  // Its own session and process group, like a terminal's foreground job: a group signal is
  // what the terminal sends on Ctrl-C or when it closes.
  const child = spawn('bash', ['-c', command], {
    cwd: clone,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exit };
}

async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  context: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} not seen within ${timeoutMs} ms. Output so far:\n${context()}`);
}

async function waitUntilUp(started: Started, timeoutMs: number): Promise<void> {
  await waitFor(
    'the summary ("Ctrl-C to stop.")',
    () => started.output().includes('Ctrl-C to stop.') || started.child.exitCode !== null,
    timeoutMs,
    started.output,
  );
  expect(started.output(), started.output()).toContain('Local stack is up');
}

/** Every process left of the stack: anything whose command line or cwd is in the clone or the data folder. */
function leftovers(): number[] {
  return [...new Set([...processesUsing(clone), ...processesUsing(dataDir)])];
}

async function expectNothingLeft(withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (leftovers().length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const left = leftovers();
  const described = await Promise.all(
    left.map(async (pid) =>
      readFile(`/proc/${pid}/cmdline`, 'utf8')
        .then((cmd) => `${pid}: ${cmd.replaceAll('\0', ' ').slice(0, 160)}`)
        .catch(() => `${pid}: (gone)`),
    ),
  );
  expect(described, 'processes of the stack still running').toEqual([]);
}

async function stackPids(): Promise<Record<string, number>> {
  const file = join(clone, '.novamed-stream', 'stack.json');
  return (JSON.parse(await readFile(file, 'utf8')) as { pids: Record<string, number> }).pids;
}

/** Stops what a failed test left, so the next one (and the run) starts clean. */
async function killLeftovers(started: Started): Promise<void> {
  try {
    process.kill(-(started.child.pid ?? 0), 'SIGKILL');
  } catch {
    // Already gone.
  }
  for (const pid of leftovers()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}

beforeAll(async () => {
  blocks = await quickStartBlocks();
  // mkdtemp makes the folder with mode 700: other users (Postgres's `postgres`) cannot enter.
  base = await mkdtemp(join(tmpdir(), 'novamed-readme-'));
  clone = join(base, 'novamed-stream');
  await execFileAsync('git', ['clone', '--quiet', '--no-hardlinks', root, clone]);
  // The data folder must be reachable by the `postgres` user when this runs as root, as the
  // default one (in the temp folder) is.
  dataDir = join(tmpdir(), 'novamed-stream', `readme-${process.pid}-${Date.now()}`);
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  const [ingress, kafka, controller, postgres, orders, requests, refills, sandbox, console] =
    await findFreePorts(9);
  env = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? '/root',
    ...(process.env['JAVA_HOME'] ? { JAVA_HOME: process.env['JAVA_HOME'] } : {}),
    INGRESS_PORT: String(ingress),
    KAFKA_PORT: String(kafka),
    KAFKA_CONTROLLER_PORT: String(controller),
    POSTGRES_PORT: String(postgres),
    ORDERS_HEALTH_PORT: String(orders),
    MEDICATION_REQUESTS_HEALTH_PORT: String(requests),
    REFILLS_HEALTH_PORT: String(refills),
    SANDBOX_PORT: String(sandbox),
    CONSOLE_PORT: String(console),
    DEVSTACK_DATA_DIR: dataDir,
  };
}, 120_000);

afterAll(async () => {
  for (const pid of leftovers()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  await rm(base, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});

describe('README quick start, run as a new user in a fresh clone (mode 700)', () => {
  it('the clone is private to its owner', async () => {
    const { mode } = await stat(base);
    expect(mode & 0o077).toBe(0);
  });

  it("starts with the README's command, serves the README's curl and psql, and Ctrl-C stops everything with exit 0", async () => {
    const started = startStack(startLine(blocks));
    try {
      // This wait includes the clone's whole `npm ci` (about 400 packages since the
      // testcontainers modules came in), which takes minutes on a loaded 2-core machine.
      await waitUntilUp(started, 420_000);
      const tryIt = blocks[1];
      if (!tryIt) throw new Error('README.md quick start has no curl/psql block');
      let last = '';
      await waitFor(
        "the guide sample's row in analytics.orders",
        async () => {
          const { stdout, stderr } = await execFileAsync('bash', ['-c', tryIt], {
            cwd: clone,
            env,
          }).catch((error: { stdout?: string; stderr?: string }) => ({
            stdout: error.stdout ?? '',
            stderr: error.stderr ?? '',
          }));
          last = stdout + stderr;
          return /ord_12345\s*\|\s*shipped\s*\|\s*UPS\s*\|\s*2025-01-15 10:30:00\+00/.test(stdout);
        },
        20_000,
        () => last,
      );
      expect(last).toContain('"received":true');

      // Ctrl-C in a terminal: SIGINT to the whole foreground process group.
      process.kill(-(started.child.pid ?? 0), 'SIGINT');
      const exit = await started.exit;
      expect(exit, started.output()).toEqual({ code: 0, signal: null });
      expect(started.output()).toContain('Stopped.');
      expect(existsSync(join(clone, '.novamed-stream', 'stack.json'))).toBe(false);
      await expectNothingLeft(2000);
    } finally {
      await killLeftovers(started);
    }
  }, 480_000);

  // The same command without `npm ci` (done above), as a user starts it the second time.
  const npmStart = () => startLine(blocks).split('&&').at(-1)?.trim() ?? 'npm start';

  it('SIGTERM to npm alone (kill, a process manager) stops everything with exit 0', async () => {
    const started = startStack(npmStart());
    try {
      await waitUntilUp(started, 90_000);
      // bash -c runs npm in its place: the child is npm itself.
      process.kill(started.child.pid ?? 0, 'SIGTERM');
      const exit = await started.exit;
      expect(exit, started.output()).toEqual({ code: 0, signal: null });
      await expectNothingLeft(2000);
    } finally {
      await killLeftovers(started);
    }
  }, 120_000);

  it('SIGHUP to the process group (the terminal closed) stops everything', async () => {
    const started = startStack(npmStart());
    try {
      await waitUntilUp(started, 90_000);
      const pids = await stackPids();
      process.kill(-(started.child.pid ?? 0), 'SIGHUP');
      await started.exit;
      // npm itself dies of the SIGHUP at once; `up` goes on stopping what it started.
      await expectNothingLeft(30_000);
      expect(Object.values(pids).filter((pid) => leftovers().includes(pid))).toEqual([]);
    } finally {
      await killLeftovers(started);
    }
  }, 150_000);

  it('a SIGKILL of `up` leaves nothing running: its services, Kafka and Postgres stop within seconds', async () => {
    const started = startStack(npmStart());
    try {
      await waitUntilUp(started, 90_000);
      const pids = await stackPids();
      const { devstack, ...servers } = pids;
      expect(Object.keys(servers).sort()).toEqual(
        [
          'console',
          'ingress',
          'kafka',
          'novamed-sandbox',
          'postgres',
          'projector-medication-requests',
          'projector-orders',
          'projector-refills',
        ].sort(),
      );
      process.kill(devstack ?? 0, 'SIGKILL');
      await started.exit;
      await expectNothingLeft(20_000);
    } finally {
      await killLeftovers(started);
    }
  }, 150_000);
});
