export { type CreateDbOptions, createDb, withCaFile } from './create-db.js';
export type {
  Database,
  NewProjectionCheckpoint,
  NewProjectionError,
  Offset,
  PhiAccess,
  PhiAccessLogTable,
  ProjectionCheckpoint,
  ProjectionCheckpointTable,
  ProjectionCheckpointUpdate,
  ProjectionError,
  ProjectionErrorTable,
  ProjectionVersion,
  ProjectionVersionTable,
  PseudonymKeyTable,
} from './database.js';
export { type MigrateOutcome, migrateDown, migrateToLatest } from './migrate.js';
export { MIGRATIONS } from './migrations/index.js';
export { type PseudonymKind, pseudonym, pseudonymSql } from './pseudonym.js';
export {
  generatePseudonymKey,
  hmacPads,
  PSEUDONYM_KEY_BYTES,
  type RotatePseudonymKeyOutcome,
  rotatePseudonymKey,
} from './pseudonym-key.js';
