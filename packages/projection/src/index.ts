export {
  type ApplyBatchOptions,
  applyBatch,
  type BatchInput,
  type BatchMessage,
  type BatchOutcome,
  type ReapplyResult,
  type RejectedMessage,
  reapplyMessages,
  stateFromRow,
} from './apply-batch.js';
export { backoffDelay, sleep } from './backoff.js';
export {
  advanceCheckpoint,
  type CheckpointKey,
  type CheckpointPosition,
  deleteCheckpoints,
  type Executor,
  lockCheckpoint,
  readCheckpoints,
  readTopicCheckpoints,
  type StoredCheckpoint,
} from './checkpoint-store.js';
export { classifyFailure, type Failure } from './classify-failure.js';
export { compareVersions, type VersionComparison, type VersionDigest } from './compare-versions.js';
export { isTransientDatabaseError, untilDatabaseReachable } from './database-wait.js';
export { EvolveError } from './evolve-error.js';
export { type Isolation, isolatePoison, type PoisonMessage } from './isolate-poison.js';
export { exceedsJsonDepth, MAX_JSON_DEPTH } from './json-depth.js';
export { type LagHealth, LagMonitor } from './lag-monitor.js';
export {
  type FollowerState,
  LiveVersionFollower,
  type LiveVersionFollowerOptions,
  type LiveVersionInfo,
} from './live-version-follower.js';
export { describeError, type Logger, silentLogger } from './logger.js';
export { logicFingerprint } from './logic-fingerprint.js';
export type { RetryingPartition } from './partition-retries.js';
export type {
  ProjectionAdmin,
  ProjectionBatchPayload,
  ProjectionConsumer,
  ProjectionKafka,
  ProjectionProducer,
} from './projection-kafka.js';
export { createProjector, type Projector, type ProjectorOptions } from './projector.js';
export {
  type AnalyticsView,
  type ProjectorDefinition,
  projectorGroupId,
  versionSchema,
} from './projector-definition.js';
export { ProjectorMetrics } from './projector-metrics.js';
export {
  activateVersion,
  type DropVersionOutcome,
  dropVersion,
  ensureVersionTables,
} from './projector-schema.js';
export {
  type ProjectorServiceConfig,
  ProjectorServiceEnv,
  readProjectorServiceEnv,
} from './projector-service-config.js';
export {
  type ColumnSpec,
  type ColumnType,
  fromColumn,
  LINEAGE_COLUMNS,
  type ReadModelTable,
  toColumn,
} from './read-model-table.js';
export {
  type RebuildEvent,
  type RebuildHandoff,
  type RebuildOptions,
  type RebuildOutcome,
  type RebuildProgress,
  type RebuildVerification,
  rebuildProjection,
} from './rebuild-projection.js';
export { type ProjectorService, runProjectorService } from './run-projector-service.js';
export {
  type HistoryRow,
  insertHistoryRows,
  type StateRow,
  upsertStateRows,
} from './table-statements.js';
export {
  deleteVersionRow,
  findVersion,
  insertBuildingVersion,
  type LiveVersionRow,
  listVersions,
  liveVersion,
  markVersionLive,
  readLiveVersion,
} from './version-store.js';
