export { type CreateDbOptions, createDb } from './create-db.js';
export type {
  Database,
  NewProjectionCheckpoint,
  NewProjectionError,
  Offset,
  ProjectionCheckpoint,
  ProjectionCheckpointTable,
  ProjectionCheckpointUpdate,
  ProjectionError,
  ProjectionErrorTable,
  ProjectionVersion,
  ProjectionVersionTable,
} from './database.js';
export { type MigrateOutcome, migrateDown, migrateToLatest } from './migrate.js';
export { MIGRATIONS } from './migrations/index.js';
