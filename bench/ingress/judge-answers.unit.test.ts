import { describe, expect, it } from 'vitest';
import { type AnswerEvidence, judgeAnswers } from './judge-answers.js';

const clean: AnswerEvidence = {
  memory: { ok: 1000, non2xx: 0, errors: 0 },
  memoryAppended: 1040,
  naive: { ok: 50, non2xx: 0, errors: 0 },
  naiveOnTopic: 52,
  ingress: { ok: 900, non2xx: 0, errors: 0 },
  ingressOnTopic: 930,
  quarantined: 0,
};

describe('judgeAnswers', () => {
  it('passes a run whose every 200 is stored (records in flight at the end may add more)', () => {
    const verdict = judgeAnswers(clean);
    expect(verdict.correct).toBe(true);
    expect(verdict.lines.every((line) => line.startsWith('ok: '))).toBe(true);
  });

  it.each<[string, Partial<AnswerEvidence>, string]>([
    ['a 200 of (c) missing from its topic', { ingressOnTopic: 899 }, '(c) 899 records'],
    ['a 200 of (b) missing from its topic', { naiveOnTopic: 49 }, '(b) 49 records'],
    ['a 200 of (a) never acknowledged', { memoryAppended: 999 }, '(a) 999 records'],
    ['a non-2xx from (c)', { ingress: { ok: 900, non2xx: 1, errors: 0 } }, '(c) 900 200s'],
    ['a timeout from (a)', { memory: { ok: 1000, non2xx: 0, errors: 1 } }, '(a) 1000 200s'],
    ['a quarantined valid body', { quarantined: 1 }, '1 records in quarantine'],
  ])('fails the run on %s', (_case, change, wrong) => {
    const verdict = judgeAnswers({ ...clean, ...change });
    expect(verdict.correct).toBe(false);
    expect(verdict.lines.filter((line) => line.startsWith('WRONG: '))).toEqual([
      expect.stringContaining(wrong),
    ]);
  });

  it("reports (b)'s own failures without failing the run", () => {
    const verdict = judgeAnswers({ ...clean, naive: { ok: 50, non2xx: 3, errors: 2 } });
    expect(verdict.correct).toBe(true);
    expect(verdict.lines).toContain('note: (b) answered 3 non-2xx and 2 errors or timeouts');
  });
});
