import { EVENTS_TOPIC } from '@novamed-stream/events';
import type { AggregateState, ReadModel } from '@novamed-stream/read-models';
import type { ReadModelTable } from './read-model-table.js';

/** An analytics view over a projector version's tables. */
export interface AnalyticsView {
  /** View name inside the `analytics` schema, e.g. `order_funnel_daily`. */
  readonly name: string;
  /** The SELECT behind it, given the (quoted) schema of the version it reads. */
  readonly select: (schema: string) => string;
  readonly comment?: string;
}

/** Everything the runtime needs to run one projector: the pure model and its storage. */
export interface ProjectorDefinition<S extends AggregateState = AggregateState> {
  /** Projector name, e.g. `orders`; names its schemas (`orders_v1`) and consumer group. */
  readonly name: string;
  readonly readModel: ReadModel<S>;
  readonly table: ReadModelTable;
  /**
   * Every view in the `analytics` schema (the de-identified tier, for analytics_reader) over
   * the live version: one per table (named after it) and the extra ones (funnels, durations).
   * The runtime adds none there, since only the definition knows which columns identify a
   * person; it adds the identified tier (`analytics_identified`, every column, audited).
   */
  readonly views?: readonly AnalyticsView[];
}

/** The schema holding version `version` of a projector's tables, e.g. `orders_v1`. */
export function versionSchema(projector: string, version: number): string {
  return `${projector}_v${version}`;
}

/**
 * The consumer group of a projector version: `novamed-projector-<name>-v<version>` on the
 * events topic `novamed.events.v1`, with `-<topic>` appended for any other topic, so two
 * deployments (or tests) sharing a Kafka cluster with different topics never share a group (a
 * group whose members subscribe to different topics leaves some of them without partitions).
 */
export function projectorGroupId(projector: string, version: number, topic: string): string {
  const base = `novamed-projector-${projector}-v${version}`;
  return topic === EVENTS_TOPIC ? base : `${base}-${topic}`;
}
