/**
 * Last line of defence for a lost link: node-opcua's reconnect loop is trusted to bring the session
 * back, but if the link is still lost after `afterMs` (the loop gave up, or is stuck on a channel
 * that will never answer) the link starts over with a fresh client.
 */
export class StallGuard {
  readonly #afterMs: number;
  readonly #onStall: () => void;
  #timer: NodeJS.Timeout | null = null;

  constructor(afterMs: number, onStall: () => void) {
    this.#afterMs = afterMs;
    this.#onStall = onStall;
  }

  /** Start counting, unless already counting. */
  arm(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#onStall();
    }, this.#afterMs);
    this.#timer.unref();
  }

  disarm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
