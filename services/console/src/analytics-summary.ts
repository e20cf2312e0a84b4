import type { Database } from '@novamed-stream/db';
import { type Kysely, sql } from 'kysely';

/** Per UTC day: a count per funnel stage. */
export interface FunnelSeries {
  days: string[];
  stages: Record<string, number[]>;
}

/** Per day: how many, and the median and 90th percentile in hours. */
export interface DurationSeries {
  days: string[];
  count: number[];
  medianHours: (number | null)[];
  p90Hours: (number | null)[];
}

/** What the analytics page charts, from the de-identified `analytics` views only. */
export interface AnalyticsSummary {
  orderFunnel: FunnelSeries;
  medicationRequestFunnel: FunnelSeries;
  /** Per carrier: delivered orders and shipping-to-delivery median, in hours. */
  deliveryByCarrier: { carriers: string[]; count: number[]; medianHours: (number | null)[] };
  fillTimes: DurationSeries;
  refillDecisionTimes: DurationSeries;
}

const missingRelation = (error: unknown) => (error as { code?: unknown })?.code === '42P01';

async function read<T>(db: Kysely<Database>, query: ReturnType<typeof sql<T>>): Promise<T[]> {
  try {
    return (await query.execute(db)).rows;
  } catch (error) {
    if (missingRelation(error)) return [];
    throw error;
  }
}

async function funnel(
  db: Kysely<Database>,
  view: string,
  stages: readonly string[],
  days: number,
): Promise<FunnelSeries> {
  const sums = stages.map((s) => sql`sum(${sql.ref(s)})::float8 as ${sql.ref(s)}`);
  const result = await read<Record<string, unknown>>(
    db,
    sql`select day::text as day, ${sql.join(sums)} from ${sql.table(`analytics.${view}`)}
      where day > current_date - ${days}::int group by day order by day`,
  );
  return {
    days: result.map((r) => String(r['day'])),
    stages: Object.fromEntries(stages.map((s) => [s, result.map((r) => Number(r[s] ?? 0))])),
  };
}

async function durations(
  db: Kysely<Database>,
  view: string,
  at: string,
  interval: string,
  days: number,
): Promise<DurationSeries> {
  const hours = sql`extract(epoch from ${sql.ref(interval)}) / 3600`;
  const result = await read<{ day: string; n: number; p50: number | null; p90: number | null }>(
    db,
    sql`select (${sql.ref(at)} at time zone 'UTC')::date::text as day, count(*)::int as n,
        percentile_cont(0.5) within group (order by ${hours}) as p50,
        percentile_cont(0.9) within group (order by ${hours}) as p90
      from ${sql.table(`analytics.${view}`)}
      where ${sql.ref(at)} > now() - make_interval(days => ${days}::int)
      group by 1 order by 1`,
  );
  return {
    days: result.map((r) => r.day),
    count: result.map((r) => r.n),
    medianHours: result.map((r) => r.p50),
    p90Hours: result.map((r) => r.p90),
  };
}

/** The funnels and durations of the last `days` days (default 90). */
export async function analyticsSummary(db: Kysely<Database>, days = 90): Promise<AnalyticsSummary> {
  const carriers = await read<{ carrier: string | null; n: number; p50: number | null }>(
    db,
    sql`select carrier, count(*)::int as n,
        percentile_cont(0.5) within group (order by extract(epoch from shipping_to_delivery) / 3600) as p50
      from analytics.order_delivery_times
      where delivered_at > now() - make_interval(days => ${days}::int)
      group by carrier order by n desc limit 12`,
  );
  return {
    orderFunnel: await funnel(
      db,
      'order_funnel_daily',
      ['created', 'processing', 'shipped', 'delivered', 'cancelled', 'open'],
      days,
    ),
    medicationRequestFunnel: await funnel(
      db,
      'medication_request_funnel_daily',
      ['created', 'approved', 'filled', 'cancelled'],
      days,
    ),
    deliveryByCarrier: {
      carriers: carriers.map((c) => c.carrier ?? '(none)'),
      count: carriers.map((c) => c.n),
      medianHours: carriers.map((c) => c.p50),
    },
    fillTimes: await durations(
      db,
      'medication_request_fill_times',
      'filled_at',
      'approval_to_fill',
      days,
    ),
    refillDecisionTimes: await durations(
      db,
      'refill_decision_times',
      'decided_at',
      'request_to_decision',
      days,
    ),
  };
}
