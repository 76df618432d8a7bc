/**
 * The chaos soak's check that a write through the gateway is executed on the active server only,
 * as counters: each write is matched with the simulators' write reports and settled once no
 * report can still come, so nothing is kept per write beyond that (a list of every write and
 * every simulator report grew with the run, in the heap the soak measures).
 */
import type { SimProcess } from "../../test/helpers/sim-process.ts";

/** A report this old is not on its way any more: the write is settled with what came. */
const SETTLE_AFTER_MS = 30_000;
const STATUS_NODE = "ns=1;s=Status";

interface PendingWrite {
  pair: number;
  activeBefore: number | null;
  activeAfter: number | null;
  sentAt: number;
}

export interface WriteCounts {
  total: number;
  good: number;
  /** Executed on more than one server, or (no switch around it) on one that was not active. */
  wrongServer: number;
  /** Reported Good but executed on no server. */
  notFound: number;
}

export class SoakWriteCheck {
  readonly counts: WriteCounts = { total: 0, good: 0, wrongServer: 0, notFound: 0 };
  /** Good writes not settled yet, by the value written (unique in a run). */
  readonly #pending = new Map<number, PendingWrite>();
  /** Value written → the simulators (index in `sims`) that reported it, with when it first came. */
  readonly #executed = new Map<number, { servers: Set<number>; at: number }>();
  readonly #unsubscribe: (() => void)[] = [];

  /** `sims[2 * pair + server]`, as the gateway rig has them. */
  constructor(sims: readonly SimProcess[]) {
    for (const [i, sim] of sims.entries()) {
      this.#unsubscribe.push(
        sim.onWrite((entry) => {
          if (entry.nodeId !== STATUS_NODE || typeof entry.value !== "number") return;
          const executed = this.#executed.get(entry.value) ?? { servers: new Set(), at: Date.now() };
          executed.servers.add(i);
          this.#executed.set(entry.value, executed);
        }),
      );
    }
  }

  /** A write of `value` through the gateway to `pair` answered `status`. */
  sent(pair: number, value: number, status: string, activeBefore: number | null, activeAfter: number | null) {
    this.counts.total++;
    if (status === "Good") {
      this.counts.good++;
      this.#pending.set(value, { pair, activeBefore, activeAfter, sentAt: Date.now() });
    }
    this.#settle(Date.now() - SETTLE_AFTER_MS);
  }

  /** Settles every write (the run is over) and stops listening. */
  finish(): WriteCounts {
    this.#settle(Number.POSITIVE_INFINITY);
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    return this.counts;
  }

  #settle(sentBefore: number): void {
    for (const [value, write] of this.#pending) {
      if (write.sentAt > sentBefore) continue;
      this.#pending.delete(value);
      const on = [...(this.#executed.get(value)?.servers ?? [])]
        .filter((i) => Math.floor(i / 2) === write.pair)
        .map((i) => i % 2);
      this.#executed.delete(value);
      if (on.length === 0) this.counts.notFound++;
      else if (on.length > 1 || (write.activeBefore === write.activeAfter && on[0] !== write.activeBefore))
        this.counts.wrongServer++;
    }
    // reports of writes that were not Good (or of values nobody is waiting for) go after a while
    for (const [value, executed] of this.#executed)
      if (executed.at <= sentBefore - SETTLE_AFTER_MS && !this.#pending.has(value))
        this.#executed.delete(value);
  }
}
