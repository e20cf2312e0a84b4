import type { CanaryEvent, CanaryFeed } from '../../harness/canary.js';
import type { RawRequest } from '../../harness/hostile-http.js';
import {
  bytes,
  type Case,
  type Group,
  type Json,
  type Outcome,
  PATH,
  type QuarantinedCode,
  text,
} from './bad-input-case.js';

/**
 * The cases being built: fresh canary events, the API key, and helpers that add one case each.
 * Every case gets its own canary event, so every body (and every accepted event id) is distinct.
 */
export class CaseTable {
  readonly cases: Case[] = [];
  constructor(
    private readonly feed: CanaryFeed,
    readonly key: string,
  ) {}

  /** The next canary event (of `kind`, when given). */
  fresh(kind?: CanaryEvent['kind']): CanaryEvent {
    for (;;) {
      const [event] = this.feed.take(1);
      if (!event) throw new Error('no event');
      if (kind === undefined || event.kind === kind) return event;
    }
  }

  clone(event: CanaryEvent): Json {
    return structuredClone(event.event) as unknown as Json;
  }

  /** JSON headers with the key `k` (`null`: no x-api-key header at all). */
  jsonHeaders(k: string | Buffer | null = this.key): Array<[string, string | Buffer]> {
    return [
      ['content-type', 'application/json'],
      ...(k === null ? [] : [['x-api-key', k] as [string, string | Buffer]]),
    ];
  }

  add(c: Omit<Case, 'authenticated'> & { authenticated?: boolean }): void {
    this.cases.push({ authenticated: true, ...c });
  }

  /** An authenticated JSON body that must be answered 200 and stored as `eventId`. */
  accepted(
    group: Group,
    name: string,
    body: Buffer,
    eventId: string,
    extra: Partial<RawRequest> = {},
  ): void {
    this.add({
      group,
      name,
      request: { path: PATH, headers: this.jsonHeaders(), body, ...extra },
      status: 200,
      code: undefined,
      acceptedEventId: eventId,
    });
  }

  /** An authenticated JSON body that must be answered 400 `code`, quarantined, never stored. */
  rejected(group: Group, name: string, body: Buffer, code: QuarantinedCode): void {
    this.add({
      group,
      name,
      request: { path: PATH, headers: this.jsonHeaders(), body },
      status: 400,
      code,
    });
  }

  /** `rejected`, or `accepted` with `eventId` when the outcome is `stored`. */
  withOutcome(group: Group, name: string, body: Buffer, eventId: string, outcome: Outcome): void {
    if (outcome === 'stored') this.accepted(group, name, body, eventId);
    else this.rejected(group, name, body, outcome);
  }

  /** A fresh event changed by `change`, serialised. */
  mutated(change: (o: Json) => void, kind?: CanaryEvent['kind']) {
    const event = this.fresh(kind);
    const o = this.clone(event);
    change(o);
    return { body: text(JSON.stringify(o)), eventId: event.eventId };
  }

  /** A fresh event's JSON with `insert` spliced in after the first `anchor`. */
  spliced(anchor: string, insert: string): Buffer {
    const json = this.fresh().body;
    const at = json.indexOf(anchor);
    if (at < 0) throw new Error(`anchor ${anchor} not found`);
    const cut = at + anchor.length;
    return text(`${json.slice(0, cut)}${insert}${json.slice(cut)}`);
  }

  /** A fresh event's JSON with `raw` bytes at the end of its last string value. */
  inLastString(raw: number[]): Buffer {
    const json = this.fresh().body;
    // A canary body ends with data's last member, a string: `..."}}`.
    if (!json.endsWith('"}}')) throw new Error('the canary body does not end with a string');
    return bytes(json.slice(0, -3), raw, '"}}');
  }
}
