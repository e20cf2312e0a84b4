import { describe, expect, it } from 'vitest';
import { CanaryFeed } from './canary.js';
import { HOSTILE_FAMILIES, hostileCorpus } from './hostile-corpus.js';

const LIMIT = 256 * 1024;
const draw = (seed: number, perFamily = 28) =>
  hostileCorpus({
    seed,
    templates: new CanaryFeed({ seed: 5, concurrency: 10 }),
    perFamily,
    bodyLimit: LIMIT,
  });

describe('hostileCorpus', () => {
  it('draws the same cases from the same seed, and others from another', () => {
    const names = (seed: number) => draw(seed).map((c) => c.name);
    expect(names(1)).toEqual(names(1));
    expect(names(2)).not.toEqual(names(1));
  });

  it('has every family, and the incident and the brief examples in each draw', () => {
    const cases = draw(3, 5);
    for (const family of HOSTILE_FAMILIES) {
      expect(
        cases.some((c) => c.family === family),
        family,
      ).toBe(true);
    }
    const names = cases.map((c) => c.name);
    for (const must of [
      'deep nesting: 100000 levels of arrays in data field',
      'control characters: U+0000 escaped, alone, in data.<id>',
      'lone surrogates: escaped \\ud800, alone, in event_id',
      'extreme numbers: 1e400 in data field',
      'id lengths: data.<id> of 10,000 characters',
      'empty objects: the body is {}',
    ]) {
      expect(names).toContain(must);
    }
  });

  it('builds the bodies it names: the incident is 100,000 arrays deep; huge strings straddle the limit', () => {
    const cases = draw(4);
    const incident = cases.find(
      (c) => c.name === 'deep nesting: 100000 levels of arrays in data field',
    );
    expect(incident?.body.includes('['.repeat(100_000))).toBe(true);
    expect(JSON.parse(incident?.body.toString('utf8') ?? '').event_id).toBe(
      incident?.templateEventId,
    );
    const fits = cases.filter((c) => c.name.includes('just fits the limit'));
    const over = cases.filter((c) => c.name.includes('just over the limit'));
    for (const c of fits) expect(c.body.length, c.name).toBeLessThanOrEqual(LIMIT);
    for (const c of fits) expect(c.body.length, c.name).toBeGreaterThan(LIMIT - 6);
    for (const c of over) expect(c.body.length, c.name).toBeGreaterThan(LIMIT);
  });

  it('gives every case its own event id and aggregate ids', () => {
    const cases = draw(5);
    expect(new Set(cases.map((c) => c.templateEventId)).size).toBe(cases.length);
    const plain = cases.find(
      (c) => c.name === 'empty objects: order event whose data holds only its id',
    );
    expect(plain?.body.toString('utf8')).toMatch(/"order_id":"ord_[^"]+_fz\d+"/);
  });
});
