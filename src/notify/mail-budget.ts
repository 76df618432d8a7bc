/**
 * How many mails one recipient gets: while the window's budget lasts, each event is mailed at once;
 * the last mail of a window is kept for a digest of everything that came after, sent when the
 * window ends. So a storm of events gives at most `maxPerWindow` mails per window. Pure: time is
 * passed in, the caller keeps the timer.
 */
export interface BudgetOptions {
  windowMs: number;
  maxPerWindow: number;
}

export type Offer<T> = { send: T } | { held: true };

export class MailBudget<T> {
  readonly #options: BudgetOptions;
  #windowStart: number | null = null;
  #sent = 0;
  #held: T[] = [];

  constructor(options: BudgetOptions) {
    this.#options = options;
  }

  /** An event for this recipient: mail it now, or hold it for the window's digest. */
  offer(item: T, now: number): Offer<T> {
    this.#roll(now);
    const { maxPerWindow } = this.#options;
    // The first mail of a quiet period always goes at once; the window's last slot is the digest's.
    if (this.#held.length === 0 && (this.#sent === 0 || this.#sent < maxPerWindow - 1)) {
      this.#windowStart ??= now;
      this.#sent++;
      return { send: item };
    }
    this.#windowStart ??= now;
    this.#held.push(item);
    return { held: true };
  }

  /** When the held events are due as a digest (null: nothing held). */
  dueAt(): number | null {
    return this.#held.length === 0 || this.#windowStart === null
      ? null
      : this.#windowStart + this.#options.windowMs;
  }

  /** The held events, once their window has ended; the digest opens the next window. */
  takeDigest(now: number): T[] {
    const due = this.dueAt();
    if (due === null || now < due) return [];
    const held = this.#held;
    this.#held = [];
    this.#windowStart = now;
    this.#sent = 1;
    return held;
  }

  #roll(now: number): void {
    if (
      this.#windowStart !== null &&
      now >= this.#windowStart + this.#options.windowMs &&
      this.#held.length === 0
    ) {
      this.#windowStart = null;
      this.#sent = 0;
    }
  }
}
