/** The answers one bench target gave over every load of the run, warm-ups included. */
export interface AnswerTotals {
  ok: number;
  non2xx: number;
  /** Socket errors and timeouts. */
  errors: number;
}

/** What {@link judgeAnswers} compares: the answers, and what the broker or memory holds. */
export interface AnswerEvidence {
  /** (a): the ingress with an in-memory acknowledgement. */
  memory: AnswerTotals;
  /** Records (a)'s in-memory producer acknowledged. */
  memoryAppended: number;
  /** (b): one awaited send per request, and the records on its topic. */
  naive: AnswerTotals;
  naiveOnTopic: number;
  /** (c): the ingress on Kafka, and the records on its topic and in quarantine. */
  ingress: AnswerTotals;
  ingressOnTopic: number;
  quarantined: number;
}

/** The verdict: one line per check (`ok: ...` or `WRONG: ...`), and whether all passed. */
export interface AnswerVerdict {
  correct: boolean;
  lines: string[];
}

/**
 * Judges a run's answers against evidence the code under test does not write: every 200 of (b)
 * and (c) must be on its topic (sum of high watermarks, read from the broker; records in flight
 * when a measurement stopped make it larger, never smaller), every 200 of (a) acknowledged by
 * its in-memory producer, nothing quarantined (every body is valid), and no non-2xx or error
 * from (a) or (c) under the bench load. (b)'s failures are reported, not judged: a naive
 * handler timing out under 100 connections is the baseline's cost, not a wrong answer.
 */
export function judgeAnswers(evidence: AnswerEvidence): AnswerVerdict {
  const lines: string[] = [];
  let correct = true;
  const check = (ok: boolean, line: string) => {
    correct &&= ok;
    lines.push(`${ok ? 'ok' : 'WRONG'}: ${line}`);
  };
  for (const [name, totals] of [
    ['(a)', evidence.memory],
    ['(c)', evidence.ingress],
  ] as const) {
    check(
      totals.non2xx === 0 && totals.errors === 0,
      `${name} ${totals.ok} 200s, ${totals.non2xx} non-2xx, ${totals.errors} errors or timeouts`,
    );
  }
  check(
    evidence.memoryAppended >= evidence.memory.ok,
    `(a) ${evidence.memoryAppended} records acknowledged in memory for ${evidence.memory.ok} 200s`,
  );
  check(
    evidence.naiveOnTopic >= evidence.naive.ok,
    `(b) ${evidence.naiveOnTopic} records on its topic for ${evidence.naive.ok} 200s`,
  );
  check(
    evidence.ingressOnTopic >= evidence.ingress.ok,
    `(c) ${evidence.ingressOnTopic} records on its topic for ${evidence.ingress.ok} 200s`,
  );
  check(evidence.quarantined === 0, `${evidence.quarantined} records in quarantine`);
  const { non2xx, errors } = evidence.naive;
  if (non2xx + errors > 0) {
    lines.push(`note: (b) answered ${non2xx} non-2xx and ${errors} errors or timeouts`);
  }
  return { correct, lines };
}
