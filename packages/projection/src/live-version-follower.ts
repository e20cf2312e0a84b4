import { describeError, type Logger, silentLogger } from './logger.js';

/** The live version as the follower reads it. */
export interface LiveVersionInfo {
  version: number;
  /** Logic fingerprint of the version; null when unknown. */
  fingerprint: string | null;
}

/** What the follower saw at its last check. */
export type FollowerState =
  | { status: 'following'; version: number }
  | {
      status: 'logic-mismatch';
      version: number;
      liveVersion: number;
      /** Since when the live version has had other logic than this process's. */
      sinceMs: number;
    };

/** Options of {@link LiveVersionFollower}. */
export interface LiveVersionFollowerOptions {
  /** The version this process consumes now. */
  version: number;
  /** This process's logic fingerprint. */
  fingerprint: string;
  /** Reads the live version (one query). */
  readLive: () => Promise<LiveVersionInfo | undefined>;
  /** Stops consuming the current version and starts on `version`. */
  switchTo: (version: number) => Promise<void>;
  /** Check period; default 2 s. */
  intervalMs?: number;
  logger?: Logger;
  now?: () => number;
}

/**
 * Keeps a projector service on the live version: every `intervalMs` it reads the live version
 * and, when a rebuild has made another version live, switches the consumer to it (the
 * rebuild filled its tables and checkpoints, so consuming continues where the rebuild is).
 * A live version built by other logic (another fingerprint) is not followed: writing it with
 * this process's logic would mix two logics in one version. The state says so until this
 * process is replaced by one running the new logic.
 */
export class LiveVersionFollower {
  #version: number;
  #state: FollowerState;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  readonly #options: LiveVersionFollowerOptions;
  readonly #logger: Logger;
  readonly #now: () => number;

  constructor(options: LiveVersionFollowerOptions) {
    this.#options = options;
    this.#version = options.version;
    this.#state = { status: 'following', version: options.version };
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
  }

  /** The version consumed now. */
  get version(): number {
    return this.#version;
  }

  get state(): FollowerState {
    return this.#state;
  }

  /** Starts checking periodically. */
  start(): void {
    this.#stopped = false;
    this.#schedule();
  }

  /** Stops checking; waits for a switch in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** One check (also what the timer runs). Never throws: a failed check is logged and retried. */
  async check(): Promise<void> {
    this.#running ??= this.#check().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #check(): Promise<void> {
    let live: LiveVersionInfo | undefined;
    try {
      live = await this.#options.readLive();
    } catch (error) {
      this.#logger.warn({ ...describeError(error) }, 'could not read the live version');
      return;
    }
    if (live === undefined || live.version === this.#version) {
      this.#state = { status: 'following', version: this.#version };
      return;
    }
    if (live.fingerprint !== null && live.fingerprint !== this.#options.fingerprint) {
      if (this.#state.status !== 'logic-mismatch' || this.#state.liveVersion !== live.version) {
        this.#state = {
          status: 'logic-mismatch',
          version: this.#version,
          liveVersion: live.version,
          sinceMs: this.#now(),
        };
        this.#logger.error(
          { version: this.#version, liveVersion: live.version },
          'the live version was built by other projection logic; not following it. Deploy the release that built it',
        );
      }
      return;
    }
    if (this.#stopped) return;
    const from = this.#version;
    this.#logger.info({ from, to: live.version }, 'live version changed; switching');
    try {
      await this.#options.switchTo(live.version);
      this.#version = live.version;
      this.#state = { status: 'following', version: live.version };
      this.#logger.info({ from, to: live.version }, 'now consuming the live version');
    } catch (error) {
      this.#logger.error(
        { ...describeError(error), from, to: live.version },
        'switching to the live version failed; retrying',
      );
    }
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.check().finally(() => this.#schedule());
    }, this.#options.intervalMs ?? 2000);
    this.#timer.unref?.();
  }
}
