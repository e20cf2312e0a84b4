import { EnvType, readEnv } from '@novamed-stream/service-kit';
import { type Static, Type } from '@sinclair/typebox';
import { isUuid } from './uuid.js';
import { checkWebhookUrl } from './webhook-url.js';

const int = (minimum: number, maximum: number, fallback: number, description: string) =>
  EnvType.integer(minimum, maximum, { default: fallback, description });
const share = (description: string) => EnvType.number(0, 1, { default: 0, description });
const secret = (description: string) =>
  EnvType.string({ minLength: MIN_SECRET_LENGTH, description });

/** Shortest accepted key or secret. */
export const MIN_SECRET_LENGTH = 16;

/** The clinic of the guide's examples: what `REGISTER_CLINIC_IDS` defaults to. */
export const GUIDE_CLINIC_ID = '550e8400-e29b-41d4-a716-446655440000';

/**
 * The sandbox's environment variables, their rules and defaults (README.md lists the same).
 * Only `main.ts` reads `process.env`, through {@link loadConfig}.
 */
export const EnvSchema = Type.Object({
  PORT: EnvType.port({ allowZero: true, default: 8090, description: 'TCP port to listen on' }),
  HOST: EnvType.string({ default: '0.0.0.0', description: 'interface to bind' }),
  SANDBOX_API_KEY: secret(
    `the partner API key clients send in x-api-key (>= ${MIN_SECRET_LENGTH} chars)`,
  ),
  SANDBOX_WEBHOOK_SECRET: secret(
    `the secret sent in x-api-key with each delivery (>= ${MIN_SECRET_LENGTH} chars)`,
  ),
  TIME_SCALE: Type.Number({
    exclusiveMinimum: 0,
    maximum: 10,
    default: 1,
    description: 'multiplies the retry delays (1 min, 5 min, 15 min, 1 h)',
    expected: 'a number above 0, at most 10',
  }),
  DELIVERY_TIMEOUT_MS: int(100, 60_000, 5000, 'per-attempt timeout'),
  MAX_CONCURRENT_DELIVERIES: int(1, 1000, 64, 'attempts in flight at once'),
  MAX_CONCURRENT_DELIVERIES_PER_WEBHOOK: int(1, 1000, 32, 'attempts in flight to one webhook'),
  DELIVERY_LOG_SIZE: int(100, 1_000_000, 10_000, 'finished deliveries kept in the log'),
  MAX_WEBHOOKS_PER_CLINIC: int(1, 100, 10, 'webhooks one clinic may register'),
  REQUIRE_HTTPS: EnvType.boolean({ default: false, description: 'refuse http: webhook URLs' }),
  SUMMARY_INTERVAL_SECONDS: int(0, 86_400, 30, 'log the delivery summary line this often (0: off)'),
  LOG_LEVEL: EnvType.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
  }),
  REGISTER_WEBHOOK_URL: Type.Optional(
    EnvType.string({ description: 'register this webhook at start-up' }),
  ),
  REGISTER_CLINIC_IDS: EnvType.string({
    minLength: 36,
    default: GUIDE_CLINIC_ID,
    description: 'comma-separated clinic UUIDs for REGISTER_WEBHOOK_URL',
  }),
  STREAM_RATE: EnvType.number(0, 10_000, {
    default: 0,
    description: 'start an endless generation run at start-up, events/s (0: no)',
  }),
  STREAM_SEED: Type.Optional(EnvType.integer(0, 4_294_967_295)),
  STREAM_DUPLICATE_RATE: share('share of streamed events delivered twice'),
  STREAM_OUT_OF_ORDER_RATE: share('share of streamed events delivered after their successor'),
});

/** The validated environment. */
export type Env = Static<typeof EnvSchema>;

/** Everything the sandbox process needs. */
export interface SandboxConfig {
  port: number;
  host: string;
  apiKey: string;
  webhookSecret: string;
  timeScale: number;
  deliveryTimeoutMs: number;
  maxConcurrentDeliveries: number;
  maxConcurrentDeliveriesPerWebhook: number;
  deliveryLogSize: number;
  maxWebhooksPerClinic: number;
  requireHttps: boolean;
  summaryIntervalSeconds: number;
  logLevel: string;
  /** Registered at start-up for every clinic of `clinicIds`. */
  register: { webhookUrl: string; clinicIds: string[] } | undefined;
  /** An endless run started at start-up. */
  stream:
    | { rate: number; seed: number | undefined; duplicateRate: number; outOfOrderRate: number }
    | undefined;
}

/** Outcome of {@link loadConfig}; errors name the variable, never its value. */
export type ConfigResult = { ok: true; config: SandboxConfig } | { ok: false; errors: string[] };

/** Validates an environment (usually `process.env`); empty values count as unset. */
export function loadConfig(environment: Record<string, string | undefined>): ConfigResult {
  const read = readEnv(EnvSchema, environment);
  if (!read.ok) return read;
  const { env } = read;
  const errors: string[] = [];
  if (env.REGISTER_WEBHOOK_URL !== undefined) {
    const checked = checkWebhookUrl(env.REGISTER_WEBHOOK_URL, env.REQUIRE_HTTPS);
    if (!checked.ok) {
      errors.push(
        `REGISTER_WEBHOOK_URL is invalid (${checked.reason === 'HTTPS_REQUIRED' ? 'REQUIRE_HTTPS is set: use https:' : 'an absolute http(s) URL'})`,
      );
    }
  }
  const clinicIds = env.REGISTER_CLINIC_IDS.split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (clinicIds.length === 0 || !clinicIds.every(isUuid)) {
    errors.push('REGISTER_CLINIC_IDS is invalid (comma-separated clinic UUIDs)');
  }
  if (env.STREAM_RATE > 0 && env.REGISTER_WEBHOOK_URL === undefined) {
    errors.push('STREAM_RATE needs REGISTER_WEBHOOK_URL (a run needs a webhook to deliver to)');
  }
  if (errors.length > 0) return { ok: false, errors };

  return {
    ok: true,
    config: {
      port: env.PORT,
      host: env.HOST,
      apiKey: env.SANDBOX_API_KEY,
      webhookSecret: env.SANDBOX_WEBHOOK_SECRET,
      timeScale: env.TIME_SCALE,
      deliveryTimeoutMs: env.DELIVERY_TIMEOUT_MS,
      maxConcurrentDeliveries: env.MAX_CONCURRENT_DELIVERIES,
      maxConcurrentDeliveriesPerWebhook: env.MAX_CONCURRENT_DELIVERIES_PER_WEBHOOK,
      deliveryLogSize: env.DELIVERY_LOG_SIZE,
      maxWebhooksPerClinic: env.MAX_WEBHOOKS_PER_CLINIC,
      requireHttps: env.REQUIRE_HTTPS,
      summaryIntervalSeconds: env.SUMMARY_INTERVAL_SECONDS,
      logLevel: env.LOG_LEVEL,
      register:
        env.REGISTER_WEBHOOK_URL === undefined
          ? undefined
          : { webhookUrl: env.REGISTER_WEBHOOK_URL, clinicIds },
      stream:
        env.STREAM_RATE > 0
          ? {
              rate: env.STREAM_RATE,
              seed: env.STREAM_SEED,
              duplicateRate: env.STREAM_DUPLICATE_RATE,
              outOfOrderRate: env.STREAM_OUT_OF_ORDER_RATE,
            }
          : undefined,
    },
  };
}
