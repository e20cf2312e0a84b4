import type { StackSecurity } from './stack-security.js';

/** What {@link stackClientEnv} needs of a running stack. */
export interface StackEndpoints {
  kafkaBrokers: readonly string[];
  databaseUrl: string;
  security: StackSecurity;
}

/**
 * The environment a service (or the CLI) needs to reach the stack: KAFKA_BROKERS and
 * DATABASE_URL, and with `sasl_ssl` the secured-connection variables of README.md's table: the
 * CA file, SCRAM-SHA-512 with a password file (never the password itself), and DATABASE_URL
 * with `sslmode=verify-full` plus DATABASE_CA_FILE.
 */
export function stackClientEnv(stack: StackEndpoints): Record<string, string> {
  const security = stack.security;
  switch (security.kind) {
    case 'plaintext':
      return { KAFKA_BROKERS: stack.kafkaBrokers.join(','), DATABASE_URL: stack.databaseUrl };
    case 'sasl_ssl': {
      // The stack's own URL names the CA in `sslrootcert` (for psql); services get the CA as
      // DATABASE_CA_FILE, the variable a user sets for a server of their own.
      const url = new URL(stack.databaseUrl);
      url.searchParams.delete('sslrootcert');
      url.searchParams.set('sslmode', 'verify-full');
      return {
        KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        KAFKA_SSL_CA_FILE: security.caFile,
        KAFKA_SASL_MECHANISM: security.sasl.mechanism,
        KAFKA_SASL_USERNAME: security.sasl.username,
        KAFKA_SASL_PASSWORD_FILE: security.sasl.passwordFile,
        DATABASE_URL: url.toString(),
        DATABASE_CA_FILE: security.caFile,
      };
    }
    default:
      return assertNever(security);
  }
}

function assertNever(value: never): never {
  throw new Error(`unknown stack security ${JSON.stringify(value)}`);
}
