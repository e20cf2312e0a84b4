import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { DeliveryEngine, type WebhookTransport } from './delivery-engine.js';
import { type Delivery, DeliveryLog, type DeliverySummary } from './delivery-log.js';
import { type Emission, type Faults, NO_FAULTS } from './fault-injector.js';
import { GenerationRun, type GenerationStatus } from './generation-run.js';
import { GroundTruth } from './ground-truth.js';
import { createHttpTransport } from './http-transport.js';
import type { SandboxMetrics } from './sandbox-metrics.js';
import { type RegisterOutcome, type RemoveOutcome, WebhookRegistry } from './webhook-registry.js';

/** Options of {@link Sandbox}. */
export interface SandboxOptions {
  /** Sent in `x-api-key` with every delivery (the receiver's webhook secret). */
  webhookSecret: string;
  /** Default: HTTP with fetch. */
  transport?: WebhookTransport;
  /** Multiplies the retry delays (1 min, 5 min, 15 min, 1 h). Default 1. */
  timeScale?: number;
  /** Per-attempt timeout. Default 5000 ms. */
  deliveryTimeoutMs?: number;
  /** Attempts in flight at once. Default 64. */
  maxConcurrentDeliveries?: number;
  /** Attempts in flight at once to one webhook. Default 32. */
  maxConcurrentDeliveriesPerWebhook?: number;
  /** Finished deliveries kept in the log. Default 10 000. */
  deliveryLogSize?: number;
  maxWebhooksPerClinic?: number;
  /** Generation pauses while more deliveries than this wait for a slot. Default 5000. */
  maxBacklog?: number;
  logger: Logger;
  metrics?: SandboxMetrics;
}

/** What a client asks a generation run for (see the control API). */
export interface GenerationRequest {
  rate: number;
  count?: number;
  lifecycles?: number;
  durationMs?: number;
  /** Default: a random one (reported in the status, to replay the run). */
  seed?: number;
  /** Default: every clinic with a registered webhook. */
  clinicIds?: string[];
  faults?: Partial<Faults>;
  /** Timestamp of the first event, epoch ms. Default now. */
  startAt?: number;
  concurrency?: number;
}

/** Outcome of {@link Sandbox.startGeneration}. */
export type StartOutcome =
  | { ok: true; status: GenerationStatus }
  | { ok: false; reason: 'ALREADY_RUNNING'; status: GenerationStatus }
  | { ok: false; reason: 'NO_WEBHOOKS'; clinicIds: string[] };

/** Everything the sandbox knows, for `GET /sandbox/status`. */
export interface SandboxStatus {
  generator: GenerationStatus | null;
  deliveries: DeliverySummary;
  webhooks: number;
  ground_truth: {
    events: number;
    orders: number;
    medication_requests: number;
    refills: number;
  };
  /** Events generated for a clinic that had no webhook at that moment (not in the truth). */
  undeliverable_events: number;
}

/**
 * NovaMed's side of the partner guide, without HTTP: webhook registrations, generation runs,
 * delivery (with the guide's retries), the delivery log and the ground truth. The Fastify app
 * (`buildSandboxApp`) is a thin layer over it.
 */
export class Sandbox {
  readonly registry: WebhookRegistry;
  readonly log: DeliveryLog;
  readonly truth = new GroundTruth();
  readonly engine: DeliveryEngine;
  readonly #options: SandboxOptions;
  readonly #logger: Logger;
  #run: GenerationRun | undefined;
  #undeliverable = 0;

  constructor(options: SandboxOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.registry = new WebhookRegistry(
      options.maxWebhooksPerClinic === undefined
        ? {}
        : { maxPerClinic: options.maxWebhooksPerClinic },
    );
    this.log = new DeliveryLog(
      options.deliveryLogSize === undefined ? {} : { retain: options.deliveryLogSize },
    );
    const metrics = options.metrics;
    this.engine = new DeliveryEngine({
      transport: options.transport ?? createHttpTransport(),
      webhookSecret: options.webhookSecret,
      log: this.log,
      ...(options.deliveryTimeoutMs === undefined ? {} : { timeoutMs: options.deliveryTimeoutMs }),
      ...(options.timeScale === undefined ? {} : { timeScale: options.timeScale }),
      ...(options.maxConcurrentDeliveries === undefined
        ? {}
        : { maxConcurrency: options.maxConcurrentDeliveries }),
      ...(options.maxConcurrentDeliveriesPerWebhook === undefined
        ? {}
        : { maxConcurrencyPerWebhook: options.maxConcurrentDeliveriesPerWebhook }),
      onAttempt: (delivery, attempt) => {
        const result =
          attempt.status === null ? (attempt.error ?? 'network') : String(attempt.status);
        metrics?.attempts.inc({ result });
        metrics?.attemptDuration.observe(attempt.latency_ms / 1000);
        if (attempt.status !== 200) {
          this.#logger.debug(
            { ...deliveryFields(delivery), attempt: attempt.attempt, result },
            'delivery attempt failed',
          );
        }
      },
      onSettled: (delivery) => {
        metrics?.deliveries.inc({ outcome: delivery.outcome });
        if (delivery.outcome === 'failed') {
          const last = delivery.attempts.at(-1);
          this.#logger.warn(
            {
              ...deliveryFields(delivery),
              attempts: delivery.attempts.length,
              lastResult: last?.status ?? last?.error ?? null,
            },
            'delivery failed: every attempt of the retry schedule failed',
          );
        }
      },
    });
  }

  /** Registers a webhook (the registration API). */
  register(clinicId: string, url: string): RegisterOutcome {
    const outcome = this.registry.register(clinicId, url);
    if (outcome.ok) {
      this.#logger.info(
        { webhookId: outcome.webhook.webhook_id, clinicId, url },
        'webhook registered',
      );
    }
    return outcome;
  }

  /** Deletes a webhook; its unfinished deliveries are abandoned. */
  unregister(clinicId: string, webhookId: string): RemoveOutcome {
    const outcome = this.registry.remove(clinicId, webhookId);
    if (outcome.ok) {
      const abandoned = this.engine.abandonWebhook(webhookId);
      this.#logger.info({ webhookId, clinicId, abandoned }, 'webhook deleted');
    }
    return outcome;
  }

  /** Starts a generation run unless one is running. */
  startGeneration(request: GenerationRequest): StartOutcome {
    if (this.#run?.running)
      return { ok: false, reason: 'ALREADY_RUNNING', status: this.#run.status() };
    const clinicIds = request.clinicIds ?? this.registry.clinics();
    const withoutWebhook = clinicIds.filter((id) => this.registry.forClinic(id).length === 0);
    if (clinicIds.length === 0 || withoutWebhook.length > 0) {
      return { ok: false, reason: 'NO_WEBHOOKS', clinicIds: withoutWebhook };
    }
    const run = new GenerationRun(
      {
        seed: request.seed ?? randomInt(0, 2 ** 32 - 1),
        clinicIds: [...new Set(clinicIds)],
        rate: request.rate,
        ...(request.count === undefined ? {} : { count: request.count }),
        ...(request.lifecycles === undefined ? {} : { lifecycles: request.lifecycles }),
        ...(request.durationMs === undefined ? {} : { durationMs: request.durationMs }),
        ...(request.concurrency === undefined ? {} : { concurrency: request.concurrency }),
        faults: { ...NO_FAULTS, ...request.faults },
        startAt: request.startAt ?? Date.now(),
      },
      { emit: (emission) => this.#emit(emission), backlog: () => this.engine.backlog },
      this.#options.maxBacklog === undefined ? {} : { maxBacklog: this.#options.maxBacklog },
    );
    this.#run = run;
    run.start();
    const status = run.status();
    this.#logger.info(
      {
        seed: status.seed,
        clinics: status.clinic_ids.length,
        rate: status.rate,
        count: status.count,
        lifecycles: status.lifecycles,
        durationSeconds: status.duration_seconds,
        faults: status.faults,
      },
      'generation started',
    );
    void run.finished.then((final) => {
      this.#logger.info(
        {
          seed: final.seed,
          reason: final.stop_reason,
          events: final.events_generated,
          lifecycles: final.lifecycles_completed,
        },
        'generation ended',
      );
    });
    return { ok: true, status };
  }

  /** Stops the current run; undefined when none ever ran. */
  stopGeneration(): GenerationStatus | undefined {
    return this.#run?.stop();
  }

  /** The current (or last) run's status. */
  generation(): GenerationStatus | undefined {
    return this.#run?.status();
  }

  status(): SandboxStatus {
    return {
      generator: this.#run?.status() ?? null,
      deliveries: this.log.summary(),
      webhooks: this.registry.size,
      ground_truth: { events: this.truth.events, ...this.truth.counts() },
      undeliverable_events: this.#undeliverable,
    };
  }

  /**
   * Forgets the delivery log, the ground truth and the last run, when nothing is running or
   * pending; false otherwise.
   */
  reset(): boolean {
    if (this.#run?.running || this.engine.pending > 0) return false;
    this.log.clear();
    this.truth.clear();
    this.#run = undefined;
    this.#undeliverable = 0;
    return true;
  }

  /** Resolves when the run (if any) ended and no delivery is pending. */
  async whenIdle(): Promise<void> {
    await this.#run?.finished;
    await this.engine.whenIdle();
  }

  /** Stops generation and delivery (pending deliveries stay unfinished). */
  async close(): Promise<void> {
    this.#run?.stop();
    await this.engine.close();
  }

  #emit(emission: Emission): void {
    const { event } = emission.generated;
    const webhooks = this.registry.forClinic(event.clinic_id);
    if (webhooks.length === 0) {
      if (!emission.duplicate) this.#undeliverable++;
      return;
    }
    if (!emission.duplicate) {
      this.truth.record(emission.generated.stage);
      this.#options.metrics?.eventsGenerated.inc({ event_type: event.event_type });
    }
    for (const webhook of webhooks) this.engine.dispatch(emission, webhook);
  }
}

/** The loggable fields of a delivery: ids, type, no payload. */
function deliveryFields(delivery: Delivery) {
  return {
    deliveryId: delivery.delivery_id,
    eventId: delivery.event_id,
    eventType: delivery.event_type,
    webhookId: delivery.webhook_id,
  };
}
