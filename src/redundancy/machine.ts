import { ColdCycle } from "./cold-cycle.ts";
import {
  bestServer,
  describeFacts,
  describeServers,
  type PolicyOptions,
  Rank,
  rankServer,
  reasonForLeaving,
} from "./policy.ts";
import type { Decision, Mode, PairState, ServerFacts, SwitchReason } from "./types.ts";

export interface MachineOptions extends PolicyOptions {
  serverCount: number;
  mode: Mode;
  failback: { policy: "auto" | "manual"; holdMs: number };
  /** Minimum time between two switches, unless the active server cannot serve at all. */
  minDwellMs: number;
  /** At start, how long to wait for a more preferred server still connecting before using another. */
  startupGraceMs: number;
  /** Cold mode: pause after a full cycle of failed connection attempts. */
  retryDelayMs: number;
  /** Names used in decision details (default "server <index>"). */
  serverNames?: readonly string[];
}

/**
 * The redundancy state machine of one pair. Pure: it is told facts and the time, and answers with
 * decisions; it owns no timer and no socket. The caller applies decisions and calls `evaluate()`
 * again at `nextWakeAt()`.
 */
export class RedundancyMachine {
  readonly #options: MachineOptions;
  readonly #facts: ServerFacts[];
  readonly #ranks: Rank[];
  /** Since when each server has been at least as fit as the active one without a break (null: not now). */
  readonly #fitSince: (number | null)[];
  #state: PairState = "starting";
  #active: number | null = null;
  /** The last active server; in cold mode, while state is "active" without an active server, the lost one. */
  #lastActive: number | null = null;
  #lastSwitchAt = Number.NEGATIVE_INFINITY;
  readonly #startedAt: number;
  /** Set by a manual switch: no automatic failback until the next non-manual switch. */
  #pinned = false;
  #wakeAt: number | null = null;
  /** Servers that have failed at least one connection attempt (decides when a start is hopeless). */
  readonly #attempted = new Set<number>();
  readonly #cycle: ColdCycle;

  constructor(options: MachineOptions, now: number) {
    if (options.serverCount < 1) throw new RangeError("serverCount must be >= 1");
    this.#options = options;
    this.#facts = Array.from({ length: options.serverCount }, () => ({ status: "unknown" }) as ServerFacts);
    this.#ranks = this.#facts.map(() => Rank.unreachable);
    this.#fitSince = this.#facts.map(() => null);
    this.#startedAt = now;
    this.#cycle = new ColdCycle(options.retryDelayMs);
  }

  get state(): PairState {
    return this.#state;
  }
  get active(): number | null {
    return this.#active;
  }
  /**
   * The server that was active last, kept while none is (cold mode keeps its items there): the
   * only record of it (RedundantClient asks here).
   */
  get lastActive(): number | null {
    return this.#lastActive;
  }
  get lastSwitchAt(): number | null {
    return Number.isFinite(this.#lastSwitchAt) ? this.#lastSwitchAt : null;
  }
  facts(server: number): Readonly<ServerFacts> {
    return this.#facts[server]!;
  }
  rank(server: number): Rank {
    return this.#ranks[server]!;
  }
  /** When the caller should call `evaluate()` again even if no fact changes (null: not needed). */
  nextWakeAt(): number | null {
    return this.#wakeAt;
  }

  /** Record new facts about one server and decide. */
  update(server: number, facts: ServerFacts, now: number): Decision[] {
    this.#checkServer(server);
    this.#facts[server] = { ...facts };
    if (facts.status === "down") this.#attempted.add(server);
    this.#ranks[server] = rankServer(facts, this.#options);
    this.#refreshFitness(now);
    return this.evaluate(now);
  }

  /** Operator command: switch to `target`, or to the best other server. */
  requestSwitch(now: number, target?: number): Decision[] | { refused: string } {
    if (this.#state === "stopped") return { refused: "the pair is stopped" };
    if (target !== undefined) this.#checkServer(target);
    const to = target ?? bestServer(this.#ranks, this.#active ?? undefined);
    if (to === null) return { refused: "no other server is reachable" };
    if (to === this.#active) return { refused: "that server is already active" };
    if (this.#ranks[to] === Rank.unreachable) return { refused: `${this.#name(to)} is not reachable` };
    const decision = this.#switch(to, "manual", `operator request (${describeFacts(this.#facts[to]!)})`, now);
    this.#pinned = true;
    return [decision, ...this.evaluate(now)];
  }

  stop(): void {
    this.#state = "stopped";
    this.#active = null;
    this.#wakeAt = null;
  }

  evaluate(now: number): Decision[] {
    this.#wakeAt = null;
    if (this.#state === "stopped") return [];
    const decisions: Decision[] = [];
    // After a switch, decide again: the new situation needs its wake time, or even another switch.
    for (let round = 0; round <= this.#facts.length; round++) {
      this.#wakeAt = null;
      const step = this.#decide(now);
      decisions.push(...step);
      if (step.at(-1)?.kind !== "switch") break;
    }
    return decisions;
  }

  #decide(now: number): Decision[] {
    const active = this.#active;
    if (active === null || this.#ranks[active] === Rank.unreachable) return this.#needActive(now);
    const decision = this.#betterServer(active, now) ?? this.#failback(active, now);
    if (decision) return [decision];
    return this.#options.mode === "cold" ? this.#coldProbe(active, now) : [];
  }

  /** No active server, or the active one stopped answering. */
  #needActive(now: number): Decision[] {
    const previous = this.#active;
    if (previous !== null) {
      // Just lost: a fresh cold cycle starts after it; a try in flight counts as made.
      this.#lastActive = previous;
      this.#active = null;
      const busy = this.#facts.flatMap((f, i) => (f.status === "connecting" && i !== previous ? [i] : []));
      this.#cycle.restartAfter(previous, busy);
    }
    const best = bestServer(this.#ranks);
    if (best !== null && !this.#waitForPreferred(best, now)) return [this.#takeOver(best, now)];
    const decisions: Decision[] = [];
    if (best === null && this.#state !== "allLost" && this.#nothingLeftToTry()) {
      const starting = this.#state === "starting";
      this.#state = "allLost";
      const from = starting ? null : this.#lastActive;
      const reason: SwitchReason = starting ? "initial" : "commLost";
      decisions.push({
        kind: "lost",
        from,
        reason,
        detail: describeServers(this.#facts, this.#options.serverNames),
      });
    }
    if (this.#options.mode === "cold" && best === null) decisions.push(...this.#coldTry(now, () => true));
    return decisions;
  }

  /** Make `best` active while none is: a failover, the first start, or a recovery after allLost. */
  #takeOver(best: number, now: number): Decision {
    // State "active" without an active server: a cold failover cycle, from the lost server.
    const lost = this.#state === "active" ? this.#lastActive : null;
    if (lost !== null && lost !== best) {
      const detail = `${this.#name(lost)} lost (${describeFacts(this.#facts[lost]!)})`;
      return this.#switch(best, "commLost", detail, now, lost);
    }
    const reason: SwitchReason = this.#state === "starting" ? "initial" : "recovered";
    return this.#switch(best, reason, `${this.#name(best)} is ${describeFacts(this.#facts[best]!)}`, now);
  }

  /**
   * True when waiting cannot bring an active server soon: cold, a whole cycle failed; warm/hot, every
   * link is connected already (none is up) or, at start, every server failed at least one attempt.
   */
  #nothingLeftToTry(): boolean {
    if (this.#options.mode === "cold") {
      return this.#cycle.tried >= this.#facts.length && !this.#facts.some((f) => f.status === "connecting");
    }
    return this.#state !== "starting" || this.#attempted.size >= this.#facts.length;
  }

  /** At start, prefer a more preferred server that is still connecting, for a short grace time. */
  #waitForPreferred(best: number, now: number): boolean {
    if (this.#state !== "starting") return false;
    const graceEnd = this.#startedAt + this.#options.startupGraceMs;
    if (now >= graceEnd) return false;
    for (let i = 0; i < best; i++) {
      const status = this.#facts[i]!.status;
      if (status === "connecting" || (status === "unknown" && this.#options.mode !== "cold")) {
        this.#wake(graceEnd);
        return true;
      }
    }
    return false;
  }

  /** The active server works but another one is strictly fitter. */
  #betterServer(active: number, now: number): Decision | null {
    const activeRank = this.#ranks[active]!;
    const best = bestServer(this.#ranks);
    if (best === null || this.#ranks[best]! <= activeRank) return null;
    // A server that is shutting down or not running cannot wait for the dwell time, nor one that
    // announces Maintenance (ServiceLevel 0: a planned switch, e.g. a gateway instance stopping).
    const urgent = activeRank <= Rank.notRunning || this.#facts[active]!.serviceLevel === 0;
    const dwellEnd = this.#lastSwitchAt + this.#options.minDwellMs;
    if (!urgent && now < dwellEnd) {
      this.#wake(dwellEnd);
      return null;
    }
    const detail = `${this.#name(active)} is ${describeFacts(this.#facts[active]!)}; ${this.#name(best)} is ${describeFacts(this.#facts[best]!)}`;
    return this.#switch(best, reasonForLeaving(activeRank), detail, now);
  }

  /** Return to a more preferred server that has been at least as fit as the active one for `holdMs`. */
  #failback(active: number, now: number): Decision | null {
    if (!this.#failbackAllowed(active)) return null;
    const dwellEnd = this.#lastSwitchAt + this.#options.minDwellMs;
    let wake = Number.POSITIVE_INFINITY;
    for (let i = 0; i < active; i++) {
      const since = this.#fitSince[i];
      if (since === null) continue;
      const ready = Math.max(since + this.#options.failback.holdMs, dwellEnd);
      if (now >= ready) {
        const detail = `${this.#name(i)} at least as fit for ${now - since} ms (${describeFacts(this.#facts[i]!)})`;
        return this.#switch(i, "failback", detail, now);
      }
      wake = Math.min(wake, ready);
    }
    if (Number.isFinite(wake)) this.#wake(wake);
    return null;
  }

  #failbackAllowed(active: number): boolean {
    return this.#options.failback.policy === "auto" && !this.#pinned && active !== 0;
  }

  /** Keep, per server, since when it has been reachable and at least as fit as the active one. */
  #refreshFitness(now: number): void {
    const floor = this.#active === null ? Rank.unreachable : this.#ranks[this.#active]!;
    for (let i = 0; i < this.#ranks.length; i++) {
      const fit = this.#ranks[i] !== Rank.unreachable && this.#ranks[i]! >= floor;
      this.#fitSince[i] = fit ? (this.#fitSince[i] ?? now) : null;
    }
  }

  #switch(to: number, reason: SwitchReason, detail: string, now: number, from = this.#active): Decision {
    this.#active = to;
    this.#lastActive = to;
    this.#state = "active";
    this.#lastSwitchAt = now;
    this.#pinned = false;
    this.#cycle.restartAfter(to);
    this.#refreshFitness(now);
    return { kind: "switch", from, to, reason, detail };
  }

  // ---- cold mode: standbys are not connected; connect candidates one at a time ----

  /**
   * The active server answers; the standbys are not connected. Connect them when a trigger fires on
   * the active server, or the more preferred ones to watch them for auto failback (a retry delay
   * after a switch: they have just failed or been left). One that answers stays connected.
   */
  #coldProbe(active: number, now: number): Decision[] {
    const activeRank = this.#ranks[active]!;
    // A fitter server is known already: the dwell time is all that holds the switch back.
    if (this.#ranks[bestServer(this.#ranks)!]! > activeRank) return [];
    const trigger = activeRank < Rank.healthy;
    let watch = this.#failbackAllowed(active);
    const watchAt = this.#lastSwitchAt + this.#options.retryDelayMs;
    if (watch && !trigger && now < watchAt) {
      this.#wake(watchAt);
      watch = false;
    }
    // Nothing to look for: forget the cycle, so that a later one does not skip servers tried long ago.
    if (!trigger && !watch) this.#cycle.restartAfter(active);
    return this.#coldTry(now, (i) => trigger || (watch && i < active));
  }

  /** Connect the next unconnected candidate, unless one is connecting already. */
  #coldTry(now: number, wanted: (server: number) => boolean): Decision[] {
    if (this.#facts.some((f) => f.status === "connecting")) return [];
    const candidates = this.#facts
      .map((_, i) => i)
      .filter((i) => i !== this.#active && this.#ranks[i] === Rank.unreachable && wanted(i));
    const next = this.#cycle.next(candidates, now);
    if (next === null) return [];
    if ("wakeAt" in next) {
      this.#wake(next.wakeAt);
      return [];
    }
    this.#facts[next.server] = { status: "connecting" };
    return [{ kind: "try", server: next.server }];
  }

  #name(server: number): string {
    return this.#options.serverNames?.[server] ?? `server ${server}`;
  }

  #wake(at: number): void {
    if (this.#wakeAt === null || at < this.#wakeAt) this.#wakeAt = at;
  }

  #checkServer(server: number): void {
    if (!Number.isInteger(server) || server < 0 || server >= this.#facts.length) {
      throw new RangeError(`server index ${server} out of range 0..${this.#facts.length - 1}`);
    }
  }
}
