/**
 * The simulator's clock: which ticks to publish, with which Counter value and source timestamp.
 * Pure (time is passed in), so catch-up after a late timer can be unit tested.
 */

/** One published tick: Counter value, Sine value and their common source timestamp. */
export interface Tick {
  tick: number;
  counter: number;
  sine: number;
  timestamp: Date;
}

export interface TickerOptions {
  tickMs: number;
  /** Counter = floor(unix_ms / tickMs), timestamp = tick boundary (two simulators agree). */
  sharedClock: boolean;
  /** Start time (unix ms) of a simulator without shared clock: its Counter starts at 0 there. */
  startMs: number;
  /** Most time worth of missed ticks to replay after a late timer; older ones are skipped. */
  maxCatchUpMs?: number;
  /**
   * The server samples the shared-clock device on its own phase (ms after each tick boundary) and
   * stamps with its own clock (host time + offsetMs()): Counter stays the device's, the source
   * timestamp is the server's. Without it, the source timestamp of a shared clock is the device's.
   */
  ownClock?: { phaseMs: number; offsetMs: () => number };
  /** Without a shared clock: the server's clock offset for the source timestamps (default 0). */
  offsetMs?: () => number;
}

const INT32_RANGE = 2 ** 31;

export class Ticker {
  readonly tickMs: number;
  readonly sharedClock: boolean;
  private readonly origin: number;
  private readonly maxCatchUpTicks: number;
  private readonly ownClock: TickerOptions["ownClock"];
  private readonly offsetMs: () => number;
  private last: number | undefined;

  constructor(options: TickerOptions) {
    this.tickMs = options.tickMs;
    this.sharedClock = options.sharedClock;
    this.ownClock = options.sharedClock ? options.ownClock : undefined;
    this.offsetMs = options.offsetMs ?? (() => 0);
    this.origin = options.sharedClock ? (this.ownClock?.phaseMs ?? 0) : options.startMs;
    this.maxCatchUpTicks = Math.max(1, Math.ceil((options.maxCatchUpMs ?? 5000) / options.tickMs));
  }

  /** The tick number current at `nowMs`. */
  tickAt(nowMs: number): number {
    return Math.floor((nowMs - this.origin) / this.tickMs);
  }

  /** Milliseconds from `nowMs` until the next tick starts (at least 1). */
  delayToNextTick(nowMs: number): number {
    const next = this.origin + (this.tickAt(nowMs) + 1) * this.tickMs;
    return Math.max(1, next - nowMs);
  }

  /**
   * Every tick since the last one returned, in order (at most maxCatchUpMs worth; beyond that the
   * oldest are skipped). The first call returns only the current tick.
   */
  advance(nowMs: number): Tick[] {
    const current = this.tickAt(nowMs);
    const from =
      this.last === undefined ? current : Math.max(this.last + 1, current - this.maxCatchUpTicks + 1);
    const ticks: Tick[] = [];
    for (let tick = from; tick <= current; tick++) {
      ticks.push(this.make(tick, nowMs));
    }
    if (ticks.length > 0) {
      this.last = current;
    }
    return ticks;
  }

  private make(tick: number, nowMs: number): Tick {
    const counter = this.sharedClock ? tick % INT32_RANGE : tick;
    const timestamp = new Date(
      this.ownClock
        ? this.origin + tick * this.tickMs + this.ownClock.offsetMs()
        : this.sharedClock
          ? tick * this.tickMs
          : nowMs + this.offsetMs(),
    );
    return { tick, counter, sine: Math.sin((2 * Math.PI * tick) / 100), timestamp };
  }
}
