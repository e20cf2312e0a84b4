import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The log files of the Kafka brokers and Postgres servers under a test run's data root (the
 * shared ones and every dedicated one): `kafka.log` beside each broker's data and the
 * `*.log` beside each Postgres data folder. Kafka's own segment files (`*.log` deep inside the
 * data) hold the events themselves and are not logs.
 */
export function serverLogs(dataRoot: string): string[] {
  if (!existsSync(dataRoot)) return [];
  const files: string[] = [];
  const scan = (dir: string, depth: number) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isFile() && entry.name.endsWith('.log')) files.push(path);
      else if (entry.isDirectory() && depth > 0) scan(path, depth - 1);
    }
  };
  scan(dataRoot, 2);
  return files.filter((f) => !/\/\d{20}\.log$/.test(f));
}
