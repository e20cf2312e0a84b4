/** One line of `rebuild all --json` output (progress left out), with when it was read. */
export interface TimedRebuildEvent {
  /** ms since the command was started. */
  atMs: number;
  type: string;
  projector: string;
}

/** Where one read model's share of the wall time went, in seconds. */
export interface RebuildWallShare {
  projector: string;
  /** Before `started`: process start and connections (first), or the previous one's stop. */
  beforeStart: number;
  /**
   * `started` -> caught up, less `replay`: the group join, the first fetch, and the first
   * batch (the CLI's replay rate starts after the first batch is applied).
   */
  join: number;
  /** The replay as the CLI's replay rate counts it (after the first batch). */
  replay: number;
  /** Caught up -> verified: counts and checksum against the live version. */
  check: number;
  /** Verified -> activated: the view swap. */
  swap: number;
  /** Activated -> handed off: waiting for the projector service to join the new group. */
  handoff: number;
}

/**
 * Splits `rebuild all`'s wall time by phase, from the times its NDJSON events were read and
 * each replay's time (events / replay rate); the time after the last `handed-off` (stopping,
 * closing, exiting) is `exit`. Pure, for the table of bench:rebuild.
 */
export function rebuildWallTime(
  events: readonly TimedRebuildEvent[],
  replaySeconds: ReadonlyMap<string, number>,
  exitMs: number,
): { shares: RebuildWallShare[]; exit: number } {
  const shares: RebuildWallShare[] = [];
  let previousEnd = 0;
  const seconds = (from: number, to: number) => Math.max(0, (to - from) / 1000);
  for (const projector of [...new Set(events.map((e) => e.projector))]) {
    const at = (type: string) =>
      events.find((e) => e.projector === projector && e.type === type)?.atMs;
    const started = at('started') ?? previousEnd;
    const caughtUp = at('caught-up') ?? started;
    const verified = at('verified') ?? caughtUp;
    const activated = at('activated') ?? verified;
    const handedOff = at('handed-off') ?? activated;
    const replay = replaySeconds.get(projector) ?? 0;
    const toCaughtUp = seconds(started, caughtUp);
    shares.push({
      projector,
      beforeStart: seconds(previousEnd, started),
      join: Math.max(0, toCaughtUp - replay),
      replay: Math.min(replay, toCaughtUp),
      check: seconds(caughtUp, verified),
      swap: seconds(verified, activated),
      handoff: seconds(activated, handedOff),
    });
    previousEnd = handedOff;
  }
  return { shares, exit: seconds(previousEnd, exitMs) };
}
