import { EventGenerator } from './event-generator.js';
import { type Emission, FaultInjector, type Faults } from './fault-injector.js';
import { Random } from './random.js';

/** What a generation run produces and how fast. */
export interface GenerationSettings {
  /** Same seed (and clinics, start time, rate, faults): same events in the same order. */
  seed: number;
  clinicIds: readonly string[];
  /** Events per second (new events; duplicates come on top). */
  rate: number;
  /** Stop after this many events. */
  count?: number;
  /** Stop after this many care episodes, each carried to its end. */
  lifecycles?: number;
  /** Stop after this long (wall clock). */
  durationMs?: number;
  faults: Faults;
  /** Timestamp of the first event (epoch ms); later ones follow at 1/rate apart. */
  startAt: number;
  /** Episodes in progress at once. Default 20. */
  concurrency?: number;
}

/** Why a run ended. */
export type StopReason = 'count' | 'lifecycles' | 'duration' | 'requested';

/** A run's progress, as the control API reports it. */
export interface GenerationStatus {
  state: 'running' | 'finished' | 'stopped';
  seed: number;
  clinic_ids: string[];
  rate: number;
  count: number | null;
  lifecycles: number | null;
  duration_seconds: number | null;
  faults: {
    duplicate_rate: number;
    out_of_order_rate: number;
    burst_rate: number;
    burst_size: number;
  };
  start_at: string;
  started_at: string;
  ended_at: string | null;
  stop_reason: StopReason | null;
  events_generated: number;
  emissions: number;
  duplicates: number;
  out_of_order: number;
  bursts: number;
  lifecycles_started: number;
  lifecycles_completed: number;
  /** Events held back or duplicates not yet emitted. */
  waiting: number;
}

/** Where a run's emissions go. */
export interface GenerationSink {
  emit(emission: Emission): void;
  /** Deliveries not attempted yet: the run pauses while this exceeds `maxBacklog`. */
  backlog(): number;
}

/** Options of {@link GenerationRun}. */
export interface GenerationRunOptions {
  now?: () => number;
  /** Longest pause between two emission rounds, in ms. Default 100. */
  tickMs?: number;
  /** Default 5000. */
  maxBacklog?: number;
}

/**
 * Drives an {@link EventGenerator} through a {@link FaultInjector} at a rate (a token bucket
 * holding at most one second of events), with bursts, until a count, a number of lifecycles or
 * a duration is reached, or `stop()`. Whatever the injector still holds is emitted at the end.
 */
export class GenerationRun {
  readonly settings: GenerationSettings;
  readonly #sink: GenerationSink;
  readonly #now: () => number;
  readonly #tickMs: number;
  readonly #maxBacklog: number;
  readonly #generator: EventGenerator;
  readonly #injector: FaultInjector;
  readonly #burstRandom: Random;
  readonly #finished: Promise<GenerationStatus>;
  #resolveFinished: (status: GenerationStatus) => void = () => {};
  #state: GenerationStatus['state'] = 'running';
  #stopReason: StopReason | null = null;
  #startedAt = 0;
  #endedAt: number | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #tokens = 1;
  #lastTick = 0;
  #paced = 0;
  #burstEvents = 0;
  #bursts = 0;
  #emissions = 0;
  #started = false;

  constructor(
    settings: GenerationSettings,
    sink: GenerationSink,
    options: GenerationRunOptions = {},
  ) {
    if (!(settings.rate > 0)) throw new Error('rate must be positive');
    this.settings = settings;
    this.#sink = sink;
    this.#now = options.now ?? Date.now;
    this.#tickMs = options.tickMs ?? 100;
    this.#maxBacklog = options.maxBacklog ?? 5000;
    const random = new Random(settings.seed);
    this.#generator = new EventGenerator({
      seed: settings.seed,
      clinicIds: settings.clinicIds,
      ...(settings.lifecycles === undefined ? {} : { lifecycles: settings.lifecycles }),
      ...(settings.concurrency === undefined ? {} : { concurrency: settings.concurrency }),
    });
    this.#injector = new FaultInjector(
      {
        duplicateRate: settings.faults.duplicateRate,
        outOfOrderRate: settings.faults.outOfOrderRate,
      },
      random.fork('faults'),
    );
    this.#burstRandom = random.fork('bursts');
    this.#finished = new Promise((resolve) => {
      this.#resolveFinished = resolve;
    });
  }

  /** Resolves with the final status once the run finished or was stopped. */
  get finished(): Promise<GenerationStatus> {
    return this.#finished;
  }

  /** True until the run ends. */
  get running(): boolean {
    return this.#state === 'running';
  }

  /** Starts emitting (the first event at once). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#startedAt = this.#now();
    this.#lastTick = this.#startedAt;
    this.#schedule(0);
  }

  /** Ends the run now (held events and pending duplicates are still emitted). */
  stop(): GenerationStatus {
    if (this.#state === 'running') this.#end('requested');
    return this.status();
  }

  status(): GenerationStatus {
    const { settings } = this;
    return {
      state: this.#state,
      seed: settings.seed,
      clinic_ids: [...settings.clinicIds],
      rate: settings.rate,
      count: settings.count ?? null,
      lifecycles: settings.lifecycles ?? null,
      duration_seconds: settings.durationMs === undefined ? null : settings.durationMs / 1000,
      faults: {
        duplicate_rate: settings.faults.duplicateRate,
        out_of_order_rate: settings.faults.outOfOrderRate,
        burst_rate: settings.faults.burstRate,
        burst_size: settings.faults.burstSize,
      },
      start_at: new Date(settings.startAt).toISOString(),
      started_at: new Date(this.#startedAt).toISOString(),
      ended_at: this.#endedAt === null ? null : new Date(this.#endedAt).toISOString(),
      stop_reason: this.#stopReason,
      events_generated: this.#generator.eventsGenerated,
      emissions: this.#emissions,
      duplicates: this.#injector.duplicates,
      out_of_order: this.#injector.overtaken,
      bursts: this.#bursts,
      lifecycles_started: this.#generator.episodesStarted,
      lifecycles_completed: this.#generator.episodesCompleted,
      waiting: this.#injector.waiting,
    };
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => this.#tick(), delayMs);
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#state !== 'running') return;
    const now = this.#now();
    const { rate, durationMs } = this.settings;
    this.#tokens = Math.min(
      this.#tokens + ((now - this.#lastTick) / 1000) * rate,
      Math.max(1, rate),
    );
    this.#lastTick = now;
    if (durationMs !== undefined && now - this.#startedAt >= durationMs) {
      this.#end('duration');
      return;
    }
    if (this.#sink.backlog() <= this.#maxBacklog) {
      while (this.#tokens >= 1 && this.#state === 'running') {
        this.#tokens -= 1;
        this.#emitPaced();
      }
    }
    if (this.#state !== 'running') return;
    const untilNext = Math.ceil(((1 - this.#tokens) / rate) * 1000);
    this.#schedule(Math.max(1, Math.min(this.#tickMs, untilNext)));
  }

  #emitPaced(): void {
    if (!this.#emitOne(false)) return;
    this.#paced++;
    const { burstRate, burstSize } = this.settings.faults;
    if (burstSize > 0 && this.#burstRandom.chance(burstRate)) {
      this.#bursts++;
      for (let i = 0; i < burstSize && this.#state === 'running'; i++) this.#emitOne(true);
    }
  }

  /** Generates one event and emits what the injector lets through; false when the run ended. */
  #emitOne(burst: boolean): boolean {
    const { count, startAt, rate } = this.settings;
    if (count !== undefined && this.#generator.eventsGenerated >= count) {
      this.#end('count');
      return false;
    }
    // Virtual time: 1/rate apart, burst events 1 ms apart; independent of timer jitter.
    const at = startAt + Math.floor((this.#paced * 1000) / rate) + this.#burstEvents;
    const generated = this.#generator.next(at);
    if (generated === undefined) {
      this.#end('lifecycles');
      return false;
    }
    if (burst) this.#burstEvents++;
    for (const emission of this.#injector.push(generated)) this.#emit(emission);
    if (count !== undefined && this.#generator.eventsGenerated >= count) this.#end('count');
    else if (this.#generator.exhausted) this.#end('lifecycles');
    return true;
  }

  #emit(emission: Emission): void {
    this.#emissions++;
    this.#sink.emit(emission);
  }

  #end(reason: StopReason): void {
    if (this.#state !== 'running') return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const emission of this.#injector.flush()) this.#emit(emission);
    this.#state = reason === 'requested' ? 'stopped' : 'finished';
    this.#stopReason = reason;
    this.#endedAt = this.#now();
    this.#resolveFinished(this.status());
  }
}
