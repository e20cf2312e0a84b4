import { describe, expect, it } from 'vitest';
import { classifyFailure, describeError, EvolveError } from '../src/index.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('classifyFailure', () => {
  it.each([
    ['ECONNREFUSED'],
    ['ECONNRESET'],
    ['08006'],
    ['08001'],
    ['40001'],
    ['40P01'],
    ['57P01'],
    ['57P02'],
    ['57P03'],
    ['53300'],
    ['53100'],
    ['55P03'],
    ['57014'],
  ])('%s is transient', (code) => {
    expect(classifyFailure(withCode(code))).toMatchObject({ kind: 'TRANSIENT', code });
  });

  it.each([
    ['Connection terminated unexpectedly'],
    ['timeout exceeded when trying to connect'],
    ['Client has encountered a connection error and is not queryable'],
  ])('pg/pg-pool "%s" (no code) is transient', (message) => {
    expect(classifyFailure(new Error(message)).kind).toBe('TRANSIENT');
  });

  it.each([['22P02'], ['22021'], ['22P05'], ['22001'], ['23502'], ['54001']])(
    '%s is a message fault',
    (code) => {
      expect(classifyFailure(withCode(code))).toMatchObject({ kind: 'MESSAGE', code });
    },
  );

  it.each([['42P01'], ['42501'], ['3D000'], ['28P01'], ['25006'], ['XX000'], ['0A000']])(
    '%s is the environment, never a message',
    (code) => {
      expect(classifyFailure(withCode(code))).toMatchObject({ kind: 'ENVIRONMENT', code });
    },
  );

  it('a stack overflow and a throwing evolve are message faults', () => {
    let overflow: unknown;
    const deep = (n: number): number => deep(n + 1) + 1;
    try {
      deep(0);
    } catch (error) {
      overflow = error;
    }
    expect(overflow).toBeInstanceOf(RangeError);
    expect(classifyFailure(overflow)).toMatchObject({ kind: 'MESSAGE', code: 'RangeError' });
    expect(classifyFailure(new EvolveError(new TypeError('boom')))).toMatchObject({
      kind: 'MESSAGE',
      code: 'EVOLVE',
    });
  });

  it('anything else is unknown (retried once, then narrowed)', () => {
    expect(classifyFailure(new TypeError('x is undefined'))).toMatchObject({
      kind: 'UNKNOWN',
      code: 'TypeError',
    });
    expect(classifyFailure('a string')).toMatchObject({ kind: 'UNKNOWN' });
    expect(classifyFailure(undefined)).toMatchObject({ kind: 'UNKNOWN' });
  });

  it('looks through cause chains and AggregateErrors', () => {
    expect(classifyFailure(new Error('wrap', { cause: withCode('40P01') })).kind).toBe('TRANSIENT');
    expect(classifyFailure(new AggregateError([withCode('ECONNREFUSED')], 'all failed')).kind).toBe(
      'TRANSIENT',
    );
  });

  it('never carries the driver message (it can quote the value)', () => {
    const phi = 'Jane Doe, 12 Main Street';
    const error = withCode('22P02', `invalid input syntax for type integer: "${phi}"`);
    const failure = classifyFailure(error);
    expect(JSON.stringify(failure)).not.toContain('Jane');
    expect(JSON.stringify(describeError(error))).not.toContain('Jane');
    expect(
      JSON.stringify(describeError(new SyntaxError(`Unexpected token in "${phi}"`))),
    ).not.toContain('Jane');
    // Connection-level messages name servers, not rows: kept for operators.
    expect(describeError(withCode('28P01', 'password authentication failed')).error).toContain(
      'password authentication failed',
    );
  });
});
