/**
 * Stream selection for one monitored item across the servers of a pair (pure: no I/O, no timers).
 *
 * - Values from the item's source (the active server) are delivered, unless older than the last
 *   delivered value ("never older over newer"), or the very same sample again (a re-subscription's
 *   initial value).
 * - Which timestamps are compared: a server's values with the same server's by their own source
 *   timestamps (one clock); values of different servers by gateway time, i.e. each source
 *   timestamp less its server's `correctionOf` (the server's clock offset when the server stamped
 *   the value with its own clock, 0 for a device's timestamps, which both servers carry alike).
 * - A live value of the source older than the last delivered one by more than `maxRegressionMs`
 *   is a time regression (a device clock that jumped back): delivered and reported, so that an
 *   item never freezes. Replayed (Republish) and buffered standby values keep the strict rule, and
 *   so does the first value from a server after it became the source or its stream restarted: a
 *   server's initial value (SetMonitoringMode Reporting, a re-created item) may be its cached last
 *   sample, minutes old (node-opcua sends the value it had when the item was disabled).
 * - A clock step of a server (measured by the caller) re-bases the ordering: the step back is
 *   allowed once on the items that server feeds, and its buffered values (old clock) are dropped.
 * - In hot mode each standby's values newer than the last delivered one are kept in a bounded
 *   buffer; they are pruned as the source moves past them, so in steady state the buffer holds only
 *   the standby's lead. At failover the new active server's buffered values newer than the last
 *   delivered one are delivered first, in order: no value is lost or duplicated when the servers
 *   read the same device.
 * - `bestQuality` (hot mode): for one instant, a Good sample of any server beats a Bad one of the
 *   active server. While the active server's item is Bad and a standby's is Good, the standby's
 *   stream is the item's source. The active server takes it back once the standby's stream has
 *   reached the instant of the active's first Good value again (the active's Good values are
 *   buffered until then, so a standby that lags the active loses no instant), or when the active's
 *   Good values lead the standby's by more than `handBackLagMs` (a stalled standby), and at once on
 *   the standby's own Bad value or the loss of its link (`serverLost`). A standby's latest Good
 *   value counts however old it is: no notification means no change.
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
  /** What to subtract from the source time of `server`'s sample to get gateway time (default 0). */
  correctionOf?(sample: S, server: number): number;
  /** Same value and status (timestamps already compared). */
  sameSample(a: S, b: S): boolean;
  deliver(sample: S, server: number | null): void;
  /** A live value this much older than the last delivered one is delivered anyway (default: never). */
  maxRegressionMs?: number;
  /** A time regression was delivered (see maxRegressionMs or a clock step). */
  onRegression?(server: number, regressionMs: number): void;
  /** Quality-aware selection (hot mode): for one instant, Good beats Bad. */
  bestQuality?: {
    isGood(sample: S): boolean;
    /** The active's Good values take the item back once they lead the standby's by this much. */
    handBackLagMs: number;
  };
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
  /** Keep only the samples `keep` accepts. */
  retain(keep: (sample: S) => boolean): void {
    this.#items = this.#items.slice(this.#head).filter(keep);
    this.#head = 0;
  }
}

const noCorrection = () => 0;

export class ItemMirror<S> {
  readonly #options: MirrorOptions<S>;
  readonly #correctionOf: (sample: S, server: number) => number;
  readonly #maxRegressionMs: number;
  readonly #buffers: SampleQueue<S>[];
  /** Last sample without a source time per standby (kept only as "the current value"). */
  readonly #untimed: (S | undefined)[];
  /** bestQuality: each server's latest sample. */
  readonly #latest: (S | undefined)[] | null;
  #active: number | null = null;
  /** Whose stream is delivered: the active server, or (bestQuality) a standby with Good values. */
  #source: number | null = null;
  #last: S | undefined;
  /** Source time of the last delivered timed sample, on the clock of #lastServer. */
  #lastTime = Number.NEGATIVE_INFINITY;
  #lastServer: number | null = null;
  #lastCorrection = 0;
  /** After a clock step back of #lastServer: one regression of about this size is the new baseline. */
  #stepBack: { sizeMs: number; toleranceMs: number } | null = null;
  #lost = false;
  /** bestQuality: gateway time of the active's first Good value while a standby is the source. */
  #handBackAt: number | null = null;
  /** The source's next value is its first since it became the source (or its stream restarted). */
  #sourceFresh = false;
  /** Standby values dropped because a buffer was full (a lost value if that standby takes over). */
  overflowed = 0;

  constructor(options: MirrorOptions<S>) {
    this.#options = options;
    this.#correctionOf = options.correctionOf ?? noCorrection;
    this.#maxRegressionMs = options.maxRegressionMs ?? Number.POSITIVE_INFINITY;
    this.#buffers = Array.from({ length: options.serverCount }, () => new SampleQueue<S>());
    this.#untimed = new Array(options.serverCount).fill(undefined);
    this.#latest = options.bestQuality ? new Array(options.serverCount).fill(undefined) : null;
  }

  get active(): number | null {
    return this.#active;
  }
  /** The server whose values the item delivers (differs from `active` only with bestQuality). */
  get source(): number | null {
    return this.#source;
  }
  get lastDelivered(): S | undefined {
    return this.#last;
  }

  /** A value arrived from `server`; `live` = false for replayed values (Republish, recovery reads). */
  offer(server: number, sample: S, live = true): void {
    const quality = this.#options.bestQuality;
    if (this.#latest) this.#latest[server] = sample;
    if (server === this.#source) {
      const first = this.#sourceFresh;
      this.#sourceFresh = false;
      if (quality && !quality.isGood(sample)) {
        if (this.#toGoodStandby(server)) return;
        if (server !== this.#active && this.#handBack()) return;
      }
      this.#deliverIfNewer(sample, server, live && !first);
      if (this.#handBackAt !== null && this.#deliveredTime() >= this.#handBackAt) this.#handBack();
      return;
    }
    if (server === this.#active && quality) {
      this.#offerActiveOnStandby(server, sample, quality.handBackLagMs);
      return;
    }
    if (!this.#options.buffered) return;
    const time = this.#options.timeOf(sample);
    if (time === undefined) {
      this.#untimed[server] = sample;
      return;
    }
    this.#buffer(server, sample, time);
  }

  /** Keep a sample of a server that is not the source, if it could still be delivered. */
  #buffer(server: number, sample: S, time: number): void {
    // Only what could still be delivered: newer, or (after a Bad) a restatement of the last value.
    const ahead = this.#ahead(sample, time, server);
    if (ahead < 0 || (ahead === 0 && !this.#lost)) return;
    const buffer = this.#buffers[server]!;
    if (buffer.size >= this.#options.bufferSize) {
      buffer.shift();
      this.overflowed++;
    }
    buffer.push(sample);
  }

  /**
   * bestQuality, the item on a standby: the active's Bad values are not wanted (the standby has
   * Good ones); its Good values wait until the standby's stream reaches their first instant, so
   * that the instants only the lagging standby has delivered yet are not skipped.
   */
  #offerActiveOnStandby(active: number, sample: S, lagMs: number): void {
    if (!this.#options.bestQuality!.isGood(sample)) {
      this.#buffers[active]!.clear();
      this.#handBackAt = null;
      return;
    }
    const time = this.#options.timeOf(sample);
    if (time === undefined) {
      this.#handBack();
      this.#deliverIfNewer(sample, active, false);
      return;
    }
    const at = time - this.#correctionOf(sample, active);
    this.#handBackAt ??= at;
    const full = this.#buffers[active]!.size >= this.#options.bufferSize;
    this.#buffer(active, sample, time);
    const delivered = this.#deliveredTime();
    if (delivered >= this.#handBackAt || at - delivered > lagMs || full) this.#handBack();
  }

  /**
   * bestQuality: the item returns from a standby to the active server, its buffered Good values
   * first. True if the active's latest value is Good (the standby's Bad one is then not wanted).
   */
  #handBack(): boolean {
    const active = this.#active;
    if (active === null) return false;
    this.#source = active;
    this.#handBackAt = null;
    this.#drain(active);
    const latest = this.#latest?.[active];
    return latest !== undefined && this.#options.bestQuality!.isGood(latest);
  }

  /** Gateway time of the last delivered timed sample (−∞ before the first). */
  #deliveredTime(): number {
    return this.#lastTime - this.#lastCorrection;
  }

  /** `server` becomes the active one: first its buffered values newer than the last delivered. */
  activate(server: number): void {
    this.#active = server;
    this.#source = server;
    this.#handBackAt = null;
    this.#stepBack = null;
    this.#sourceFresh = true;
    this.#drain(server);
    const latest = this.#latest?.[server];
    if (latest !== undefined && !this.#options.bestQuality!.isGood(latest)) this.#toGoodStandby(server);
  }

  /** Every server is lost: deliver `bad` once; nothing is active until `activate`. */
  lose(bad: S): void {
    this.#active = null;
    this.#source = null;
    this.#handBackAt = null;
    if (this.#lost) return;
    this.#lost = true;
    this.#last = bad; // what a listener joining now must see
    this.#options.deliver(bad, null);
  }

  /** The server's stream restarts (e.g. its link reconnected): drop what it had buffered. */
  resetServer(server: number): void {
    if (server === this.#source) this.#sourceFresh = true;
    if (server === this.#active) this.#handBackAt = null;
    this.#buffers[server]!.clear();
    this.#untimed[server] = undefined;
  }

  /** The server's link is down: a standby serving the item (bestQuality) hands it back to the active. */
  serverLost(server: number): void {
    if (!this.#latest) return;
    this.#latest[server] = undefined;
    if (server !== this.#source || this.#source === this.#active || this.#active === null) return;
    const active = this.#active;
    this.#handBack();
    const latest = this.#latest[active];
    if (latest !== undefined) this.#deliverIfNewer(latest, active, false);
  }

  /**
   * `server`'s clock stepped by `stepMs` (+ forward, − back), measured to within `toleranceMs`:
   * its buffered values stamped with its clock (a correction ≠ 0) carry the old clock and go
   * (device timestamps stay); if it fed the last delivered value, one regression of the step's
   * size is taken as the new baseline instead of being dropped. Device timestamps never regress
   * by the step, so they are never re-based by it.
   */
  clockStepped(server: number, stepMs: number, toleranceMs: number): void {
    this.#buffers[server]!.retain((sample) => this.#correctionOf(sample, server) === 0);
    if (server === this.#active) this.#handBackAt = null; // measured on the old clock
    this.#untimed[server] = undefined;
    if (stepMs < 0 && server === this.#lastServer) this.#stepBack = { sizeMs: -stepMs, toleranceMs };
  }

  #drain(server: number): void {
    const buffer = this.#buffers[server]!;
    for (let sample = buffer.shift(); sample !== undefined; sample = buffer.shift()) {
      this.#deliverIfNewer(sample, server, false);
    }
    const untimed = this.#untimed[server];
    this.#untimed[server] = undefined;
    if (untimed !== undefined) this.#deliverIfNewer(untimed, server, false);
  }

  /** bestQuality: move the item to a standby whose latest sample is Good and current. */
  #toGoodStandby(from: number): boolean {
    const quality = this.#options.bestQuality;
    if (!quality || !this.#latest) return false;
    for (let i = 0; i < this.#latest.length; i++) {
      const candidate = this.#latest[i];
      if (i === from || i === this.#active || candidate === undefined || !quality.isGood(candidate)) continue;
      this.#source = i;
      this.#drain(i);
      return true;
    }
    return false;
  }

  /** How much newer `sample` is than the last delivered one (ms; < 0: older), on one clock. */
  #ahead(sample: S, time: number, server: number): number {
    if (server === this.#lastServer) return time - this.#lastTime;
    return time - this.#correctionOf(sample, server) - this.#deliveredTime();
  }

  #deliverIfNewer(sample: S, server: number, live: boolean): void {
    const time = this.#options.timeOf(sample);
    if (time !== undefined) {
      const ahead = this.#ahead(sample, time, server);
      if (ahead === 0) {
        // After a Bad notification the current value is welcome even if it restates the last one.
        if (!this.#lost && this.#last !== undefined && this.#options.sameSample(sample, this.#last)) return;
      } else if (ahead < 0 && !this.#acceptRegression(-ahead, server, live)) {
        return;
      }
      this.#lastTime = time;
      this.#lastServer = server;
      this.#lastCorrection = this.#correctionOf(sample, server);
      this.#pruneStandbys();
    }
    this.#lost = false;
    this.#last = sample;
    this.#options.deliver(sample, server);
  }

  /** An older value of the source's live stream: a re-based clock step, or a time regression. */
  #acceptRegression(regressionMs: number, server: number, live: boolean): boolean {
    if (!live) return false;
    const step = this.#stepBack;
    if (step && server === this.#lastServer && Math.abs(regressionMs - step.sizeMs) <= step.toleranceMs) {
      this.#stepBack = null;
      return true;
    }
    if (regressionMs <= this.#maxRegressionMs) return false;
    this.#options.onRegression?.(server, regressionMs);
    return true;
  }

  /** Standby values at or before the last delivered time can never be delivered: drop them. */
  #pruneStandbys(): void {
    if (!this.#options.buffered) return;
    for (let i = 0; i < this.#buffers.length; i++) {
      if (i === this.#source) continue;
      const buffer = this.#buffers[i]!;
      for (let head = buffer.peek(); head !== undefined; head = buffer.peek()) {
        const time = this.#options.timeOf(head);
        if (time === undefined || this.#ahead(head, time, i) > 0) break;
        buffer.shift();
      }
    }
  }
}
