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
   * Views in the `analytics` schema over the live version. The runtime always adds one view
   * per table (named after it); these are the extra ones (funnels, durations).
   */
  readonly views?: readonly AnalyticsView[];
}

/** The schema holding version `version` of a projector's tables, e.g. `orders_v1`. */
export function versionSchema(projector: string, version: number): string {
  return `${projector}_v${version}`;
}
