/**
 * The failover matrix of the engine (mode × fault of the primary), shared by one test file per
 * mode so that the runner can run the modes side by side.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Mode } from "../../src/redundancy/types.ts";
import { type Fault, faults, TICK_MS } from "../helpers/faults.ts";
import { startRig } from "../helpers/pair-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

/** Values a warm or cold failover may lose: the outage plus re-subscription, generously. */
function lossBound(mode: Mode, fault: Fault): number {
  if (mode === "hot") return 0;
  return Math.ceil((fault.boundMs + 3000) / TICK_MS);
}

export function failoverMatrix(mode: Mode): void {
  for (const fault of faults) {
    test(`${mode} mode: ${fault.name} of the primary → failover, Counter keeps flowing`, {
      timeout: INTEGRATION_TEST_TIMEOUT_MS,
    }, async (t) => {
      const rig = await startRig({ mode, tickMs: TICK_MS, shutdownDelayMs: 3000 });
      try {
        await rig.counter.waitForMore(10, 10_000, "values from the primary");
        assert.equal(rig.client.status().activeIndex, 0);
        const fromIndex = rig.counter.count;
        const faultAt = Date.now();
        await fault.inject(rig);
        const failover = await waitFor(() => rig.failovers[0], fault.boundMs + 5000, "the failover event");
        const failoverAt = failover.at.getTime();
        assert.equal(failover.toIndex, 1);
        assert.ok(fault.reasons.includes(failover.reason), `reason ${failover.reason}: ${failover.detail}`);
        assert.ok(
          failoverAt - faultAt <= fault.boundMs,
          `failover after ${failoverAt - faultAt} ms > ${fault.boundMs} ms`,
        );
        const first = await rig.counter.firstAfter(failoverAt, 10_000);
        await rig.counter.waitForMore(25, 10_000, "values from the secondary");
        fault.check?.(rig, failoverAt);
        const report = rig.counter.report(fromIndex - 1);
        t.diagnostic(
          `detect ${failoverAt - faultAt} ms, first value ${first.receivedAt - faultAt} ms after the fault, ` +
            `lost ${report.lost}, duplicates ${report.duplicates}, regressions ${report.regressions}`,
        );
        assert.equal(report.duplicates, 0, "duplicates");
        assert.equal(report.regressions, 0, "regressions");
        assert.ok(
          report.lost <= lossBound(mode, fault),
          `lost ${report.lost} values: ${JSON.stringify(report.gaps)}`,
        );
        assert.equal(rig.client.status().activeIndex, 1);
      } finally {
        await rig.dispose();
      }
    });
  }
}
