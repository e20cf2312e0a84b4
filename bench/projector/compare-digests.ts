import type { VersionDigest } from './version-digest.js';

/** What the generated mix says one read model must hold. */
export interface ExpectedCounts {
  rows: number;
  applied: number;
  history: number;
}

/** Verdict of {@link compareDigests}: `ok`, or each way a variant differs. */
export type DigestVerdict = { ok: true } | { ok: false; mismatches: string[] };

/**
 * Compares every variant's digest of one read model with the counts the generated mix implies
 * and with each other (the first variant's md5 as reference): a variant that applied an
 * event twice, lost one, or folded a state differently is a mismatch.
 */
export function compareDigests(
  expected: ExpectedCounts,
  digests: ReadonlyArray<readonly [string, VersionDigest]>,
): DigestVerdict {
  const mismatches: string[] = [];
  const reference = digests[0];
  for (const [name, d] of digests) {
    for (const key of ['rows', 'applied', 'history'] as const) {
      if (d[key] !== expected[key]) {
        mismatches.push(`${name}: ${key} ${d[key]}, expected ${expected[key]}`);
      }
    }
    if (reference && d.md5 !== reference[1].md5) {
      mismatches.push(`${name}: md5 ${d.md5.slice(0, 8)} differs from ${reference[0]}'s`);
    }
  }
  return mismatches.length === 0 ? { ok: true } : { ok: false, mismatches };
}
