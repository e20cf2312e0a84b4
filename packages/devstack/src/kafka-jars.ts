import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DevstackError } from './errors.js';
import { isProcessAlive } from './process-tree.js';
import { runCommand } from './run-command.js';

/** The Kafka version the local stack runs unless told otherwise. */
export const DEFAULT_KAFKA_VERSION = '4.1.1';

const SLF4J_VERSION = '2.0.17';
const LOG4J_VERSION = '2.25.3';
const MIN_JAVA_MAJOR = 17;

/** Options for {@link resolveKafkaJars}. */
export interface ResolveKafkaJarsOptions {
  /** Apache Kafka version (Maven artifact org.apache.kafka:kafka_2.13). Default 4.1.1. */
  version?: string;
  /**
   * Where the jars are kept between runs. Default `~/.cache/novamed-stream/kafka-<version>`
   * (outside the repository, shared by every checkout).
   */
  cacheDir?: string;
  /** Progress messages (default: `console.log`). */
  log?: (line: string) => void;
}

/** The default jar cache folder for a Kafka version. */
export function defaultKafkaCacheDir(version: string = DEFAULT_KAFKA_VERSION): string {
  return join(homedir(), '.cache', 'novamed-stream', `kafka-${version}`);
}

/**
 * Makes sure the Kafka broker's jars (and a log4j2 backend for it) are in the cache folder and
 * returns the folder holding them, for `java -cp "<dir>/*"`.
 *
 * The first call downloads them from Maven Central with `mvn dependency:copy-dependencies`
 * (about 100 MB, once); later calls return at once. A `.complete` marker is written only after
 * a successful copy, so an interrupted download is redone. Needs Java 17+ and Maven on the PATH;
 * throws a {@link DevstackError} naming what is missing otherwise.
 */
export async function resolveKafkaJars(options: ResolveKafkaJarsOptions = {}): Promise<string> {
  const version = options.version ?? DEFAULT_KAFKA_VERSION;
  const cacheDir = options.cacheDir ?? defaultKafkaCacheDir(version);
  const log = options.log ?? ((line: string) => console.log(line));
  const libDir = join(cacheDir, 'libs');
  const marker = join(cacheDir, '.complete');
  if (existsSync(marker)) return libDir;

  await assertJava();
  await assertMaven();
  log(`Resolving Kafka ${version} jars from Maven Central (first run only)...`);
  const started = Date.now();

  await mkdir(cacheDir, { recursive: true });
  await removeAbandonedStaging(cacheDir);
  // Resolve into a private staging folder and move it in place at the end, so a concurrent run
  // (npm start next to a test run) never sees a half-filled lib folder.
  const staging = join(cacheDir, `staging-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(staging, { recursive: true });
    await writeFile(join(staging, 'pom.xml'), renderPom(version));
    const result = await runCommand(
      'mvn',
      [
        '-B',
        '-q',
        '-f',
        join(staging, 'pom.xml'),
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${join(staging, 'libs')}`,
      ],
      { cwd: staging, timeoutMs: 15 * 60_000 },
    );
    if (result === undefined || result.code !== 0) {
      const output = `${result?.stdout ?? ''}${result?.stderr ?? ''}`.trim().split('\n');
      throw new DevstackError(
        `Maven could not download the Kafka ${version} jars:\n${output.slice(-20).join('\n')}`,
        {
          hint:
            'Check the network access to Maven Central (or your ~/.m2/settings.xml mirror) and ' +
            'retry, or set KAFKA_BROKERS to an existing Kafka cluster.',
        },
      );
    }
    const jars = (await readdir(join(staging, 'libs'))).filter((name) => name.endsWith('.jar'));
    if (!jars.some((name) => name.startsWith('kafka_2.13-'))) {
      throw new DevstackError(`Maven finished but no kafka_2.13 jar is in ${staging}/libs.`, {
        hint: 'Delete the folder and retry; if it persists, set KAFKA_BROKERS instead.',
      });
    }
    if (!existsSync(marker)) {
      await rm(libDir, { recursive: true, force: true });
      await rename(join(staging, 'libs'), libDir);
      await writeFile(marker, `${new Date().toISOString()}\n`);
    }
    log(`Kafka ${version} jars ready in ${libDir} (${jars.length} jars, ${seconds(started)} s).`);
    return libDir;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Deletes staging folders left by runs that were killed mid-download. */
async function removeAbandonedStaging(cacheDir: string): Promise<void> {
  for (const entry of await readdir(cacheDir)) {
    const pid = /^staging-(\d+)-/.exec(entry)?.[1];
    if (pid !== undefined && !isProcessAlive(Number(pid))) {
      await rm(join(cacheDir, entry), { recursive: true, force: true });
    }
  }
}

/** The throwaway pom whose runtime dependencies are the broker's class path. */
export function renderPom(version: string): string {
  const dependency = (groupId: string, artifactId: string, v: string) =>
    `    <dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId>` +
    `<version>${v}</version></dependency>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    '  <modelVersion>4.0.0</modelVersion>',
    '  <groupId>novamed-stream</groupId>',
    '  <artifactId>devstack-kafka-jars</artifactId>',
    `  <version>${version}</version>`,
    '  <packaging>pom</packaging>',
    '  <dependencies>',
    dependency('org.apache.kafka', 'kafka_2.13', version),
    // Listed explicitly: otherwise Maven's nearest-wins picks slf4j-api 1.7.x from a transitive
    // path, which the log4j-slf4j2 binding cannot use (the broker then logs nothing).
    dependency('org.slf4j', 'slf4j-api', SLF4J_VERSION),
    dependency('org.apache.logging.log4j', 'log4j-slf4j2-impl', LOG4J_VERSION),
    dependency('org.apache.logging.log4j', 'log4j-core', LOG4J_VERSION),
    '  </dependencies>',
    '</project>',
    '',
  ].join('\n');
}

/** Parses the major version out of `java -version` output ("17.0.15", "1.8.0_392", "21"). */
export function parseJavaMajorVersion(output: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

async function assertJava(): Promise<void> {
  const result = await runCommand('java', ['-version'], { timeoutMs: 30_000 });
  const hint =
    `Install a Java ${MIN_JAVA_MAJOR}+ runtime (e.g. apt-get install openjdk-17-jre-headless, ` +
    'or brew install openjdk@17) and put `java` on the PATH, or set KAFKA_BROKERS to an ' +
    'existing Kafka cluster.';
  if (result === undefined) {
    throw new DevstackError('Java was not found on the PATH; the local Kafka broker needs it.', {
      hint,
    });
  }
  const major = parseJavaMajorVersion(`${result.stderr}${result.stdout}`);
  if (major === undefined || major < MIN_JAVA_MAJOR) {
    throw new DevstackError(
      `Kafka needs Java ${MIN_JAVA_MAJOR} or newer; \`java -version\` reports ${
        major === undefined ? 'an unknown version' : `Java ${major}`
      }.`,
      { hint },
    );
  }
}

async function assertMaven(): Promise<void> {
  const result = await runCommand('mvn', ['-v'], { timeoutMs: 60_000 });
  if (result === undefined || result.code !== 0) {
    throw new DevstackError(
      'Maven (`mvn`) was not found; it downloads the Kafka jars on the first run.',
      {
        hint:
          'Install Maven 3.6+ (e.g. apt-get install maven, or brew install maven), or set ' +
          'KAFKA_BROKERS to an existing Kafka cluster.',
      },
    );
  }
}

function seconds(since: number): string {
  return ((Date.now() - since) / 1000).toFixed(1);
}
