import { randomUUID } from 'node:crypto';

/** A registered webhook, as the guide's registration response shows it. */
export interface Webhook {
  readonly webhook_id: string;
  readonly webhook_url: string;
  readonly clinic_id: string;
  readonly created_at: string;
}

/** Outcome of {@link WebhookRegistry.register}. */
export type RegisterOutcome =
  | { ok: true; webhook: Webhook }
  | { ok: false; reason: 'ALREADY_REGISTERED'; webhook: Webhook }
  | { ok: false; reason: 'LIMIT_REACHED'; limit: number };

/** Outcome of {@link WebhookRegistry.remove}. */
export type RemoveOutcome = { ok: true; webhook: Webhook } | { ok: false; reason: 'NOT_FOUND' };

/** Options of {@link WebhookRegistry}. */
export interface WebhookRegistryOptions {
  /** Most webhooks one clinic may register. Default 10. */
  maxPerClinic?: number;
  newId?: () => string;
  now?: () => Date;
}

/** The webhooks registered per clinic (in memory: the sandbox forgets them on restart). */
export class WebhookRegistry {
  readonly #byClinic = new Map<string, Webhook[]>();
  readonly #maxPerClinic: number;
  readonly #newId: () => string;
  readonly #now: () => Date;

  constructor(options: WebhookRegistryOptions = {}) {
    this.#maxPerClinic = options.maxPerClinic ?? 10;
    this.#newId = options.newId ?? randomUUID;
    this.#now = options.now ?? (() => new Date());
  }

  /** Registers `url` for `clinicId`; the same URL twice for one clinic is refused. */
  register(clinicId: string, url: string): RegisterOutcome {
    const hooks = this.#byClinic.get(clinicId) ?? [];
    const existing = hooks.find((hook) => hook.webhook_url === url);
    if (existing !== undefined)
      return { ok: false, reason: 'ALREADY_REGISTERED', webhook: existing };
    if (hooks.length >= this.#maxPerClinic) {
      return { ok: false, reason: 'LIMIT_REACHED', limit: this.#maxPerClinic };
    }
    const webhook: Webhook = {
      webhook_id: this.#newId(),
      webhook_url: url,
      clinic_id: clinicId,
      created_at: this.#now().toISOString(),
    };
    this.#byClinic.set(clinicId, [...hooks, webhook]);
    return { ok: true, webhook };
  }

  /** Deletes webhook `webhookId` of `clinicId` (a webhook of another clinic is not found). */
  remove(clinicId: string, webhookId: string): RemoveOutcome {
    const hooks = this.#byClinic.get(clinicId) ?? [];
    const webhook = hooks.find((hook) => hook.webhook_id === webhookId);
    if (webhook === undefined) return { ok: false, reason: 'NOT_FOUND' };
    const rest = hooks.filter((hook) => hook !== webhook);
    if (rest.length === 0) this.#byClinic.delete(clinicId);
    else this.#byClinic.set(clinicId, rest);
    return { ok: true, webhook };
  }

  /** The webhooks of one clinic, oldest first. */
  forClinic(clinicId: string): readonly Webhook[] {
    return this.#byClinic.get(clinicId) ?? [];
  }

  /** Clinics with at least one webhook. */
  clinics(): string[] {
    return [...this.#byClinic.keys()];
  }

  /** Every webhook, by clinic then age. */
  list(): Webhook[] {
    return [...this.#byClinic.values()].flat();
  }

  /** How many webhooks are registered. */
  get size(): number {
    let count = 0;
    for (const hooks of this.#byClinic.values()) count += hooks.length;
    return count;
  }
}
