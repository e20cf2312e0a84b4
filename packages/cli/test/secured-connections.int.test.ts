import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { createDb } from '@novamed-stream/db';
import {
  findRepoRoot,
  type GeneratedCertificates,
  generateCertificates,
  type KafkaBroker,
  type PostgresServer,
} from '@novamed-stream/devstack';
import { readProjectorServiceEnv, runProjectorService } from '@novamed-stream/projection';
import { ordersProjector } from '@novamed-stream/projectors';
import {
  checkKafkaConnection,
  createLogger,
  KafkaConnectionEnv,
  pollUntil,
  readEnv,
  resolveKafkaConnection,
} from '@novamed-stream/service-kit';
import { startDedicatedBroker, startDedicatedPostgres, testStack } from '@novamed-stream/testkit';
import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from './run-command.js';

const silentLogger = () => createLogger({ service: 'secured-connections-test', level: 'silent' });

const USER = { name: 'app', password: 'app-secret-password' };
let certs: GeneratedCertificates;
let broker: KafkaBroker;
let postgres: PostgresServer;

beforeAll(async () => {
  certs = await generateCertificates(await mkdtemp(join(testStack().dataRoot, 'certs-')));
  [broker, postgres] = await Promise.all([
    startDedicatedBroker({
      saslSsl: {
        keyAndCertFile: certs.serverKeyAndCertFile,
        trustedCaFile: certs.caFile,
        clientAuth: 'required',
        users: [USER],
      },
    }),
    startDedicatedPostgres({
      tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile },
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([broker?.stop(), postgres?.stop()]);
});

/** The connection the kit resolves from these variables (as every service and the CLI do). */
function connectionOf(env: Record<string, string>) {
  const read = readEnv(Type.Object(KafkaConnectionEnv), env);
  if (!read.ok) throw new Error(read.errors.join('; '));
  const resolved = resolveKafkaConnection(read.env);
  if (!resolved.ok) throw new Error(resolved.errors.join('; '));
  return resolved.connection;
}

function securedEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_SSL_CA_FILE: certs.caFile,
    KAFKA_SSL_CERT_FILE: certs.clientCertFile,
    KAFKA_SSL_KEY_FILE: certs.clientKeyFile,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: USER.name,
    KAFKA_SASL_PASSWORD: USER.password,
    ...overrides,
  };
}

async function timedCheck(brokers: string[], env: Record<string, string> | undefined) {
  const started = Date.now();
  const check = await checkKafkaConnection({
    clientId: 'secured-connections-test',
    brokers,
    ...(env ? { connection: connectionOf(env) } : {}),
  });
  return { check, ms: Date.now() - started };
}

describe('the kit against a SASL_SSL broker', () => {
  it.each(['scram-sha-512', 'scram-sha-256', 'plain'])(
    'connects with TLS, mTLS and %s',
    async (mechanism) => {
      const { check } = await timedCheck(
        broker.saslSslBrokers,
        securedEnv({ KAFKA_SASL_MECHANISM: mechanism }),
      );
      expect(check).toEqual({ ok: true });
    },
  );

  it('names KAFKA_SASL_PASSWORD within seconds when the broker refuses it', async () => {
    const { check, ms } = await timedCheck(
      broker.saslSslBrokers,
      securedEnv({ KAFKA_SASL_PASSWORD: 'wrong-password' }),
    );
    expect(check).toMatchObject({ ok: false, reason: 'SASL_REFUSED' });
    expect(check.ok ? '' : check.message).toMatch(/^KAFKA_SASL_PASSWORD was refused by the broker/);
    expect(check.ok ? '' : check.message).not.toContain('wrong-password');
    expect(ms).toBeLessThan(10_000);
  });

  it('names KAFKA_SSL_CA_FILE within seconds when it does not verify the broker', async () => {
    const { check, ms } = await timedCheck(
      broker.saslSslBrokers,
      securedEnv({ KAFKA_SSL_CA_FILE: certs.otherCaFile }),
    );
    expect(check).toMatchObject({ ok: false, reason: 'TLS_UNTRUSTED' });
    expect(check.ok ? '' : check.message).toMatch(
      /^KAFKA_SSL_CA_FILE does not verify the broker's certificate/,
    );
    expect(ms).toBeLessThan(10_000);
  });

  it('names the client certificate variables when the broker requires mutual TLS', async () => {
    const {
      KAFKA_SSL_CERT_FILE: _cert,
      KAFKA_SSL_KEY_FILE: _key,
      ...withoutClientCert
    } = securedEnv();
    const { check, ms } = await timedCheck(broker.saslSslBrokers, withoutClientCert);
    expect(check).toMatchObject({ ok: false, reason: 'TLS_CLIENT_CERT_REFUSED' });
    expect(check.ok ? '' : check.message).toContain('KAFKA_SSL_CERT_FILE');
    expect(ms).toBeLessThan(10_000);
  });

  it('says a plain-text client reached a TLS listener, within seconds', async () => {
    const { check, ms } = await timedCheck(broker.saslSslBrokers, undefined);
    expect(check).toMatchObject({ ok: false, reason: 'TLS_REQUIRED' });
    expect(check.ok ? '' : check.message).toContain('KAFKA_SSL=true');
    expect(ms).toBeLessThan(12_000);
  });
});

describe('createDb against a Postgres with TLS', () => {
  const select = async (url: string, caFile?: string) => {
    const db = createDb({
      connectionString: url,
      maxConnections: 1,
      ...(caFile ? { caFile } : {}),
    });
    try {
      const result = await sql<{
        ssl: boolean;
      }>`select ssl from pg_stat_ssl where pid = pg_backend_pid()`.execute(db);
      return result.rows[0]?.ssl;
    } finally {
      await db.destroy();
    }
  };

  it('connects with sslmode=verify-full and DATABASE_CA_FILE', async () => {
    expect(await select(`${postgres.url}?sslmode=verify-full`, certs.caFile)).toBe(true);
  });

  it('refuses a server whose certificate the CA file does not verify', async () => {
    await expect(select(`${postgres.url}?sslmode=verify-full`, certs.otherCaFile)).rejects.toThrow(
      /self-signed certificate|unable to verify/i,
    );
  });
});

/** Runs the ingress entry point's `ensure-topics` (boot check, then the topics) with `env`. */
function runIngressEnsureTopics(env: Record<string, string>) {
  const started = Date.now();
  return new Promise<{ code: number | null; output: string; ms: number }>((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=source', 'services/ingress/src/main.ts', 'ensure-topics'],
      {
        cwd: findRepoRoot(),
        env: {
          PATH: process.env['PATH'],
          HOME: process.env['HOME'],
          KAFKAJS_NO_PARTITIONER_WARNING: '1',
          WEBHOOK_API_KEYS: 'a-test-key-of-sixteen-chars',
          TOPIC_PARTITIONS: '1',
          LOG_LEVEL: 'info',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output, ms: Date.now() - started }));
  });
}

describe('the ingress, a projector and the CLI through TLS and SASL', () => {
  const servicesEnv = (overrides: Record<string, string> = {}) =>
    securedEnv({
      KAFKA_BROKERS: broker.saslSslBrokers.join(','),
      DATABASE_URL: `${postgres.url}?sslmode=verify-full`,
      DATABASE_CA_FILE: certs.caFile,
      ...overrides,
    });

  it('the ingress creates its topics through SASL_SSL, and exits 1 naming a refused password', async () => {
    const ok = await runIngressEnsureTopics(servicesEnv());
    expect(ok.output).not.toContain(USER.password);
    expect(ok.code, ok.output).toBe(0);
    const refused = await runIngressEnsureTopics(
      servicesEnv({ KAFKA_SASL_PASSWORD: 'not-the-password' }),
    );
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('KAFKA_SASL_PASSWORD was refused by the broker');
    expect(refused.output).not.toContain('not-the-password');
    expect(refused.ms).toBeLessThan(20_000);
  });

  it('the ingress exits 1 naming KAFKA_SSL_CA_FILE, and plain text against TLS', async () => {
    const wrongCa = await runIngressEnsureTopics(
      servicesEnv({ KAFKA_SSL_CA_FILE: certs.otherCaFile }),
    );
    expect(wrongCa.code).toBe(1);
    expect(wrongCa.output).toContain("KAFKA_SSL_CA_FILE does not verify the broker's certificate");
    const plain = await runIngressEnsureTopics({ KAFKA_BROKERS: broker.saslSslBrokers.join(',') });
    expect(plain.code).toBe(1);
    expect(plain.output).toContain('KAFKA_SSL=true');
    expect(plain.ms).toBeLessThan(25_000);
  });

  it('a projector runs through SASL_SSL and TLS Postgres; a wrong CA stops its boot', async () => {
    const service = await runProjectorService(
      ordersProjector,
      readProjectorServiceEnv(servicesEnv(), { HEALTH_PORT: 0 }),
      { logger: silentLogger() },
    );
    try {
      // Healthy once its consumer has joined the group through SASL_SSL.
      const healthy = await pollUntil(
        async () => {
          const health = await fetch(`${service.healthUrl}/healthz`);
          return health.status === 200
            ? { status: 'done', value: true }
            : { status: 'wait', reason: `healthz ${health.status}` };
        },
        { timeoutMs: 20_000, intervalMs: 200 },
      );
      expect(healthy).toMatchObject({ ok: true });
    } finally {
      await service.stop();
    }
    const wrongKafkaCa = readProjectorServiceEnv(
      servicesEnv({ KAFKA_SSL_CA_FILE: certs.otherCaFile }),
      { HEALTH_PORT: 0 },
    );
    await expect(
      runProjectorService(ordersProjector, wrongKafkaCa, { logger: silentLogger() }),
    ).rejects.toThrow(/^KAFKA_SSL_CA_FILE does not verify/);
    const wrongDbCa = readProjectorServiceEnv(
      servicesEnv({ DATABASE_CA_FILE: certs.otherCaFile }),
      { HEALTH_PORT: 0 },
    );
    await expect(
      runProjectorService(ordersProjector, wrongDbCa, { logger: silentLogger() }),
    ).rejects.toThrow(/^DATABASE_CA_FILE does not verify/);
  });

  it('the CLI reads the status through both, and names a refused password', async () => {
    const ok = await runCommand(['status', '--json'], { env: servicesEnv() });
    expect(ok.code, `${ok.stdout}${ok.stderr}`).toBe(0);
    const refused = await runCommand(['status', '--json'], {
      env: servicesEnv({ KAFKA_SASL_PASSWORD: 'not-the-password' }),
    });
    expect(refused.code).toBe(1);
    expect(`${refused.stdout}${refused.stderr}`).toContain(
      'KAFKA_SASL_PASSWORD was refused by the broker',
    );
    const wrongDbCa = await runCommand(['status', '--json'], {
      env: servicesEnv({ DATABASE_CA_FILE: certs.otherCaFile }),
    });
    expect(wrongDbCa.code).toBe(1);
    expect(`${wrongDbCa.stdout}${wrongDbCa.stderr}`).toContain('DATABASE_CA_FILE does not verify');
  });
});
