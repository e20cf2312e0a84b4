import {
  classifyKafkaConnectionError,
  isSettingFailure,
  type KafkaConnectionFailure,
} from './classify-kafka-connection-error.js';
import { createKafka, type KafkaOptions } from './create-kafka.js';

/** Outcome of {@link checkKafkaConnection}. */
export type KafkaConnectionCheck = { ok: true } | ({ ok: false } & KafkaConnectionFailure);

/** Thrown by {@link requireKafkaConnection}; `message` names the variable to fix. */
export class KafkaConnectionError extends Error {
  override readonly name = 'KafkaConnectionError';
  constructor(readonly failure: KafkaConnectionFailure) {
    super(failure.message);
  }
}

/** Longest boot check by default: a plain-text client against a TLS listener may just hang. */
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Connects once to the brokers with the given connection settings (TLS handshake, SASL
 * authentication, one metadata request) with short timeouts and few retries, so a wrong
 * password, an untrusted certificate or a TLS/plain-text mismatch is known within seconds at
 * boot instead of as retries forever. Uses its own client (the caller's keeps its own retries).
 */
export async function checkKafkaConnection(
  options: Omit<KafkaOptions, 'retry' | 'logger'> & { timeoutMs?: number },
): Promise<KafkaConnectionCheck> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const kafka = createKafka({
    ...options,
    connectionTimeoutMs: options.connectionTimeoutMs ?? 3000,
    requestTimeoutMs: options.requestTimeoutMs ?? 5000,
    authenticationTimeoutMs: options.authenticationTimeoutMs ?? 5000,
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1000 },
  });
  const admin = kafka.admin({ retry: { retries: 1, initialRetryTime: 200, maxRetryTime: 500 } });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`no answer within ${timeoutMs} ms (timed out)`);
      error.name = 'KafkaBootTimeout';
      reject(error);
    }, timeoutMs);
  });
  try {
    await Promise.race([
      (async () => {
        await admin.connect();
        await admin.describeCluster();
      })(),
      deadline,
    ]);
    return { ok: true };
  } catch (error) {
    return {
      ok: false,
      ...classifyKafkaConnectionError(error, options.connection, options.brokers),
    };
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * {@link checkKafkaConnection} at boot: throws a {@link KafkaConnectionError} when a setting is
 * wrong (refused password, untrusted certificate, TLS/plain-text mismatch). A broker that is
 * merely unreachable is left to the caller's own waiting and retries.
 */
export async function requireKafkaConnection(
  options: Parameters<typeof checkKafkaConnection>[0],
): Promise<void> {
  const check = await checkKafkaConnection(options);
  if (!check.ok && isSettingFailure(check)) {
    const { ok: _ok, ...failure } = check;
    throw new KafkaConnectionError(failure);
  }
}
