export { CliError, usageError } from './cli-error.js';
export type { CliIo, OutputStream } from './cli-io.js';
export type { Command, CommandContext } from './command.js';
export { parseReplayTarget, type ReplayTarget } from './commands/replay.js';
export {
  type GroupStatus,
  groupStatuses,
  type PartitionLag,
  type ProjectorStatus,
  projectorStatuses,
} from './commands/status.js';
export { topicWarnings } from './commands/topics.js';
export { ProgressBar, type ProgressState, progressLine } from './progress-bar.js';
export { COMMANDS, mainHelp, runCli } from './run-cli.js';
export { messageTimestamp, type PartitionOffsets, topicOffsets } from './topic-offsets.js';
export { readUpOptions, systemExtension, type UpOptions, up } from './up.js';
export {
  callWebhookApi,
  NOVAMED_BASE_URLS,
  type NovaMedEnvironment,
  parseBaseUrl,
  type WebhookRequest,
  type WebhookResponse,
} from './webhook-client.js';
