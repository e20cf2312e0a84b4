import type { Migration } from 'kysely';
import * as controlTables from './2026-11-28T0001-control-tables.js';
import * as analyticsSchema from './2026-11-28T0002-analytics-schema.js';
import * as versionFingerprint from './2026-11-29T0001-projection-version-fingerprint.js';
import * as deidentifiedAnalytics from './2026-11-30T0001-deidentified-analytics.js';
import * as consoleReader from './2026-12-01T0001-console-reader.js';

/**
 * Every migration, keyed by its timestamped name (Kysely runs them in name order). Listed
 * explicitly rather than read from a folder so the same code runs from src (tsx) and dist.
 */
export const MIGRATIONS: Record<string, Migration> = {
  '2026-11-28T0001-control-tables': controlTables,
  '2026-11-28T0002-analytics-schema': analyticsSchema,
  '2026-11-29T0001-projection-version-fingerprint': versionFingerprint,
  '2026-11-30T0001-deidentified-analytics': deidentifiedAnalytics,
  '2026-12-01T0001-console-reader': consoleReader,
};
