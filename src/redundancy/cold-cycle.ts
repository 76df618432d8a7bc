/**
 * Cold mode's connection cycle, pure like the machine that owns it: one candidate at a time, in list
 * order after the last active or tried server, wrapping around ("ping-pong until one answers");
 * after every candidate of a cycle has been tried, a pause before the next cycle.
 */
export class ColdCycle {
  readonly #retryDelayMs: number;
  readonly #tried = new Set<number>();
  #last: number | null = null;
  /** Set when a whole cycle failed: no new attempt before this time. */
  #pauseUntil: number | null = null;

  constructor(retryDelayMs: number) {
    this.#retryDelayMs = retryDelayMs;
  }

  /** How many servers have been tried in the current cycle. */
  get tried(): number {
    return this.#tried.size;
  }

  /**
   * Start a fresh cycle with the server after `server` (it just became active, or was just lost);
   * `tried` count as tried already (attempts still in flight).
   */
  restartAfter(server: number, tried: readonly number[] = []): void {
    this.#tried.clear();
    for (const i of tried) this.#tried.add(i);
    this.#last = server;
    this.#pauseUntil = null;
  }

  /**
   * The candidate to connect now (it counts as tried), or the time when the pause after a failed
   * cycle ends, or null when there is no candidate. `candidates` are server indexes in list order.
   */
  next(candidates: readonly number[], now: number): { server: number } | { wakeAt: number } | null {
    if (candidates.length === 0) return null;
    let untried = candidates.filter((i) => !this.#tried.has(i));
    // A candidate not tried yet (the candidates changed) ends a pending pause.
    if (untried.length > 0) this.#pauseUntil = null;
    if (untried.length === 0) {
      // A whole cycle failed: pause before the next one. `tried` stays full until then, so the
      // owner can still see that the cycle is complete.
      this.#pauseUntil ??= now + this.#retryDelayMs;
      if (now < this.#pauseUntil) return { wakeAt: this.#pauseUntil };
      this.#tried.clear();
      this.#pauseUntil = null;
      untried = [...candidates];
    }
    const server = untried.find((i) => i > (this.#last ?? -1)) ?? untried[0]!;
    this.#tried.add(server);
    this.#last = server;
    return { server };
  }
}
