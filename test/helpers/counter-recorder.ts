/**
 * Records the Counter values a monitor delivers and checks them the way DESIGN §7 says: with
 * shared-clock simulators, a jump by more than 1 is a lost value, a repeat is a duplicate, a step
 * back is a regression.
 */
import type { DataValue } from "node-opcua";
import { waitFor } from "./wait.ts";

export interface Received {
  value: number;
  sourceTime: number;
  receivedAt: number;
}

export interface SequenceReport {
  count: number;
  /** Values missing between consecutive deliveries (sum of jumps - 1). */
  lost: number;
  duplicates: number;
  regressions: number;
  gaps: { after: number; next: number; atIndex: number }[];
}

export class CounterRecorder {
  readonly values: Received[] = [];
  readonly bad: { status: string; receivedAt: number }[] = [];

  readonly onValue = (dv: DataValue): void => {
    if (!dv.statusCode.isGood()) {
      this.bad.push({ status: dv.statusCode.name, receivedAt: Date.now() });
      return;
    }
    this.values.push({
      value: dv.value.value as number,
      sourceTime: dv.sourceTimestamp?.getTime() ?? Number.NaN,
      receivedAt: Date.now(),
    });
  };

  get count(): number {
    return this.values.length;
  }

  /** Waits until `n` more good values have arrived after the current count. */
  async waitForMore(n: number, timeoutMs: number, what = `${n} more Counter values`): Promise<Received> {
    const target = this.values.length + n;
    await waitFor(() => this.values.length >= target, timeoutMs, what);
    return this.values[target - 1]!;
  }

  /** The first value received after `time` (ms since epoch). */
  async firstAfter(time: number, timeoutMs: number): Promise<Received> {
    return waitFor(
      () => this.values.find((r) => r.receivedAt >= time),
      timeoutMs,
      "a Counter value after the fault",
    );
  }

  report(fromIndex = 0): SequenceReport {
    const report: SequenceReport = { count: 0, lost: 0, duplicates: 0, regressions: 0, gaps: [] };
    const slice = this.values.slice(fromIndex);
    report.count = slice.length;
    for (let i = 1; i < slice.length; i++) {
      const step = slice[i]!.value - slice[i - 1]!.value;
      if (step === 0) report.duplicates++;
      else if (step < 0) report.regressions++;
      else if (step > 1) {
        report.lost += step - 1;
        report.gaps.push({ after: slice[i - 1]!.value, next: slice[i]!.value, atIndex: fromIndex + i });
      }
    }
    return report;
  }
}
