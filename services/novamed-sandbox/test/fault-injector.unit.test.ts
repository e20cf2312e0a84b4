import { describe, expect, it } from 'vitest';
import type { GeneratedEvent } from '../src/event-generator.js';
import { type Emission, FaultInjector } from '../src/fault-injector.js';
import { Random } from '../src/random.js';
import { generateAll } from './fixtures.js';

const events = generateAll(11, 300);

function run(duplicateRate: number, outOfOrderRate: number, seed = 5): Emission[] {
  const injector = new FaultInjector({ duplicateRate, outOfOrderRate }, new Random(seed));
  const out: Emission[] = [];
  for (const event of events) out.push(...injector.push(event));
  out.push(...injector.flush());
  expect(injector.waiting).toBe(0);
  return out;
}

describe('FaultInjector', () => {
  it('without faults emits every event once, in true order', () => {
    const out = run(0, 0);
    expect(out.map((e) => e.generated)).toEqual(events);
    expect(out.every((e) => !e.duplicate && !e.overtaken)).toBe(true);
  });

  it('with faults still emits every event exactly once as an original, duplicates after it', () => {
    const out = run(0.2, 0.2);
    const originals = out.filter((e) => !e.duplicate).map((e) => e.generated);
    expect(new Set(originals)).toEqual(new Set(events));
    expect(originals).toHaveLength(events.length);
    const position = new Map<GeneratedEvent, number>();
    out.forEach((emission, index) => {
      if (!emission.duplicate) position.set(emission.generated, index);
    });
    const duplicates = out.filter((e) => e.duplicate);
    // ~20% duplicated; each duplicate comes after its original and carries the same bytes.
    expect(duplicates.length).toBeGreaterThan(events.length * 0.15);
    expect(duplicates.length).toBeLessThan(events.length * 0.25);
    out.forEach((emission, index) => {
      if (emission.duplicate) expect(index).toBeGreaterThan(position.get(emission.generated)!);
    });
  });

  it('delivers held events after a later event of their own aggregate', () => {
    const out = run(0, 0.2);
    const truePosition = new Map(events.map((event, index) => [event, index]));
    const lastSeen = new Map<string, number>();
    let inversions = 0;
    for (const { generated } of out) {
      const index = truePosition.get(generated)!;
      const previous = lastSeen.get(generated.aggregate);
      if (previous !== undefined && previous > index) inversions++;
      lastSeen.set(generated.aggregate, Math.max(previous ?? -1, index));
    }
    const overtaken = out.filter((e) => e.overtaken).length;
    expect(overtaken).toBeGreaterThan(events.length * 0.1);
    // Every emission flagged `overtaken` really arrived after a successor of its aggregate.
    expect(inversions).toBe(overtaken);
  });

  it('is reproducible for a seed', () => {
    const ids = (list: Emission[]) =>
      list.map((e) => `${e.generated.event.event_id}${e.duplicate}`);
    expect(ids(run(0.1, 0.1, 3))).toEqual(ids(run(0.1, 0.1, 3)));
    expect(ids(run(0.1, 0.1, 3))).not.toEqual(ids(run(0.1, 0.1, 4)));
  });
});
