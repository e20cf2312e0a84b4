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

/** `novamed.pseudonym_key`: the one HMAC key behind the analytics pseudonyms (as its pads). */
export interface PseudonymKeyTable {
  singleton: ColumnType<boolean, boolean | undefined, never>;
  /** 1 for the key made by the migration, +1 per rotation. */
  key_version: number;
  inner_pad: Buffer;
  outer_pad: Buffer;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** `novamed.phi_access_log`: one row per read of an `analytics_identified` view. */
export interface PhiAccessLogTable {
  id: Generated<string>;
  read_at: ColumnType<Date, Date | string | undefined, never>;
  /** `session_user`: the login that connected. */
  login_role: string;
  /** The reader's `current_user` (differs from the login after `set role`). */
  effective_role: string;
  /** The view read, e.g. `orders`. */
  object: string;
  /** The whole statement as the client sent it (`current_query()`); may hold PHI. */
  query: string | null;
  backend_pid: number;
  application_name: string | null;
  client_addr: string | null;
}

/** The control tables every projector shares, in schema `novamed`. */
export interface Database {
  'novamed.projection_checkpoints': ProjectionCheckpointTable;
  'novamed.projection_versions': ProjectionVersionTable;
  'novamed.projection_errors': ProjectionErrorTable;
  'novamed.pseudonym_key': PseudonymKeyTable;
  'novamed.phi_access_log': PhiAccessLogTable;
}

export type ProjectionCheckpoint = Selectable<ProjectionCheckpointTable>;
export type NewProjectionCheckpoint = Insertable<ProjectionCheckpointTable>;
export type ProjectionCheckpointUpdate = Updateable<ProjectionCheckpointTable>;
export type ProjectionVersion = Selectable<ProjectionVersionTable>;
export type ProjectionError = Selectable<ProjectionErrorTable>;
export type NewProjectionError = Insertable<ProjectionErrorTable>;
export type PhiAccess = Selectable<PhiAccessLogTable>;
