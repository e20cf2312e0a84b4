import { type ProjectorStatus, projectorStatuses, topicOffsets } from '@novamed-stream/cli';
import type { Database } from '@novamed-stream/db';
import type { Admin } from 'kafkajs';
import type { Kysely } from 'kysely';
import type { MetricsSource } from './config.js';
import { type FlowRates, flowRates, type MetricsScrape } from './flow-rates.js';
import { parsePrometheusText } from './prometheus-text.js';

/** One projector in a {@link LiveSnapshot}. */
export interface ProjectorFlow {
  projector: string;
  liveVersion: number | null;
  /** Messages not applied yet, and the age of the oldest of them. */
  lag: number;
  behindSeconds: number | null;
  /** Seconds since the live version last applied a batch; null before its first. */
  freshnessSeconds: number | null;
  unresolvedErrors: number;
  consumers: number;
  /** Running rebuilds: messages done of the total up to the end offsets. */
  building: ProjectorStatus['building'];
}

/** What the live page shows at one instant. */
export interface LiveSnapshot {
  at: number;
  rates: FlowRates;
  /** Messages in the topic; null when Kafka could not be read. */
  topicMessages: number | null;
  /** Null when Kafka or Postgres could not be read (see `problems`). */
  projectors: ProjectorFlow[] | null;
  /** What could not be read, without details that could hold data. */
  problems: string[];
}

/** Options of {@link LiveSampler}. */
export interface LiveSamplerOptions {
  db: Kysely<Database>;
  admin: Pick<
    Admin,
    | 'listTopics'
    | 'fetchTopicOffsets'
    | 'fetchTopicOffsetsByTimestamp'
    | 'describeGroups'
    | 'listGroups'
    | 'fetchOffsets'
  >;
  topic: string;
  metrics: readonly MetricsSource[];
  intervalMs: number;
  /** Snapshots kept for a page that opens (the charts' history). Default 150. */
  keep?: number;
  fetch?: typeof fetch;
}

type Listener = (snapshot: LiveSnapshot) => void;

/**
 * Samples the flow every `intervalMs` while at least one page listens (no listener, no load on
 * Kafka, Postgres or the services), keeps the last snapshots, and hands each new one to every
 * listener. Lag and rebuild progress come from the CLI's `status` code.
 */
export class LiveSampler {
  readonly #options: LiveSamplerOptions;
  readonly #listeners = new Set<Listener>();
  readonly #history: LiveSnapshot[] = [];
  #previous: MetricsScrape | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: LiveSamplerOptions) {
    this.#options = options;
  }

  /** The snapshots kept so far, oldest first. */
  history(): readonly LiveSnapshot[] {
    return this.#history;
  }

  /** Starts sampling if needed; returns the function that stops listening. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    if (this.#timer === undefined) {
      void this.tick();
      this.#timer = setInterval(() => void this.tick(), this.#options.intervalMs);
      this.#timer.unref();
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.stop();
    };
  }

  /** Stops the timer (no listener left, or shutdown). */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Waits for a sample in progress (shutdown). */
  async settle(): Promise<void> {
    await this.#running;
  }

  /** Takes one sample now (skipped while the previous one still runs). */
  async tick(): Promise<void> {
    if (this.#running) return;
    this.#running = (async () => {
      try {
        const snapshot = await this.sample();
        this.#history.push(snapshot);
        const keep = this.#options.keep ?? 150;
        if (this.#history.length > keep) this.#history.splice(0, this.#history.length - keep);
        for (const listener of this.#listeners) listener(snapshot);
      } finally {
        this.#running = undefined;
      }
    })();
    await this.#running;
  }

  /** One snapshot: every /metrics endpoint, the topic's end offsets and the projectors. */
  async sample(): Promise<LiveSnapshot> {
    const problems: string[] = [];
    const [scrape, projectors] = await Promise.all([
      this.#scrape(),
      this.#projectors().catch((error: unknown) => {
        problems.push(`Kafka or Postgres not readable (${errorCode(error)})`);
        return null;
      }),
    ]);
    for (const [name, samples] of Object.entries(scrape.sources)) {
      if (samples === null) problems.push(`${name} /metrics not reachable`);
    }
    const rates = flowRates(this.#previous, scrape);
    this.#previous = scrape;
    return {
      at: scrape.at,
      rates,
      topicMessages: projectors?.messages ?? null,
      projectors: projectors?.flows ?? null,
      problems,
    };
  }

  async #scrape(): Promise<MetricsScrape> {
    const at = Date.now();
    const fetcher = this.#options.fetch ?? fetch;
    const entries = await Promise.all(
      this.#options.metrics.map(async (source) => {
        try {
          const response = await fetcher(source.url, { signal: AbortSignal.timeout(1500) });
          if (!response.ok) return [source.name, null] as const;
          return [source.name, parsePrometheusText(await response.text())] as const;
        } catch {
          return [source.name, null] as const;
        }
      }),
    );
    return { at, sources: Object.fromEntries(entries) };
  }

  async #projectors(): Promise<{ messages: number; flows: ProjectorFlow[] }> {
    const { db, admin, topic } = this.#options;
    const offsets = await topicOffsets(admin as Admin, topic);
    const now = Date.now();
    const statuses = await projectorStatuses(db, admin as Admin, topic, offsets, now);
    const fresh = await db
      .selectFrom('novamed.projection_checkpoints as c')
      .innerJoin('novamed.projection_versions as v', (join) =>
        join.onRef('v.projector', '=', 'c.projector').onRef('v.version', '=', 'c.version'),
      )
      .select(['c.projector', (eb) => eb.fn.max('c.updated_at').as('last')])
      .where('v.status', '=', 'live')
      .where('c.topic', '=', topic)
      .groupBy('c.projector')
      .execute();
    return {
      messages: offsets.reduce((n, p) => n + Number(p.high - p.low), 0),
      flows: statuses.map((s) => {
        const last = fresh.find((f) => f.projector === s.projector)?.last;
        return {
          projector: s.projector,
          liveVersion: s.liveVersion,
          lag: s.lag,
          behindSeconds: s.behindSeconds,
          freshnessSeconds:
            last === undefined || last === null
              ? null
              : Math.max(0, (now - new Date(last).getTime()) / 1000),
          unresolvedErrors: s.unresolvedErrors,
          consumers: s.consumers,
          building: s.building,
        };
      }),
    };
  }
}

/** A short, data-free description of an infrastructure error (its code or class). */
export function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (error instanceof Error) return error.name;
  }
  return 'error';
}
