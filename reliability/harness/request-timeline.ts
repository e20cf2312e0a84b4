/**
 * When the requests of a load started and got their answers, so a scenario can count the
 * requests around a fault: pass `started` into the sender's `url()` (called as each request
 * starts) and `answered` as its `onAnswer`. Times are the clock's (default performance.now()).
 */
export class RequestTimeline {
  readonly #now: () => number;
  readonly #starts: number[] = [];
  readonly #answers: Array<{ at: number; status: number }> = [];

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** The clock this timeline uses (to mark a fault's start and end). */
  now(): number {
    return this.#now();
  }

  /** Marks a request as started now. */
  started = (): void => {
    this.#starts.push(this.#now());
  };

  /** Marks a request as answered now, with its status (0: no answer). */
  answered = (answer: { status: number }): void => {
    this.#answers.push({ at: this.#now(), status: answer.status });
  };

  /** Requests started by `at` and not answered before it. */
  inFlightAt(at: number): number {
    return this.overlapping(at, at);
  }

  /**
   * Requests in flight at some moment of `[from, to]`: started by `to` and not answered before
   * `from` (one answered before `from` also started before it, so the difference counts).
   */
  overlapping(from: number, to: number): number {
    const started = this.#starts.filter((t) => t <= to).length;
    const doneBefore = this.#answers.filter((a) => a.at < from).length;
    return started - doneBefore;
  }

  /** Answers that came in `[from, to]`, by status (`0`: none, e.g. a reset connection). */
  answersBetween(from: number, to: number): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { at, status } of this.#answers) {
      if (at >= from && at <= to) counts[status] = (counts[status] ?? 0) + 1;
    }
    return counts;
  }
}
