import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { ConfigError, EnvType, readEnv, requireEnv } from '../src/index.js';

const Schema = Type.Object({
  PORT: EnvType.port({ default: 8080, allowZero: true }),
  BROKERS: EnvType.brokers(),
  DATABASE_URL: Type.Optional(EnvType.url(['postgres', 'postgresql'])),
  VERBOSE: EnvType.boolean({ default: false }),
  RATE: EnvType.number(0, 100, { default: 1 }),
  POLL: EnvType.duration(100, 60_000, { default: 2000 }),
  LEVEL: EnvType.oneOf(['info', 'warn'], { default: 'info' }),
  KEYS: EnvType.list(Type.String({ minLength: 16 }), { expected: 'keys of 16+ characters' }),
});

const minimal = { BROKERS: 'k1:9092', KEYS: 'a-sixteen-char-key' };

describe('readEnv', () => {
  it('applies defaults and coerces every kind', () => {
    expect(readEnv(Schema, minimal)).toEqual({
      ok: true,
      env: {
        PORT: 8080,
        BROKERS: ['k1:9092'],
        VERBOSE: false,
        RATE: 1,
        POLL: 2000,
        LEVEL: 'info',
        KEYS: ['a-sixteen-char-key'],
      },
    });
    const result = readEnv(Schema, {
      ...minimal,
      PORT: ' 0 ',
      BROKERS: 'k1:9092, k2:9093,',
      DATABASE_URL: 'postgres://u:p@db:5432/x',
      VERBOSE: 'yes',
      RATE: '2.5',
      POLL: '5s',
      LEVEL: 'warn',
    });
    expect(result.ok && result.env).toMatchObject({
      PORT: 0,
      BROKERS: ['k1:9092', 'k2:9093'],
      DATABASE_URL: 'postgres://u:p@db:5432/x',
      VERBOSE: true,
      RATE: 2.5,
      POLL: 5000,
      LEVEL: 'warn',
    });
  });

  it('treats empty values as unset', () => {
    const result = readEnv(Schema, { ...minimal, PORT: '', DATABASE_URL: '  ' });
    expect(result.ok && result.env.PORT).toBe(8080);
    expect(result.ok && 'DATABASE_URL' in result.env).toBe(false);
  });

  it('lists every bad variable by name with what it expects, never its value', () => {
    const values = {
      PORT: 'eighty-canary',
      BROKERS: 'canary-host',
      DATABASE_URL: 'mysql://user:canary-password@db/x',
      VERBOSE: 'canary',
      RATE: '101',
      POLL: '5 fortnights canary',
      LEVEL: 'canary',
      KEYS: 'short-canary',
    };
    const result = readEnv(Schema, values);
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors).toEqual([
      'PORT must be an integer from 0 to 65535',
      'BROKERS must be a comma-separated list of host:port',
      'DATABASE_URL must be an absolute postgres:// or postgresql:// URL with a host',
      'VERBOSE must be true or false',
      'RATE must be a number from 0 to 100',
      'POLL must be a duration from 100 to 60000 ms (e.g. 500, 500ms, 5s, 2m)',
      'LEVEL must be one of info, warn',
      'KEYS must be keys of 16+ characters',
    ]);
    expect(errors.join('\n')).not.toContain('canary');
  });

  it('names missing required variables', () => {
    const result = readEnv(Schema, {});
    expect(result.ok ? [] : result.errors).toEqual([
      'BROKERS is required (a comma-separated list of host:port)',
      'KEYS is required (keys of 16+ characters)',
    ]);
  });

  it('requireEnv throws one ConfigError listing them all', () => {
    expect(() => requireEnv(Schema, { PORT: 'x' })).toThrow(ConfigError);
    expect(() => requireEnv(Schema, { PORT: 'x' })).toThrow(
      /invalid configuration:\n {2}PORT must be[^\n]*\n {2}BROKERS is required[^\n]*\n {2}KEYS is required/,
    );
  });
});
