import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Emission, type Faults, NO_FAULTS } from '../src/fault-injector.js';
import { GenerationRun, type GenerationSettings } from '../src/generation-run.js';
import { CLINIC_A, START } from './fixtures.js';

function settings(overrides: Partial<GenerationSettings> = {}): GenerationSettings {
  return {
    seed: 1,
    clinicIds: [CLINIC_A],
    rate: 10,
    faults: NO_FAULTS,
    startAt: START,
    ...overrides,
  };
}

function start(overrides: Partial<GenerationSettings> = {}, backlog = () => 0) {
  const emitted: Emission[] = [];
  const run = new GenerationRun(settings(overrides), { emit: (e) => emitted.push(e), backlog });
  run.start();
  return { run, emitted };
}

const faults = (f: Partial<Faults>): Faults => ({ ...NO_FAULTS, ...f });

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse('2025-06-01T12:00:00.000Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('GenerationRun', () => {
  it('emits at the rate, stamping events 1/rate apart from start_at', async () => {
    const { run, emitted } = start({ rate: 10 });
    await vi.advanceTimersByTimeAsync(0);
    expect(emitted).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(emitted.length).toBeGreaterThanOrEqual(10);
    expect(emitted.length).toBeLessThanOrEqual(12);
    await vi.advanceTimersByTimeAsync(9000);
    expect(emitted.length).toBeGreaterThanOrEqual(100);
    expect(emitted.length).toBeLessThanOrEqual(102);
    expect(emitted.slice(0, 3).map((e) => e.generated.event.timestamp)).toEqual([
      '2025-01-15T09:00:00.000Z',
      '2025-01-15T09:00:00.100Z',
      '2025-01-15T09:00:00.200Z',
    ]);
    expect(run.status()).toMatchObject({ state: 'running', stop_reason: null });
    expect(run.stop()).toMatchObject({ state: 'stopped', stop_reason: 'requested' });
    const count = emitted.length;
    await vi.advanceTimersByTimeAsync(5000);
    expect(emitted).toHaveLength(count);
  });

  it('stops after `count` events', async () => {
    const { run, emitted } = start({ rate: 1000, count: 500 });
    await vi.advanceTimersByTimeAsync(2000);
    const status = await run.finished;
    expect(status).toMatchObject({
      state: 'finished',
      stop_reason: 'count',
      events_generated: 500,
    });
    expect(emitted).toHaveLength(500);
  });

  it('stops after `lifecycles` episodes, every one carried to its end', async () => {
    const { run } = start({ rate: 1000, lifecycles: 20 });
    await vi.advanceTimersByTimeAsync(5000);
    expect(await run.finished).toMatchObject({
      stop_reason: 'lifecycles',
      lifecycles_started: 20,
      lifecycles_completed: 20,
    });
  });

  it('stops after `durationMs`', async () => {
    const { run, emitted } = start({ rate: 5, durationMs: 2000 });
    await vi.advanceTimersByTimeAsync(2100);
    expect(await run.finished).toMatchObject({ state: 'finished', stop_reason: 'duration' });
    expect(emitted.length).toBeGreaterThanOrEqual(10);
    expect(emitted.length).toBeLessThanOrEqual(12);
  });

  it('emits every generated event once even when stopped with events held back', async () => {
    const { run, emitted } = start({
      rate: 1000,
      faults: faults({ outOfOrderRate: 0.5, duplicateRate: 0.3 }),
    });
    await vi.advanceTimersByTimeAsync(300);
    const status = run.stop();
    const originals = emitted.filter((e) => !e.duplicate).map((e) => e.generated.event.event_id);
    expect(new Set(originals).size).toBe(originals.length);
    expect(originals).toHaveLength(status.events_generated);
    expect(status.waiting).toBe(0);
    expect(status.out_of_order).toBeGreaterThan(0);
    expect(emitted.filter((e) => e.duplicate)).toHaveLength(status.duplicates);
  });

  it('sends bursts on top of the rate', async () => {
    const { run, emitted } = start({ rate: 1, faults: faults({ burstRate: 1, burstSize: 5 }) });
    await vi.advanceTimersByTimeAsync(0);
    expect(emitted).toHaveLength(6);
    expect(run.status().bursts).toBe(1);
    run.stop();
  });

  it('pauses while the delivery backlog is too long', async () => {
    let backlog = 10_000;
    const { run, emitted } = start({ rate: 100 }, () => backlog);
    await vi.advanceTimersByTimeAsync(1000);
    expect(emitted).toHaveLength(0);
    backlog = 0;
    await vi.advanceTimersByTimeAsync(1000);
    expect(emitted.length).toBeGreaterThan(100);
    run.stop();
  });

  it('replays exactly for the same seed, start time, rate and faults', async () => {
    const replay = async () => {
      const { run, emitted } = start({
        rate: 500,
        count: 300,
        faults: faults({ outOfOrderRate: 0.2, duplicateRate: 0.2, burstRate: 0.05, burstSize: 10 }),
      });
      await vi.advanceTimersByTimeAsync(3000);
      await run.finished;
      return emitted.map((e) => `${e.generated.body}|${e.duplicate}|${e.overtaken}`);
    };
    const first = await replay();
    expect(first.length).toBeGreaterThan(300);
    expect(await replay()).toEqual(first);
  });
});
