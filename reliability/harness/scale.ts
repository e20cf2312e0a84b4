/**
 * How big a reliability run is. `quick` (the default, what `npm test` and CI run) does every
 * scenario with fewer events and faults; `full` (`npm run test:reliability:full`) uses the
 * issue's figures, published in docs/reliability.md.
 */
export type Scale = 'quick' | 'full';

export const SCALE: Scale = process.env['RELIABILITY_SCALE'] === 'full' ? 'full' : 'quick';

/** The quick or the full value of a setting. */
export function atScale<T>(quick: T, full: T): T {
  return SCALE === 'full' ? full : quick;
}
