import type { BenchTable } from '../bench-result.js';

/** One measured variant of `bench:projector`. */
export interface VariantRow {
  name: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** Every message read (other aggregates' included) per second. */
  messagesPerSecond: number;
  /**
   * Cores used during the measured window: the bench process, Kafka, Postgres, each worker
   * process (`raw:<model>`, `projector:<model>`), `machine` and `others` (the rest).
   */
  cores: Record<string, number>;
  /** 1-minute load average at the end (the machine may be shared). */
  loadAverage: number;
  /**
   * Events per CPU-second of the processes doing the work (worker or bench process, Kafka,
   * Postgres): what the variant costs, much less sensitive than events/s to whatever else
   * the machine runs.
   */
  eventsPerCoreSecond: number;
  note: string;
}

const WORKERS = /^(raw|projector):/;

/** Cores used by the processes doing the work (everything sampled but `machine`, `others`). */
export function ourCores(cores: Readonly<Record<string, number>>): number {
  return Object.entries(cores)
    .filter(([name]) => name !== 'machine' && name !== 'others')
    .reduce((sum, [, v]) => sum + v, 0);
}

/**
 * CPU µs per event of the process(es) running the variant's code: its worker processes, or
 * the bench process for variants that run in it. Kafka and Postgres are left out, so this is
 * the figure a change to the projection code moves.
 */
export function workerMicrosPerEvent(row: VariantRow): number {
  const workers = Object.entries(row.cores).filter(([name]) => WORKERS.test(name));
  const cores =
    workers.length > 0
      ? workers.reduce((sum, [, v]) => sum + v, 0)
      : (row.cores['bench'] ?? Number.NaN);
  return Math.round((cores * row.seconds * 1e6) / row.events);
}

/**
 * The projector benchmark's table; `rawOf` gives the raw-loop row a variant is compared with
 * (undefined: no ratio).
 */
export function projectorTable(
  rows: readonly VariantRow[],
  rawOf: (row: VariantRow) => VariantRow | undefined,
): BenchTable {
  return {
    title: 'Kafka -> Postgres, replay from offset 0 (events/s over the measured window)',
    columns: [
      'variant',
      'events',
      'seconds',
      'events/s',
      'vs raw',
      'msgs read/s',
      'our cores',
      'events/core-s',
      'worker CPU µs/event',
      'others',
      'note',
    ],
    rows: rows.map((r) => {
      const raw = rawOf(r);
      return [
        r.name,
        r.events,
        r.seconds.toFixed(2),
        r.eventsPerSecond,
        raw ? (r.eventsPerSecond / raw.eventsPerSecond).toFixed(2) : '-',
        r.messagesPerSecond,
        ourCores(r.cores).toFixed(2),
        r.eventsPerCoreSecond,
        workerMicrosPerEvent(r),
        (r.cores['others'] ?? Number.NaN).toFixed(2),
        r.note,
      ];
    }),
  };
}
