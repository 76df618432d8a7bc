/**
 * The streaming form of CounterRecorder for long runs (the chaos soak): the same lost / duplicate /
 * regression counting (DESIGN §7), but it keeps only the last value, the counters and the first
 * `maxAnomalies` anomalies, so its memory does not grow with the run and the soak's heap samples
 * measure the gateway rather than its own record (a CounterRecorder keeps every value: 216,597 of
 * them, about 12 MB, in the 60-minute soak).
 */
import type { DataValue } from "node-opcua";
import type { SequenceReport } from "./counter-recorder.ts";
import { waitFor } from "./wait.ts";

export interface CounterAnomaly {
  /** Date.now() when it arrived. */
  receivedAt: number;
  /** "repeated", "regressed by N", "lost N" or a Bad StatusCode's name. */
  what: string;
}

export class CounterTally {
  /** Good values received. */
  count = 0;
  lost = 0;
  duplicates = 0;
  regressions = 0;
  /** Bad values received (not part of the sequence). */
  bad = 0;
  /** The first anomalies, in arrival order; `anomaliesDropped` counts the ones beyond the bound. */
  readonly anomalies: CounterAnomaly[] = [];
  anomaliesDropped = 0;
  #last: number | undefined;

  constructor(readonly maxAnomalies = 100) {}

  readonly onValue = (dv: DataValue): void => {
    const receivedAt = Date.now();
    if (!dv.statusCode.isGood()) {
      this.bad++;
      this.#anomaly(receivedAt, dv.statusCode.name);
      return;
    }
    const value = dv.value.value as number;
    this.count++;
    const last = this.#last;
    this.#last = value;
    if (last === undefined) return;
    const step = value - last;
    if (step === 0) {
      this.duplicates++;
      this.#anomaly(receivedAt, "repeated");
    } else if (step < 0) {
      this.regressions++;
      this.#anomaly(receivedAt, `regressed by ${-step}`);
    } else if (step > 1) {
      this.lost += step - 1;
      this.#anomaly(receivedAt, `lost ${step - 1}`);
    }
  };

  #anomaly(receivedAt: number, what: string): void {
    if (this.anomalies.length < this.maxAnomalies) this.anomalies.push({ receivedAt, what });
    else this.anomaliesDropped++;
  }

  /** Waits until `n` more good values have arrived after the current count. */
  async waitForMore(n: number, timeoutMs: number, what = `${n} more Counter values`): Promise<void> {
    const target = this.count + n;
    await waitFor(() => this.count >= target, timeoutMs, what);
  }

  /** The counts of a CounterRecorder's report over the whole run (no gap list: it is not kept). */
  report(): Omit<SequenceReport, "gaps"> {
    return { count: this.count, lost: this.lost, duplicates: this.duplicates, regressions: this.regressions };
  }
}
