import { randomBytes } from 'node:crypto';

/** Options of {@link SessionStore}. */
export interface SessionStoreOptions {
  /** How long a session lasts after sign-in. Default 12 h. */
  ttlMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * Browser sessions of the console, in memory. A sign-in with a valid key gets a random
 * session id (the cookie), so the key itself is sent once and never stored in the browser;
 * restarting the console (e.g. with a rotated key list) ends every session.
 */
export class SessionStore {
  readonly #sessions = new Map<string, number>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: SessionStoreOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 12 * 3_600_000;
    this.#now = options.now ?? Date.now;
  }

  /** A new session id, valid for the TTL. */
  create(): string {
    this.#sweep();
    const id = randomBytes(32).toString('base64url');
    this.#sessions.set(id, this.#now() + this.#ttlMs);
    return id;
  }

  /** True while `id` names a session that has not expired. */
  isValid(id: string | undefined): boolean {
    if (id === undefined) return false;
    const expires = this.#sessions.get(id);
    if (expires === undefined) return false;
    if (expires <= this.#now()) {
      this.#sessions.delete(id);
      return false;
    }
    return true;
  }

  /** Ends a session (sign-out). */
  delete(id: string | undefined): void {
    if (id !== undefined) this.#sessions.delete(id);
  }

  #sweep(): void {
    const now = this.#now();
    for (const [id, expires] of this.#sessions) if (expires <= now) this.#sessions.delete(id);
  }
}
