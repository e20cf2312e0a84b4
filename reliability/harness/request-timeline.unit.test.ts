import { describe, expect, it } from 'vitest';
import { RequestTimeline } from './request-timeline.js';

/** A timeline on a clock the test moves. */
function timeline() {
  const clock = { t: 0 };
  return { clock, requests: new RequestTimeline(() => clock.t) };
}

describe('RequestTimeline', () => {
  it('counts requests in flight at an instant: started by then, not answered before', () => {
    const { clock, requests } = timeline();
    requests.started(); // t 0: a
    clock.t = 10;
    requests.started(); // t 10: b
    clock.t = 20;
    requests.answered({ status: 200 }); // a
    clock.t = 30;
    requests.answered({ status: 503 }); // b
    expect([0, 5, 10, 15, 20, 25, 30, 31].map((t) => requests.inFlightAt(t))).toEqual([
      1, 1, 2, 2, 2, 1, 1, 0,
    ]);
  });

  it('counts requests that overlap a window, even when none is in flight at its start', () => {
    const { clock, requests } = timeline();
    requests.started(); // t 0: answered at 5, before the window
    clock.t = 5;
    requests.answered({ status: 200 });
    clock.t = 12;
    requests.started(); // t 12: starts inside the window
    clock.t = 14;
    requests.answered({ status: 0 });
    clock.t = 18;
    requests.started(); // t 18: starts inside, answered after it
    clock.t = 40;
    requests.answered({ status: 200 });
    expect(requests.inFlightAt(10)).toBe(0);
    expect(requests.overlapping(10, 20)).toBe(2);
    expect(requests.overlapping(6, 11)).toBe(0);
    expect(requests.answersBetween(10, 20)).toEqual({ 0: 1 });
    expect(requests.answersBetween(0, 40)).toEqual({ 0: 1, 200: 2 });
  });
});
