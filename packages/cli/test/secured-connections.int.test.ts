import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { createDb } from '@novamed-stream/db';
import {
  type GeneratedCertificates,
  generateCertificates,
  type KafkaBroker,
  type PostgresServer,
} from '@novamed-stream/devstack';
import {
  checkKafkaConnection,
  KafkaConnectionEnv,
  readEnv,
  resolveKafkaConnection,
} from '@novamed-stream/service-kit';
import { startDedicatedBroker, startDedicatedPostgres, testStack } from '@novamed-stream/testkit';
import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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
