/**
 * Sequence numbers of one subscription's NotificationMessages (OPC UA Part 4 §7.26), pure: no
 * node-opcua, no timers. A data message carries its own number; a keep-alive carries the number the
 * *next* data message will have, so it must not advance what has been received.
 *
 * Numbers are UInt32, start at 1 and wrap to 1 after 4294967295 (0 is never used).
 */
export type SequenceObservation =
  /** The expected message (or the first one seen). */
  | { kind: "inOrder" }
  /** Messages `from`..`to` (inclusive) were never received. */
  | { kind: "gap"; missing: number; from: number; to: number }
  /** Older than or equal to one already received (a duplicate Republish answer): ignore. */
  | { kind: "stale" };

const MAX = 4_294_967_295;

/** Forward distance from `a` to `b` in the wrapping 1..MAX sequence. */
function distance(a: number, b: number): number {
  if (b >= a) return b - a;
  return MAX - a + b; // wrapped: a..MAX, then 1..b (0 skipped)
}

function after(n: number, steps: number): number {
  const next = n + steps;
  return next > MAX ? next - MAX : next;
}

export class SequenceTracker {
  /** The number the next data message should carry (null until the first message). */
  #next: number | null = null;

  /** The number the next data message should carry: where Republish continues (null if unknown). */
  get next(): number | null {
    return this.#next;
  }

  /** A NotificationMessage with notifications, numbered `sequenceNumber`. */
  data(sequenceNumber: number): SequenceObservation {
    const observation = this.#observe(sequenceNumber);
    if (observation.kind !== "stale") this.#next = after(sequenceNumber, 1);
    return observation;
  }

  /** A keep-alive: `sequenceNumber` is the number of the next data message. */
  keepAlive(sequenceNumber: number): SequenceObservation {
    const observation = this.#observe(sequenceNumber);
    if (observation.kind !== "stale") this.#next = sequenceNumber;
    return observation;
  }

  /** The subscription was re-created: numbering starts again. */
  reset(): void {
    this.#next = null;
  }

  #observe(sequenceNumber: number): SequenceObservation {
    const expected = this.#next;
    if (expected === null || sequenceNumber === expected) return { kind: "inOrder" };
    const ahead = distance(expected, sequenceNumber);
    // More than half the ring ahead means behind: an old message replayed.
    if (ahead > MAX / 2) return { kind: "stale" };
    return { kind: "gap", missing: ahead, from: expected, to: after(sequenceNumber, MAX - 1) };
  }
}
