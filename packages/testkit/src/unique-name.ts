import { randomBytes } from 'node:crypto';

/**
 * A name that no other test (in this run or a parallel one) picks: `<prefix>_<time>_<random>`,
 * lower case, only `[a-z0-9_]` (valid as a Kafka topic and an unquoted Postgres identifier),
 * at most 63 characters (Postgres' limit).
 */
export function uniqueName(prefix: string): string {
  const cleanPrefix =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .slice(0, 40) || 'test';
  return `${cleanPrefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}
