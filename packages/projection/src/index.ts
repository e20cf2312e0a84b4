export {
  applyBatch,
  type BatchInput,
  type BatchMessage,
  type BatchOutcome,
  type RejectedMessage,
  stateFromRow,
} from './apply-batch.js';
export { backoffDelay, sleep } from './backoff.js';
export { type HealthReport, type HealthServerOptions, startHealthServer } from './health-server.js';
export { type LagHealth, LagMonitor } from './lag-monitor.js';
export { describeError, type Logger, silentLogger } from './logger.js';
export { createProjector, type Projector, type ProjectorOptions } from './projector.js';
export {
  type AnalyticsView,
  type ProjectorDefinition,
  versionSchema,
} from './projector-definition.js';
export { ProjectorMetrics } from './projector-metrics.js';
export { activateVersion, ensureVersionTables, liveVersion } from './projector-schema.js';
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
  type ProjectorService,
  projectorMain,
  runProjectorService,
} from './run-projector-service.js';
