/**
 * Why a produce call failed, as far as the HTTP answer cares. Every reason means "not
 * acknowledged": the ingress answers 503 and the sender retries.
 */
export type SendFailure = 'TIMEOUT' | 'NOT_ENOUGH_REPLICAS' | 'BROKER_UNAVAILABLE' | 'REJECTED';

const TIMEOUT_NAMES = new Set(['KafkaJSRequestTimeoutError', 'SendTimeoutError']);
const TIMEOUT_TYPES = new Set(['REQUEST_TIMED_OUT']);
const REPLICA_TYPES = new Set(['NOT_ENOUGH_REPLICAS', 'NOT_ENOUGH_REPLICAS_AFTER_APPEND']);
const REJECTED_TYPES = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
]);

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

/**
 * Classifies an error thrown by a kafkajs produce call. kafkajs wraps the broker's error
 * (`KafkaJSProtocolError` with a `type`) in `KafkaJSNumberOfRetriesExceeded` /
 * `KafkaJSNonRetriableError`, so the `cause` / `originalError` chain is searched. Anything
 * unrecognised counts as `BROKER_UNAVAILABLE`.
 */
export function classifySendError(error: unknown): SendFailure {
  let current: unknown = error;
  let timedOut = false;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    const type = field(current, 'type');
    const name = field(current, 'name');
    if (typeof type === 'string') {
      if (REPLICA_TYPES.has(type)) return 'NOT_ENOUGH_REPLICAS';
      if (REJECTED_TYPES.has(type)) return 'REJECTED';
      if (TIMEOUT_TYPES.has(type)) timedOut = true;
    }
    if (typeof name === 'string' && TIMEOUT_NAMES.has(name)) timedOut = true;
    current = field(current, 'cause') ?? field(current, 'originalError');
  }
  return timedOut ? 'TIMEOUT' : 'BROKER_UNAVAILABLE';
}
