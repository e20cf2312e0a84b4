import { EvolveError } from './evolve-error.js';

/**
 * Why a batch (or one message of it) could not be applied, without any payload value: `code`
 * is a SQLSTATE, a Node error code or an error class name, `description` a fixed text.
 *
 * - `TRANSIENT`: the infrastructure failed (connection lost, deadlock, serialization failure,
 *   lock or statement timeout, server shutting down, out of resources). Retry the same batch
 *   later; never blame a message.
 * - `ENVIRONMENT`: the database refuses every batch alike (a missing table, a permission, a
 *   read-only server, an internal error). Retry later too: narrowing would dead-letter every
 *   message of the topic for a fault none of them has.
 * - `MESSAGE`: a value of one message cannot be applied (Postgres refused a value, a stack
 *   overflow on a deep value, the read model's `evolve` threw). Narrow the batch to it.
 * - `UNKNOWN`: anything else. Retried once; if it fails again on the same input the batch is
 *   narrowed like a `MESSAGE` failure.
 */
export type Failure = {
  kind: 'TRANSIENT' | 'ENVIRONMENT' | 'MESSAGE' | 'UNKNOWN';
  code: string;
  description: string;
};

const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'EAI_AGAIN',
]);

/** SQLSTATEs (outside the transient classes 08 and 53) that mean "try again later". */
const TRANSIENT_SQLSTATES: Record<string, string> = {
  '40001': 'serialization failure',
  '40P01': 'deadlock detected',
  '40003': 'statement completion unknown',
  '55P03': 'lock not available (lock_timeout)',
  '57014': 'query canceled (statement_timeout)',
  '57P01': 'server shutting down (admin shutdown)',
  '57P02': 'server crashed (crash shutdown)',
  '57P03': 'server cannot accept connections now',
};

/** SQLSTATE classes a single message's values can cause. */
const MESSAGE_CLASSES: Record<string, string> = {
  '22': 'Postgres refused a value (class 22, data exception)',
  '23': 'a value violates a constraint (class 23, integrity constraint violation)',
  '54': 'a value exceeds a Postgres limit (class 54, program limit exceeded)',
};

// pg and pg-pool signal lost or unobtainable connections by message only (no code).
const TRANSIENT_MESSAGES = [
  /Connection terminated/i,
  /Connection ended unexpectedly/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /Client was closed and is not queryable/i,
];

const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * Classifies an error thrown while applying a batch (see {@link Failure}). Pure; looks through
 * `cause` chains and the first of an AggregateError's errors. The result never holds the
 * error's message, which for Postgres errors can quote the offending value.
 */
export function classifyFailure(error: unknown): Failure {
  const chain = causeChain(error);
  for (const e of chain) {
    const failure = classifyOne(e);
    if (failure !== undefined) return failure;
  }
  const name = chain[0] instanceof Error ? chain[0].name : typeof error;
  return {
    kind: 'UNKNOWN',
    code: name.slice(0, 40),
    description: `${name.slice(0, 40)} thrown while applying`,
  };
}

function classifyOne(e: unknown): Failure | undefined {
  if (e instanceof EvolveError) {
    return { kind: 'MESSAGE', code: 'EVOLVE', description: "the read model's evolve threw" };
  }
  if (e instanceof RangeError) {
    // "Maximum call stack size exceeded", "Invalid string length": the value is too big/deep.
    return {
      kind: 'MESSAGE',
      code: 'RangeError',
      description: 'a value too deep or too large to process (RangeError)',
    };
  }
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (TRANSIENT_NODE_CODES.has(code)) {
      return { kind: 'TRANSIENT', code, description: 'database connection failed' };
    }
    if (SQLSTATE.test(code)) return classifySqlState(code);
  }
  if (e instanceof Error && TRANSIENT_MESSAGES.some((m) => m.test(e.message))) {
    return { kind: 'TRANSIENT', code: 'CONNECTION', description: 'database connection lost' };
  }
  return undefined;
}

function classifySqlState(code: string): Failure {
  const known = TRANSIENT_SQLSTATES[code];
  if (known !== undefined) return { kind: 'TRANSIENT', code, description: known };
  const sqlClass = code.slice(0, 2);
  if (sqlClass === '08') {
    return { kind: 'TRANSIENT', code, description: 'connection exception (class 08)' };
  }
  if (sqlClass === '53') {
    return { kind: 'TRANSIENT', code, description: 'insufficient resources (class 53)' };
  }
  const message = MESSAGE_CLASSES[sqlClass];
  if (message !== undefined) return { kind: 'MESSAGE', code, description: message };
  return {
    kind: 'ENVIRONMENT',
    code,
    description: `the database refused the statement (SQLSTATE class ${sqlClass})`,
  };
}

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e: unknown = error; e !== undefined && e !== null && chain.length < 5; ) {
    chain.push(e);
    const errors = (e as { errors?: unknown }).errors;
    const cause = (e as { cause?: unknown }).cause;
    e = cause ?? (Array.isArray(errors) ? errors[0] : undefined);
  }
  return chain;
}
