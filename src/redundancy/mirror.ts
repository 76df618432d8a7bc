/**
 * Stream selection for one monitored item across the servers of a pair (pure: no I/O, no timers).
 *
 * - Values from the active server are delivered, unless older than the last delivered value
 *   ("never older over newer"), or the very same sample again (a re-subscription's initial value).
 * - In hot mode each standby's values newer than the last delivered one are kept in a bounded
 *   buffer; they are pruned as the active stream moves past them, so in steady state the buffer
 *   holds only the standby's lead. At failover the new active server's buffered values newer than
 *   the last delivered one are delivered first, in order: no value is lost or duplicated when the
 *   servers read the same device.
 * - When every server is lost one Bad sample is delivered (not a flood); the next good value
 *   after it is delivered even if it only restates the last good one.
 */
export interface MirrorOptions<S> {
  serverCount: number;
  /** Keep standby values (hot mode). */
  buffered: boolean;
  /** At most this many values per standby. */
  bufferSize: number;
  /** Source time of a sample (ms, may carry a fraction), or undefined when it has none. */
  timeOf(sample: S): number | undefined;
  /** Same value and status (timestamps already compared). */
  sameSample(a: S, b: S): boolean;
  deliver(sample: S, server: number | null): void;
}

/** A FIFO with O(1) amortised shift, for the per-standby buffers. */
class SampleQueue<S> {
  #items: S[] = [];
  #head = 0;
  get size(): number {
    return this.#items.length - this.#head;
  }
  push(sample: S): void {
    this.#items.push(sample);
  }
  peek(): S | undefined {
    return this.#items[this.#head];
  }
  shift(): S | undefined {
    const sample = this.#items[this.#head];
    if (sample === undefined) return undefined;
    this.#head++;
    if (this.#head === this.#items.length) {
      // empty (the usual case: pruned as the active stream moves past): hold on to no old sample
      this.#items.length = 0;
      this.#head = 0;
    } else if (this.#head > 64 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return sample;
  }
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}

export class ItemMirror<S> {
  readonly #options: MirrorOptions<S>;
  readonly #buffers: SampleQueue<S>[];
  /** Last sample without a source time per standby (kept only as "the current value"). */
  readonly #untimed: (S | undefined)[];
  #active: number | null = null;
  #last: S | undefined;
  #lastTime = Number.NEGATIVE_INFINITY;
  #lost = false;
  /** Standby values dropped because a buffer was full (a lost value if that standby takes over). */
  overflowed = 0;

  constructor(options: MirrorOptions<S>) {
    this.#options = options;
    this.#buffers = Array.from({ length: options.serverCount }, () => new SampleQueue<S>());
    this.#untimed = new Array(options.serverCount).fill(undefined);
  }

  get active(): number | null {
    return this.#active;
  }
  get lastDelivered(): S | undefined {
    return this.#last;
  }

  /** A value arrived from `server`. */
  offer(server: number, sample: S): void {
    if (server === this.#active) {
      this.#deliverIfNewer(sample, server);
      return;
    }
    if (!this.#options.buffered) return;
    const time = this.#options.timeOf(sample);
    if (time === undefined) {
      this.#untimed[server] = sample;
      return;
    }
    // Only what could still be delivered: newer, or (after a Bad) a restatement of the last value.
    if (time < this.#lastTime || (time === this.#lastTime && !this.#lost)) return;
    const buffer = this.#buffers[server]!;
    if (buffer.size >= this.#options.bufferSize) {
      buffer.shift();
      this.overflowed++;
    }
    buffer.push(sample);
  }

  /** `server` becomes the active one: first its buffered values newer than the last delivered. */
  activate(server: number): void {
    this.#active = server;
    const buffer = this.#buffers[server]!;
    for (let sample = buffer.shift(); sample !== undefined; sample = buffer.shift()) {
      this.#deliverIfNewer(sample, server);
    }
    const untimed = this.#untimed[server];
    this.#untimed[server] = undefined;
    if (untimed !== undefined) this.#deliverIfNewer(untimed, server);
  }

  /** Every server is lost: deliver `bad` once; nothing is active until `activate`. */
  lose(bad: S): void {
    this.#active = null;
    if (this.#lost) return;
    this.#lost = true;
    this.#last = bad; // what a listener joining now must see
    this.#options.deliver(bad, null);
  }

  /** The server's stream restarts (e.g. its link reconnected): drop what it had buffered. */
  resetServer(server: number): void {
    this.#buffers[server]!.clear();
    this.#untimed[server] = undefined;
  }

  #deliverIfNewer(sample: S, server: number): void {
    const time = this.#options.timeOf(sample);
    if (time !== undefined) {
      if (this.#lost) {
        // After a Bad notification the current value is welcome even if it restates the last one.
        if (time < this.#lastTime) return;
      } else if (time < this.#lastTime) {
        return;
      } else if (
        time === this.#lastTime &&
        this.#last !== undefined &&
        this.#options.sameSample(sample, this.#last)
      ) {
        return;
      }
      this.#lastTime = time;
      this.#pruneStandbys();
    }
    this.#lost = false;
    this.#last = sample;
    this.#options.deliver(sample, server);
  }

  /** Standby values at or before the last delivered time can never be delivered: drop them. */
  #pruneStandbys(): void {
    if (!this.#options.buffered) return;
    for (let i = 0; i < this.#buffers.length; i++) {
      if (i === this.#active) continue;
      const buffer = this.#buffers[i]!;
      for (let head = buffer.peek(); head !== undefined; head = buffer.peek()) {
        const time = this.#options.timeOf(head);
        if (time === undefined || time > this.#lastTime) break;
        buffer.shift();
      }
    }
  }
}
