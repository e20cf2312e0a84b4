import type { Delivery, DeliveryAttempt, DeliveryLog } from './delivery-log.js';
import type { Emission } from './fault-injector.js';
import { RETRY_DELAYS_MS, retryDelayMs } from './retry-schedule.js';
import type { Webhook } from './webhook-registry.js';

/** What one POST to a webhook came to. */
export type AttemptResult =
  | { kind: 'response'; status: number }
  | { kind: 'timeout' }
  | { kind: 'network'; code: string };

/** One POST to a webhook. The transport must give up when `signal` aborts. */
export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
}

/** Sends one webhook request (the real one uses fetch; tests pass a fake). */
export type WebhookTransport = (request: WebhookRequest) => Promise<AttemptResult>;

/** Options of {@link DeliveryEngine}. */
export interface DeliveryEngineOptions {
  transport: WebhookTransport;
  /** Sent in `x-api-key` with every delivery: the receiver's webhook secret. */
  webhookSecret: string;
  log: DeliveryLog;
  /** An attempt with no answer after this long is a timeout. Default 5000 (the guide's 5 s). */
  timeoutMs?: number;
  /** Multiplies the retry delays (1 min ... 1 h); e.g. 0.001 in tests. Default 1. */
  timeScale?: number;
  /** Delays before attempts 2, 3, ... Default the guide's 1 min, 5 min, 15 min, 1 h. */
  retryDelaysMs?: readonly number[];
  /** Attempts in flight at once, over all webhooks. Default 64. */
  maxConcurrency?: number;
  /** Attempts in flight at once to one webhook. Default 32. */
  maxConcurrencyPerWebhook?: number;
  userAgent?: string;
  now?: () => number;
  /** Called after each attempt (metrics, logs). */
  onAttempt?: (delivery: Delivery, attempt: DeliveryAttempt) => void;
  /** Called when a delivery finishes. */
  onSettled?: (delivery: Delivery) => void;
}

interface Job {
  readonly record: Delivery;
  readonly url: string;
  readonly body: string;
  timer: ReturnType<typeof setTimeout> | undefined;
  abandoned: boolean;
}

/** The deliveries of one webhook waiting for a slot, and its attempts in flight. */
interface Lane {
  readonly ready: Job[];
  inFlight: number;
}

/**
 * Delivers events to webhooks as NovaMed's guide describes: a POST of the envelope with the
 * webhook secret in `x-api-key`; only a 200 counts; no answer within 5 s is a timeout; a
 * failed attempt is retried after 1 min, 5 min, 15 min and 1 h (times `timeScale`), then the
 * delivery is marked failed. `Retry-After` is not honoured: the guide's schedule is fixed.
 * Webhooks take turns for the delivery slots, and each has at most `maxConcurrencyPerWebhook`
 * attempts in flight, so a dead or slow endpoint does not hold up the others.
 */
export class DeliveryEngine {
  readonly #options: DeliveryEngineOptions;
  readonly #timeoutMs: number;
  readonly #timeScale: number;
  readonly #retryDelays: readonly number[];
  readonly #maxConcurrency: number;
  readonly #maxPerWebhook: number;
  readonly #now: () => number;
  readonly #jobs = new Map<string, Job>();
  readonly #lanes = new Map<string, Lane>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #closing = new AbortController();
  /** Cuts short the attempts in flight (on close). */
  readonly #cutters = new Set<() => void>();
  #readyCount = 0;
  #cursor = 0;
  #idleWaiters: Array<() => void> = [];
  #sequence = 0;

  constructor(options: DeliveryEngineOptions) {
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#timeScale = options.timeScale ?? 1;
    this.#retryDelays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
    this.#maxConcurrency = options.maxConcurrency ?? 64;
    this.#maxPerWebhook = Math.min(options.maxConcurrencyPerWebhook ?? 32, this.#maxConcurrency);
    this.#now = options.now ?? Date.now;
  }

  /** Attempts the most a delivery gets (5 with the guide's schedule). */
  get maxAttempts(): number {
    return this.#retryDelays.length + 1;
  }

  /** Deliveries waiting for a free slot or in flight (not those waiting for a retry). */
  get backlog(): number {
    return this.#readyCount + this.#inFlight.size;
  }

  /** Deliveries not finished yet. */
  get pending(): number {
    return this.#jobs.size;
  }

  /** Starts delivering `emission` to `webhook`; returns its (live) log record. */
  dispatch(emission: Emission, webhook: Webhook): Delivery {
    if (this.#closing.signal.aborted) throw new Error('the delivery engine is closed');
    const { event } = emission.generated;
    const record: Delivery = {
      delivery_id: `d_${++this.#sequence}`,
      event_id: event.event_id,
      event_type: event.event_type,
      clinic_id: event.clinic_id,
      webhook_id: webhook.webhook_id,
      webhook_url: webhook.webhook_url,
      duplicate: emission.duplicate,
      out_of_order: emission.overtaken,
      created_at: new Date(this.#now()).toISOString(),
      attempts: [],
      outcome: 'pending',
      next_attempt_at: null,
      completed_at: null,
    };
    const job: Job = {
      record,
      url: webhook.webhook_url,
      body: emission.generated.body,
      timer: undefined,
      abandoned: false,
    };
    this.#jobs.set(record.delivery_id, job);
    this.#options.log.added(record);
    this.#enqueue(job);
    return record;
  }

  /** Stops retrying the deliveries to a deleted webhook; returns how many were abandoned. */
  abandonWebhook(webhookId: string): number {
    let count = 0;
    const lane = this.#lanes.get(webhookId);
    for (const job of [...this.#jobs.values()]) {
      if (job.record.webhook_id !== webhookId || job.abandoned) continue;
      job.abandoned = true;
      count++;
      const queued = lane?.ready.includes(job) ?? false;
      if (queued || job.timer !== undefined) {
        if (queued && lane) {
          lane.ready.splice(lane.ready.indexOf(job), 1);
          this.#readyCount--;
        }
        this.#settle(job, 'abandoned');
      }
      // An attempt in flight settles as abandoned (or delivered) when it returns.
    }
    this.#checkIdle();
    return count;
  }

  /** Resolves once no delivery is pending. */
  whenIdle(): Promise<void> {
    if (this.#jobs.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Stops: no new attempts, retry timers cleared, attempts in flight aborted (not recorded).
   * Unfinished deliveries stay pending.
   */
  async close(): Promise<void> {
    this.#closing.abort();
    for (const cut of this.#cutters) cut();
    for (const lane of this.#lanes.values()) lane.ready.length = 0;
    this.#readyCount = 0;
    for (const job of this.#jobs.values()) {
      if (job.timer !== undefined) clearTimeout(job.timer);
      job.timer = undefined;
    }
    await Promise.all([...this.#inFlight]);
  }

  #enqueue(job: Job): void {
    const id = job.record.webhook_id;
    let lane = this.#lanes.get(id);
    if (lane === undefined) {
      lane = { ready: [], inFlight: 0 };
      this.#lanes.set(id, lane);
    }
    lane.ready.push(job);
    this.#readyCount++;
    this.#pump();
  }

  /** The next webhook (round robin) with a delivery waiting and a free slot of its own. */
  #nextLane(): Lane | undefined {
    const lanes = [...this.#lanes.values()];
    for (let i = 0; i < lanes.length; i++) {
      const index = (this.#cursor + i) % lanes.length;
      const lane = lanes[index] as Lane;
      if (lane.ready.length > 0 && lane.inFlight < this.#maxPerWebhook) {
        this.#cursor = index + 1;
        return lane;
      }
    }
    return undefined;
  }

  #pump(): void {
    while (!this.#closing.signal.aborted && this.#inFlight.size < this.#maxConcurrency) {
      const lane = this.#nextLane();
      const job = lane?.ready.shift();
      if (lane === undefined || job === undefined) return;
      this.#readyCount--;
      lane.inFlight++;
      const running = this.#attempt(job).finally(() => {
        lane.inFlight--;
        if (lane.inFlight === 0 && lane.ready.length === 0) {
          this.#lanes.delete(job.record.webhook_id);
        }
        this.#inFlight.delete(running);
        this.#pump();
        this.#checkIdle();
      });
      this.#inFlight.add(running);
    }
  }

  async #attempt(job: Job): Promise<void> {
    const number = job.record.attempts.length + 1;
    job.record.next_attempt_at = null;
    const started = this.#now();
    const result = await this.#send(job);
    // Cut short by close(): the outcome is unknown, so nothing is recorded.
    if (this.#closing.signal.aborted) return;
    const finished = this.#now();
    const succeeded = result.kind === 'response' && result.status === 200;
    const delay =
      succeeded || job.abandoned
        ? undefined
        : retryDelayMs(number, this.#timeScale, this.#retryDelays);
    const retryAt = delay === undefined ? null : new Date(finished + delay).toISOString();
    const attempt: DeliveryAttempt = {
      attempt: number,
      started_at: new Date(started).toISOString(),
      latency_ms: Math.max(0, finished - started),
      status: result.kind === 'response' ? result.status : null,
      error: result.kind === 'response' ? null : result.kind,
      error_code: result.kind === 'network' ? result.code : null,
      retry_at: retryAt,
    };
    job.record.attempts.push(attempt);
    this.#options.log.attempted(job.record, attempt);
    this.#options.onAttempt?.(job.record, attempt);

    if (succeeded) return this.#settle(job, 'delivered');
    if (job.abandoned) return this.#settle(job, 'abandoned');
    if (delay === undefined) return this.#settle(job, 'failed');
    job.record.next_attempt_at = retryAt;
    job.timer = setTimeout(() => {
      job.timer = undefined;
      this.#enqueue(job);
    }, delay);
    job.timer.unref?.();
  }

  /** One POST, never longer than the timeout, whatever the transport does. */
  async #send(job: Job): Promise<AttemptResult> {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let cut: (() => void) | undefined;
    const cutShort = new Promise<AttemptResult>((resolve) => {
      cut = () => {
        controller.abort();
        resolve({ kind: 'timeout' });
      };
      timer = setTimeout(cut, this.#timeoutMs);
      this.#cutters.add(cut);
    });
    const request: WebhookRequest = {
      url: job.url,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'x-api-key': this.#options.webhookSecret,
        'user-agent': this.#options.userAgent ?? 'NovaMed-Webhooks-Sandbox/0.1',
      },
      body: job.body,
      signal: controller.signal,
    };
    const sent = this.#options
      .transport(request)
      .catch(
        (error: unknown): AttemptResult =>
          controller.signal.aborted
            ? { kind: 'timeout' }
            : { kind: 'network', code: codeOf(error) },
      );
    try {
      return await Promise.race([sent, cutShort]);
    } finally {
      clearTimeout(timer);
      if (cut) this.#cutters.delete(cut);
    }
  }

  #settle(job: Job, outcome: 'delivered' | 'failed' | 'abandoned'): void {
    if (job.timer !== undefined) clearTimeout(job.timer);
    job.timer = undefined;
    job.record.outcome = outcome;
    job.record.next_attempt_at = null;
    job.record.completed_at = new Date(this.#now()).toISOString();
    this.#jobs.delete(job.record.delivery_id);
    this.#options.log.settled(job.record);
    this.#options.onSettled?.(job.record);
  }

  #checkIdle(): void {
    if (this.#jobs.size > 0 || this.#idleWaiters.length === 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** A system error code (`ECONNREFUSED`), also from fetch's wrapped `cause`. */
export function codeOf(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return 'NETWORK_ERROR';
}
