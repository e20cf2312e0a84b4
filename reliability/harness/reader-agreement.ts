import { decodeEvent } from '@novamed-stream/events';
import type { TopicMessage } from '@novamed-stream/testkit';
import type { ReaderField, ReaderLine, ReaderRun } from './foreign-readers.js';

/** One message as the Node decoder (`decodeEvent`, what the projectors run) reads it. */
export type NodeView = Omit<ReaderLine, 'partition' | 'offset'>;

function field(envelope: unknown, name: string): ReaderField {
  if (envelope === null || typeof envelope !== 'object' || Array.isArray(envelope)) return null;
  const value = (envelope as Record<string, unknown>)[name];
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : { nonString: true };
}

/** The key, event_id and event_type of a message as `decodeEvent` sees them. */
export function nodeView(message: TopicMessage): NodeView {
  const decoded = decodeEvent(message.value);
  if (!decoded.ok && decoded.reason === 'INVALID_JSON') {
    return { key: message.key, event_id: null, event_type: null, error: 'INVALID_JSON' };
  }
  // An envelope decodeEvent refused is still parsed JSON: compare what it holds.
  const envelope =
    'envelope' in decoded ? decoded.envelope : JSON.parse(message.value.toString('utf8'));
  return {
    key: message.key,
    event_id: field(envelope, 'event_id'),
    event_type: field(envelope, 'event_type'),
    error: null,
  };
}

/** How one foreign reader's lines compare with the Node decoder, message by message. */
export interface ReaderAgreement {
  reader: string;
  /** The reader finished its read (else `detail` says why, and nothing else is meaningful). */
  ran: boolean;
  detail: string;
  lines: number;
  /** Messages the reader could not parse, as `label: error`. */
  parseFailures: string[];
  /** Messages where key, event_id or event_type differ, as `label: field`. */
  disagreements: string[];
  /** Messages on the topic the reader printed no line for, and lines for no such message. */
  missing: number;
  extra: number;
  seconds: number;
}

const same = (a: ReaderField, b: ReaderField) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Compares a foreign reader's run with the Node decoder's view of the same messages: every
 * message must be there, parsed, and agree on key, event_id and event_type. `label` names a
 * message for the notes (its case, never its content).
 */
export function compareWithNode(
  run: ReaderRun,
  messages: readonly TopicMessage[],
  views: ReadonlyMap<TopicMessage, NodeView>,
  label: (message: TopicMessage) => string,
): ReaderAgreement {
  const base = {
    reader: run.reader,
    parseFailures: [] as string[],
    disagreements: [] as string[],
    missing: 0,
    extra: 0,
  };
  switch (run.ok) {
    case false:
      return { ...base, ran: false, detail: `${run.reason}: ${run.detail}`, lines: 0, seconds: 0 };
    case true:
      break;
    default: {
      const never: never = run;
      throw new Error(`unexpected reader run ${JSON.stringify(never)}`);
    }
  }
  const byPosition = new Map(run.lines.map((l) => [`${l.partition}:${l.offset}`, l]));
  const agreement: ReaderAgreement = {
    ...base,
    ran: true,
    detail: '',
    lines: run.lines.length,
    seconds: run.seconds,
  };
  for (const message of messages) {
    const position = `${message.partition}:${message.offset}`;
    const line = byPosition.get(position);
    byPosition.delete(position);
    if (!line) {
      agreement.missing++;
      continue;
    }
    const node = views.get(message);
    if (line.error !== null) {
      agreement.parseFailures.push(`${label(message)}: ${line.error}`);
      continue;
    }
    if (!node || node.error !== null) continue;
    const differ = (['key', 'event_id', 'event_type'] as const).filter(
      (f) => !same(line[f], node[f]),
    );
    if (differ.length > 0) agreement.disagreements.push(`${label(message)}: ${differ.join(', ')}`);
  }
  agreement.extra = byPosition.size;
  return agreement;
}
