/** A 32-bit hash of a text (FNV-1a), to derive seeds from names. */
export function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same sequence on every
 * machine, which is what makes a sandbox run reproducible. Not for secrets.
 */
export class Random {
  #state: number;

  /** `seed`: any integer (taken modulo 2^32). */
  constructor(readonly seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** `length` characters drawn from `alphabet` (default lower-case letters and digits). */
  string(length: number, alphabet = LOWER_ALNUM): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.next() * alphabet.length)];
    return out;
  }

  /** `length` decimal digits. */
  digits(length: number): string {
    return this.string(length, '0123456789');
  }

  /**
   * An independent generator derived from this one's seed and a label: drawing from it does not
   * change this sequence, so adding a consumer (e.g. fault injection) leaves the events alone.
   */
  fork(label: string): Random {
    return new Random(hashText(`${this.seed}:${label}`));
  }
}
