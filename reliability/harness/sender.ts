/**
 * The reliability suite sends like NovaMed through the test kit's sender (`sendLikeNovaMed`,
 * `postAndRead`); this file adds what only the scenarios need.
 */
export {
  postAndRead,
  type SendOptions,
  type SendReport,
  sendLikeNovaMed,
  type WebhookAnswer,
} from '@novamed-stream/testkit';

/** Progress of a running load, for scenarios that act at a given point. */
export class Progress {
  count = 0;
  readonly #waiters: Array<{ at: number; resolve: () => void }> = [];

  /** Counts one; resolves the waiters whose mark is reached. */
  tick = (): void => {
    this.count++;
    for (const waiter of [...this.#waiters]) {
      if (this.count >= waiter.at) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };

  /** Resolves once the count reaches `at`. */
  reach(at: number): Promise<void> {
    if (this.count >= at) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ at, resolve }));
  }
}
