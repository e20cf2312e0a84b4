export { type ApiKeyCheck, createApiKeyCheck } from './api-key-check.js';
export {
  type BuildSandboxAppOptions,
  buildSandboxApp,
  type SandboxApp,
} from './build-sandbox-app.js';
export { careEpisode, type EpisodeContext, type EventDraft } from './care-episode.js';
export { CARRIERS, type Carrier, upsCheckDigit } from './carriers.js';
export {
  type ClinicWorld,
  createClinicWorld,
  type Patient,
  type Practitioner,
} from './clinic-world.js';
export { type ConfigResult, GUIDE_CLINIC_ID, loadConfig, type SandboxConfig } from './config.js';
export {
  type AttemptResult,
  DeliveryEngine,
  type DeliveryEngineOptions,
  type WebhookRequest,
  type WebhookTransport,
} from './delivery-engine.js';
export {
  type Delivery,
  type DeliveryAttempt,
  DeliveryLog,
  type DeliveryOutcome,
  type DeliverySummary,
} from './delivery-log.js';
export { ERRORS, type ErrorBody, type ErrorCode } from './errors.js';
export {
  EventGenerator,
  type EventGeneratorOptions,
  type GeneratedEvent,
} from './event-generator.js';
export { type Emission, FaultInjector, type Faults, NO_FAULTS } from './fault-injector.js';
export {
  GenerationRun,
  type GenerationSettings,
  type GenerationStatus,
  type StopReason,
} from './generation-run.js';
export { GroundTruth, type GroundTruthSnapshot } from './ground-truth.js';
export { createHttpTransport } from './http-transport.js';
export { createLogger, type LoggerOptions } from './logger.js';
export { Random } from './random.js';
export { RETRY_DELAYS_MS, retryDelayMs } from './retry-schedule.js';
export {
  type GenerationRequest,
  Sandbox,
  type SandboxOptions,
  type SandboxStatus,
  type StartOutcome,
} from './sandbox.js';
export { type Webhook, WebhookRegistry } from './webhook-registry.js';
