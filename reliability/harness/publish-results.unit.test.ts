import { describe, expect, it } from 'vitest';
import { notesOf } from './publish-results.js';
import type { ScenarioResult } from './report.js';

const result = (number: number, notes?: string[]): ScenarioResult =>
  ({
    number,
    title: `s${number}`,
    did: {},
    found: {},
    criteria: '',
    passed: true,
    seconds: 1,
    notes,
  }) as ScenarioResult;

describe('the notes under a published table', () => {
  it('list each scenario note with its number, in order', () => {
    expect(
      notesOf([result(1, ['kill 1: back in 37369 ms']), result(2), result(11, ['a', 'b'])]),
    ).toEqual([
      '',
      'Notes of this run:',
      '',
      '- 1: kill 1: back in 37369 ms',
      '- 11: a',
      '- 11: b',
    ]);
  });

  it('are left out when no scenario has any', () => {
    expect(notesOf([result(1), result(2, [])])).toEqual([]);
  });
});
