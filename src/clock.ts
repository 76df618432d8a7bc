/** Time is injected wherever a decision depends on it, so pure parts can be tested with a fake clock. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
