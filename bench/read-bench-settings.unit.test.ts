import { describe, expect, it } from 'vitest';
import { IngressBenchSettings } from './ingress/ingress-bench-settings.js';
import {
  ProjectorBenchSettings,
  projectorExperiment,
} from './projector/projector-bench-settings.js';
import { RebuildBenchSettings } from './projector/rebuild-bench-settings.js';
import { BenchSettingsError, readBenchSettings } from './read-bench-settings.js';

function errorOf(action: () => unknown): BenchSettingsError {
  try {
    action();
  } catch (error) {
    if (error instanceof BenchSettingsError) return error;
    throw error;
  }
  throw new Error('expected a BenchSettingsError');
}

describe('bench settings', () => {
  it('default every knob when the environment sets none', () => {
    const settings = readBenchSettings(ProjectorBenchSettings, {});
    expect(settings.BENCH_EVENTS).toBe(120_000);
    expect(settings.BENCH_INPROCESS).toBe(false);
    expect(settings.BENCH_SKIP).toBeUndefined();
    expect(projectorExperiment(settings)).toEqual({});
    expect(readBenchSettings(RebuildBenchSettings, {}).BENCH_RUN_TIMEOUT_S).toBe(600);
    expect(readBenchSettings(IngressBenchSettings, {}).BENCH_ROUNDS).toBe(3);
  });

  it('read the values that are set, typed', () => {
    const settings = readBenchSettings(ProjectorBenchSettings, {
      BENCH_EVENTS: '2000',
      BENCH_SKIP: 'b, fresh',
      BENCH_INPROCESS: '1',
      BENCH_CONSUMER_OVERRIDES: '{"maxWaitTimeInMs":50}',
      BENCH_COMMIT_EVERY_MS: '250',
    });
    expect(settings.BENCH_EVENTS).toBe(2000);
    expect(settings.BENCH_SKIP).toEqual(['b', 'fresh']);
    expect(settings.BENCH_INPROCESS).toBe(true);
    expect(projectorExperiment(settings)).toEqual({
      consumer: { maxWaitTimeInMs: 50 },
      commitEveryMs: 250,
    });
  });

  it('refuse a bad value with a message that names the variable and not the value', () => {
    const error = errorOf(() =>
      readBenchSettings(ProjectorBenchSettings, {
        BENCH_EVENTS: '12k',
        BENCH_FRESH_SECONDS: '-3',
        BENCH_SKIP: 'a,zz9',
      }),
    );
    expect(error.errors).toEqual([
      'BENCH_EVENTS must be an integer from 1 to 10000000',
      'BENCH_FRESH_SECONDS must be an integer from 1 to 3600',
      'BENCH_SKIP must be a comma-separated list of a1, a, b, c1, c3, fresh, fresh-orders, fresh-all',
    ]);
    expect(error.message).not.toMatch(/12k|zz9/);
    expect(
      errorOf(() => readBenchSettings(IngressBenchSettings, { BENCH_ROUNDS: 'three' })).errors,
    ).toEqual(['BENCH_ROUNDS must be an integer from 1 to 100']);
    expect(
      errorOf(() => readBenchSettings(RebuildBenchSettings, { BENCH_REBUILD_CONCURRENCY: '0' }))
        .errors,
    ).toEqual(['BENCH_REBUILD_CONCURRENCY must be an integer from 1 to 64']);
  });

  it('refuse consumer overrides that are not a JSON object, by name', () => {
    for (const text of ['{maxWait', '[1]', '7']) {
      const settings = readBenchSettings(ProjectorBenchSettings, {
        BENCH_CONSUMER_OVERRIDES: text,
      });
      expect(errorOf(() => projectorExperiment(settings)).errors).toEqual([
        'BENCH_CONSUMER_OVERRIDES must be a JSON object',
      ]);
    }
  });
});
