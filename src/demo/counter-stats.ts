/**
 * The demo's running proof: the shared-clock Counter goes up by exactly 1 per tick on both servers,
 * so a jump by more than 1 is a lost value, a repeat a duplicate and a step back a reordering.
 */
import type { DataValue } from "node-opcua";

export class CounterStats {
  /** Good values received. */
  received = 0;
  /** Values missing between consecutive good values (sum of jumps - 1). */
  lost = 0;
  duplicates = 0;
  /** Steps back (an older value delivered after a newer one). */
  reordered = 0;
  /** Values with a Bad or Uncertain status (e.g. BadNoCommunication while every server is lost). */
  bad = 0;
  last: number | null = null;
  lastStatus = "none";

  /** Record one delivered value; returns a line worth printing on its own, if any. */
  offer(value: DataValue): string | null {
    this.lastStatus = value.statusCode.name;
    if (!value.statusCode.isGood()) {
      this.bad++;
      return `Counter delivered ${value.statusCode.name}`;
    }
    const counter = Number(value.value.value);
    this.received++;
    const previous = this.last;
    this.last = counter;
    if (previous === null) return null;
    const step = counter - previous;
    if (step === 0) {
      this.duplicates++;
      return `Counter duplicate: ${counter} twice`;
    }
    if (step < 0) {
      this.reordered++;
      return `Counter went back: ${previous} -> ${counter}`;
    }
    if (step > 1) {
      this.lost += step - 1;
      return `Counter gap: ${previous} -> ${counter} (${step - 1} lost)`;
    }
    return null;
  }
}
