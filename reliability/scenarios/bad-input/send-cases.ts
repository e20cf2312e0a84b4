import fc from 'fast-check';
import { mapConcurrent, type RawResponse, sendRaw } from '../../harness/hostile-http.js';
import { type Case, FUZZ_SEED } from './bad-input-case.js';

const CONCURRENCY = 8;

/**
 * Sends every case once to the ingress at `url`, in a seeded shuffle (so the valid events are
 * interleaved with everything else), 8 at a time, each as raw bytes; returns the answers in
 * the cases' order.
 */
export async function sendCases(url: string, cases: readonly Case[]): Promise<RawResponse[]> {
  const order = fc.sample(
    fc.shuffledSubarray(
      cases.map((_, i) => i),
      { minLength: cases.length },
    ),
    { seed: FUZZ_SEED, numRuns: 1 },
  )[0] as number[];
  const answers = new Array<RawResponse>(cases.length);
  await mapConcurrent(order, CONCURRENCY, async (index) => {
    answers[index] = await sendRaw(url, (cases[index] as Case).request);
  });
  return answers;
}
