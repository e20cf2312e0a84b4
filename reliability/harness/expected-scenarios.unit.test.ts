import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectedScenarioNumbers, missingScenarios } from './expected-scenarios.js';

describe('expected scenarios', () => {
  it('are the numbers the scenario files record, plus the teardown sweep (8)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenarios-'));
    writeFileSync(join(dir, 'a.rel.test.ts'), 'recordScenario({\n    number: 3,\n  title: "x" })');
    writeFileSync(
      join(dir, 'b.rel.test.ts'),
      'const verdict = recordScenario({ number: 12, title });',
    );
    writeFileSync(join(dir, 'helper.ts'), 'number: 99,');
    expect(expectedScenarioNumbers(dir)).toEqual([3, 8, 12]);
  });

  it('the suite has thirteen, numbered 1 to 13', () => {
    expect(expectedScenarioNumbers()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  });

  it('a scenario without a result is missing', () => {
    expect(missingScenarios([1, 2, 8], [{ number: 8 }, { number: 1 }])).toEqual([2]);
    expect(missingScenarios([1, 8], [{ number: 1 }, { number: 8 }])).toEqual([]);
  });
});
