/**
 * The envelope's identifying strings: they become the Kafka key and headers and Postgres text
 * columns, so they must be plain text. `data.*` fields are checked when they are strings (the
 * routing key uses them: `routingKey`).
 */
export const IDENTIFYING_FIELDS = [
  'event_id',
  'event_type',
  'clinic_id',
  'data.order_id',
  'data.medication_request_id',
  'data.refill_id',
] as const;

/** One of {@link IDENTIFYING_FIELDS}. */
export type IdentifyingField = (typeof IDENTIFYING_FIELDS)[number];

/**
 * The longest identifying value, in bytes of UTF-8. NovaMed's ids are under 64; kafkajs spends
 * seconds of CPU (blocking the event loop) encoding a key or header of a few hundred KiB.
 */
export const IDENTIFIER_MAX_BYTES = 256;

/** C0 controls and DEL: invisible in logs and headers, and U+0000 is refused by Postgres text. */
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** The envelope parts {@link fieldWithControlCharacter} reads. */
export interface IdentifyingEnvelope {
  event_id: string;
  event_type: string;
  clinic_id: string;
  data: Record<string, unknown>;
}

/**
 * The first identifying field (in {@link IDENTIFYING_FIELDS} order) whose value holds a control
 * character, U+0000-U+001F or U+007F (escaped or not in the JSON), or undefined. Non-string
 * `data` ids are left to the routing key's fallback (it ignores them).
 */
export function fieldWithControlCharacter(
  envelope: IdentifyingEnvelope,
): IdentifyingField | undefined {
  return firstField(envelope, hasControlCharacter);
}

/**
 * The first identifying field (in {@link IDENTIFYING_FIELDS} order) whose value is longer than
 * {@link IDENTIFIER_MAX_BYTES} bytes of UTF-8, or undefined.
 */
export function fieldTooLong(envelope: IdentifyingEnvelope): IdentifyingField | undefined {
  // Each UTF-16 unit is at most 3 bytes of UTF-8: only long strings need counting.
  return firstField(
    envelope,
    (value) =>
      value.length * 3 > IDENTIFIER_MAX_BYTES && Buffer.byteLength(value) > IDENTIFIER_MAX_BYTES,
  );
}

function firstField(
  envelope: IdentifyingEnvelope,
  breaks: (value: string) => boolean,
): IdentifyingField | undefined {
  for (const field of IDENTIFYING_FIELDS) {
    const value = field.startsWith('data.')
      ? envelope.data[field.slice('data.'.length)]
      : envelope[field as 'event_id' | 'event_type' | 'clinic_id'];
    if (typeof value === 'string' && breaks(value)) return field;
  }
  return undefined;
}
