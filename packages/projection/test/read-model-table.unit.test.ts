import { describe, expect, it } from 'vitest';
import { fromColumn, readProjectorServiceEnv, toColumn } from '../src/index.js';

describe('column conversions', () => {
  it('round-trips every column type to the state form', () => {
    expect(fromColumn('timestamptz', new Date('2025-01-15T10:30:00.000Z'))).toBe(
      '2025-01-15T10:30:00.000Z',
    );
    expect(fromColumn('timestamptz', '2025-01-15 11:30:00+01')).toBe('2025-01-15T10:30:00.000Z');
    expect(fromColumn('numeric', '3')).toBe(3);
    expect(fromColumn('bigint', 12)).toBe('12');
    expect(fromColumn('jsonb', { a: 1 })).toEqual({ a: 1 });
    expect(fromColumn('text', null)).toBeNull();
    expect(toColumn('jsonb', { zip: '94102' })).toBe('{"zip":"94102"}');
    expect(toColumn('numeric', 1e21)).toBe('1e+21');
    expect(toColumn('text', null)).toBeNull();
  });
});

describe('readProjectorServiceEnv', () => {
  const base = { KAFKA_BROKERS: '127.0.0.1:9092', DATABASE_URL: 'postgres://u:p@h:5432/d' };

  it('applies defaults and converts numbers', () => {
    const config = readProjectorServiceEnv(
      { ...base, STALL_AFTER_MS: '5000' },
      { HEALTH_PORT: 9101 },
    );
    expect(config).toMatchObject({
      HEALTH_PORT: 9101,
      STALL_AFTER_MS: 5000,
      EVENTS_TOPIC: 'novamed.events.v1',
    });
  });

  it('names a missing or bad variable without echoing its value', () => {
    expect(() => readProjectorServiceEnv({ KAFKA_BROKERS: 'k:1' }, { HEALTH_PORT: 1 })).toThrow(
      /DATABASE_URL is required/,
    );
    let message = '';
    try {
      readProjectorServiceEnv(
        { ...base, DATABASE_URL: 'mysql://secret@x', HEALTH_PORT: 'x' },
        { HEALTH_PORT: 1 },
      );
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/DATABASE_URL must be/);
    expect(message).toMatch(/HEALTH_PORT must be/);
    expect(message).not.toContain('secret');
  });
});
