import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** A Kafka offset: int8 in Postgres, a decimal string in TypeScript (as kafkajs uses). */
export type Offset = ColumnType<string, string | bigint, string | bigint>;

/** `novamed.projection_checkpoints`: per projector version and partition, the next offset to apply. */
export interface ProjectionCheckpointTable {
  projector: string;
  version: number;
  topic: string;
  partition: number;
  next_offset: Offset;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** `novamed.projection_versions`: each read-model version and its life cycle. */
export interface ProjectionVersionTable {
  projector: string;
  version: number;
  /** `building` while a rebuild fills it, `live` when the analytics views point at it, `retired` after. */
  status: 'building' | 'live' | 'retired';
  schema_name: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  live_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** Digest of the projection logic that built this version; null when unknown (older rows). */
  fingerprint: ColumnType<string | null, string | null | undefined, string | null>;
}

/** `novamed.projection_errors`: events a projector could not use, with the reason. */
export interface ProjectionErrorTable {
  id: Generated<string>;
  projector: string;
  version: number;
  event_id: string | null;
  event_type: string | null;
  topic: string;
  partition: number;
  offset: Offset;
  reason: string;
  details: ColumnType<string[], string, string>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  resolved_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** The control tables every projector shares, in schema `novamed`. */
export interface Database {
  'novamed.projection_checkpoints': ProjectionCheckpointTable;
  'novamed.projection_versions': ProjectionVersionTable;
  'novamed.projection_errors': ProjectionErrorTable;
}

export type ProjectionCheckpoint = Selectable<ProjectionCheckpointTable>;
export type NewProjectionCheckpoint = Insertable<ProjectionCheckpointTable>;
export type ProjectionCheckpointUpdate = Updateable<ProjectionCheckpointTable>;
export type ProjectionVersion = Selectable<ProjectionVersionTable>;
export type ProjectionError = Selectable<ProjectionErrorTable>;
export type NewProjectionError = Insertable<ProjectionErrorTable>;
