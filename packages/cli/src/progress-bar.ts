import type { OutputStream } from './cli-io.js';
import { formatCount, formatDuration } from './output.js';

/** What one progress line shows. */
export interface ProgressState {
  label: string;
  done: number;
  total: number;
  perSecond: number;
  etaSeconds: number | null;
}

/** The progress line: `orders v2 [#####.....] 45% 54,000/120,000 5,210 msg/s ETA 13s`. */
export function progressLine(state: ProgressState, width = 80): string {
  const fraction = state.total === 0 ? 1 : Math.min(1, state.done / state.total);
  const counts = `${formatCount(state.done)}/${formatCount(state.total)}`;
  const rate = `${formatCount(state.perSecond)} msg/s`;
  const eta =
    fraction >= 1
      ? 'done'
      : `ETA ${state.etaSeconds === null ? '?' : formatDuration(state.etaSeconds)}`;
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const tail = ` ${percent} ${counts}  ${rate}  ${eta}`;
  const barWidth = Math.max(10, Math.min(40, width - state.label.length - tail.length - 4));
  const filled = Math.round(fraction * barWidth);
  return `${state.label} [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]${tail}`;
}

/**
 * Shows progress for people: on a terminal, one line redrawn in place; otherwise a plain line
 * at most every `plainEveryMs` (logs and CI stay readable).
 */
export class ProgressBar {
  #lastPlain = 0;
  #drawn = false;

  constructor(
    private readonly stream: OutputStream,
    private readonly plainEveryMs = 5000,
  ) {}

  update(state: ProgressState): void {
    if (this.stream.isTTY) {
      this.stream.write(`\r\x1b[2K${progressLine(state, this.stream.columns ?? 80)}`);
      this.#drawn = true;
      return;
    }
    const now = Date.now();
    if (now - this.#lastPlain < this.plainEveryMs && state.done < state.total) return;
    this.#lastPlain = now;
    this.stream.write(`${progressLine(state, 200)}\n`);
  }

  /** Ends the redrawn line, so what follows starts on a new one. */
  finish(): void {
    if (this.#drawn) this.stream.write('\n');
    this.#drawn = false;
  }
}
