import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** Runs the entry point with only `env` (no broker is needed: it must fail before Kafka). */
async function start(env: Record<string, string>, args: string[] = []) {
  try {
    await run(process.execPath, ['--import', 'tsx', '--conditions=source', main, ...args], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
      timeout: 30_000,
    });
    return { code: 0, stderr: '' };
  } catch (error) {
    const failure = error as { code?: number; stderr?: string };
    return { code: failure.code, stderr: failure.stderr ?? '' };
  }
}

describe('main.ts', () => {
  it('refuses a bad environment at boot, naming each variable and never echoing a value', async () => {
    const secret = 'short-secret';
    const { code, stderr } = await start({
      WEBHOOK_API_KEYS: secret,
      KAFKA_BROKERS: 'localhost:9092',
      PORT: 'eighty',
      LOG_LEVEL: 'chatty',
    });
    expect(code).toBe(1);
    expect(stderr).toContain('invalid configuration');
    expect(stderr).toContain('PORT must be an integer from 0 to 65535');
    expect(stderr).toContain('LOG_LEVEL must be one of');
    expect(stderr).not.toContain('eighty');
    expect(stderr).not.toContain(secret);
  }, 40_000);

  it('names missing required variables', async () => {
    const { code, stderr } = await start({});
    expect(code).toBe(1);
    expect(stderr).toContain('WEBHOOK_API_KEYS is required');
    expect(stderr).toContain('KAFKA_BROKERS is required');
  }, 40_000);

  it('refuses an unknown command', async () => {
    const { code, stderr } = await start({}, ['serve-please']);
    expect(code).toBe(1);
    expect(stderr).toContain('usage: main.ts [serve | ensure-topics]');
  }, 40_000);
});
