import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveKafkaJars } from '@novamed-stream/devstack';

const readersDir = fileURLToPath(new URL('../readers/', import.meta.url));

/** The kafka-python release the Python reader runs (pure Python; checked against Kafka 4.1.1). */
export const KAFKA_PYTHON_VERSION = '3.0.12';

/** The jars the Java reader needs from the broker's jar cache (file name prefixes). */
const JAVA_READER_JARS = [
  'kafka-clients-',
  'jackson-core-',
  'jackson-databind-',
  'jackson-annotations-',
  'slf4j-api-',
  'lz4-java-',
  'snappy-java-',
  'zstd-jni-',
];

/** A field of the envelope as a reader saw it: its string, null when missing, else non-string. */
export type ReaderField = string | null | { nonString: true };

/** One line a reader printed: one message of the topic as that reader understood it. */
export interface ReaderLine {
  partition: number;
  offset: string;
  key: string | null;
  event_id: ReaderField;
  event_type: ReaderField;
  /** Why the reader could not parse the value (exception name and rule, never input). */
  error: string | null;
}

/** Outcome of running one foreign reader. */
export type ReaderRun =
  | { ok: true; reader: string; lines: ReaderLine[]; seconds: number; outputFile: string }
  /** The reader's toolchain or library could not be had (no javac, no pip, no jars). */
  | { ok: false; reader: string; reason: 'UNAVAILABLE'; detail: string }
  /** The reader ran but did not finish its read (exit code, timeout, unreadable output). */
  | { ok: false; reader: string; reason: 'FAILED'; detail: string; outputFile: string };

/** Options of {@link runJavaReader} and {@link runPythonReader}. */
export interface ReaderOptions {
  brokers: readonly string[];
  topic: string;
  /** Where the reader's output and stderr go (the scenario's log folder: swept for PHI). */
  logDir: string;
  /** Where build products go (outside the repository). */
  workDir: string;
  timeoutMs?: number;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  missing: boolean;
}

/** Runs a command to its end with stdout and stderr in files; kills only its own child. */
function runToFiles(
  command: string,
  args: readonly string[],
  options: { stdout: string; stderr: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<Exit> {
  return new Promise((resolve) => {
    const stdout = createWriteStream(options.stdout);
    const stderr = createWriteStream(options.stderr);
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    child.stdout.pipe(stdout, { end: false });
    child.stderr.pipe(stderr, { end: false });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    let settled = false;
    const settle = (exit: Exit) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      let open = 2;
      const done = () => {
        if (--open === 0) resolve(exit);
      };
      stdout.end(done);
      stderr.end(done);
    };
    child.on('error', (error: NodeJS.ErrnoException) =>
      settle({ code: null, signal: null, missing: error.code === 'ENOENT' }),
    );
    child.on('close', (code, signal) => settle({ code, signal, missing: false }));
  });
}

function tail(file: string): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' | ').slice(0, 400);
}

function parseLines(file: string): ReaderLine[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const raw = JSON.parse(l) as Omit<ReaderLine, 'offset'> & { offset: number };
      return { ...raw, offset: String(raw.offset) };
    });
}

function finish(
  reader: string,
  exit: Exit,
  outputFile: string,
  errorFile: string,
  started: number,
): ReaderRun {
  if (exit.missing) {
    return { ok: false, reader, reason: 'UNAVAILABLE', detail: 'executable not found' };
  }
  if (exit.code !== 0) {
    const how = exit.signal ? `signal ${exit.signal}` : `exit ${exit.code}`;
    return {
      ok: false,
      reader,
      reason: 'FAILED',
      detail: `${how}: ${tail(errorFile)}`,
      outputFile,
    };
  }
  try {
    const lines = parseLines(outputFile);
    const seconds = Math.round((performance.now() - started) / 10) / 100;
    return { ok: true, reader, lines, seconds, outputFile };
  } catch {
    return { ok: false, reader, reason: 'FAILED', detail: 'output is not JSON lines', outputFile };
  }
}

/**
 * Compiles `readers/java/EventsTopicReader.java` with `javac` against the broker's jar cache
 * (kafka-clients, Jackson: the jars the local stack already downloads) into `workDir`, runs it
 * over the whole topic, and returns its lines.
 */
export async function runJavaReader(options: ReaderOptions): Promise<ReaderRun> {
  const reader = 'java (kafka-clients + Jackson defaults)';
  const started = performance.now();
  let libDir: string;
  try {
    libDir = await resolveKafkaJars({ log: () => undefined });
  } catch (error) {
    return { ok: false, reader, reason: 'UNAVAILABLE', detail: (error as Error).message };
  }
  const files = readdirSync(libDir);
  const jars = JAVA_READER_JARS.map((prefix) => files.find((f) => f.startsWith(prefix)));
  const absent = JAVA_READER_JARS.filter((_, i) => jars[i] === undefined);
  if (absent.length > 0) {
    return { ok: false, reader, reason: 'UNAVAILABLE', detail: `no ${absent.join(', ')} jar` };
  }
  const classpath = jars.map((j) => join(libDir, j as string)).join(':');
  const classes = join(options.workDir, 'java-classes');
  await mkdir(classes, { recursive: true });
  const compileOut = join(options.logDir, 'java-reader-javac.log');
  const compiled = await runToFiles(
    'javac',
    ['-d', classes, '-cp', classpath, join(readersDir, 'java', 'EventsTopicReader.java')],
    { stdout: `${compileOut}.out`, stderr: compileOut, timeoutMs: 120_000 },
  );
  if (compiled.missing) {
    return { ok: false, reader, reason: 'UNAVAILABLE', detail: 'javac not found' };
  }
  if (compiled.code !== 0) {
    return {
      ok: false,
      reader,
      reason: 'FAILED',
      detail: `javac: ${tail(compileOut)}`,
      outputFile: compileOut,
    };
  }
  const outputFile = join(options.logDir, 'java-reader.jsonl');
  const errorFile = join(options.logDir, 'java-reader.stderr.log');
  const exit = await runToFiles(
    'java',
    [
      '-Xmx512m',
      '-cp',
      `${classes}:${classpath}`,
      'EventsTopicReader',
      options.brokers.join(','),
      options.topic,
    ],
    { stdout: outputFile, stderr: errorFile, timeoutMs: options.timeoutMs ?? 180_000 },
  );
  return finish(reader, exit, outputFile, errorFile, started);
}

/** Where kafka-python is kept between runs, like the broker's jars. */
export function kafkaPythonDir(): string {
  return join(homedir(), '.cache', 'novamed-stream', `kafka-python-${KAFKA_PYTHON_VERSION}`);
}

/**
 * Makes sure kafka-python is installed in its cache folder (`pip install --target`, once; a
 * `.complete` marker is written last and the folder moved in place, so an interrupted or
 * concurrent install is never half seen). Returns the folder for PYTHONPATH.
 */
export async function ensureKafkaPython(
  logDir: string,
): Promise<{ ok: true; dir: string } | { ok: false; detail: string }> {
  const dir = kafkaPythonDir();
  if (existsSync(join(dir, '.complete'))) return { ok: true, dir };
  const staging = `${dir}.staging-${process.pid}-${randomBytes(4).toString('hex')}`;
  const log = join(logDir, 'pip-install.log');
  try {
    await mkdir(staging, { recursive: true });
    const exit = await runToFiles(
      'python3',
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--no-deps',
        '--target',
        staging,
        `kafka-python==${KAFKA_PYTHON_VERSION}`,
      ],
      { stdout: `${log}.out`, stderr: log, timeoutMs: 300_000 },
    );
    if (exit.missing) return { ok: false, detail: 'python3 not found' };
    if (exit.code !== 0) return { ok: false, detail: `pip install: ${tail(log)}` };
    await writeFile(join(staging, '.complete'), `${new Date().toISOString()}\n`);
    if (!existsSync(join(dir, '.complete'))) {
      await rm(dir, { recursive: true, force: true });
      await rename(staging, dir);
    }
    return { ok: true, dir };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Runs `readers/python/events_topic_reader.py` (standard `json`, kafka-python from its cache
 * folder, installed on first use) over the whole topic and returns its lines.
 */
export async function runPythonReader(options: ReaderOptions): Promise<ReaderRun> {
  const reader = `python (kafka-python ${KAFKA_PYTHON_VERSION} + json)`;
  const started = performance.now();
  const installed = await ensureKafkaPython(options.logDir);
  if (!installed.ok) return { ok: false, reader, reason: 'UNAVAILABLE', detail: installed.detail };
  const outputFile = join(options.logDir, 'python-reader.jsonl');
  const errorFile = join(options.logDir, 'python-reader.stderr.log');
  const exit = await runToFiles(
    'python3',
    [
      join(readersDir, 'python', 'events_topic_reader.py'),
      options.brokers.join(','),
      options.topic,
    ],
    {
      stdout: outputFile,
      stderr: errorFile,
      // The default recursion limit and no bytecode files written next to the sources.
      env: { PYTHONPATH: installed.dir, PYTHONDONTWRITEBYTECODE: '1' },
      timeoutMs: options.timeoutMs ?? 180_000,
    },
  );
  return finish(reader, exit, outputFile, errorFile, started);
}
