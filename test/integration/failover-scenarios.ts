/**
 * The failover matrix of the engine (mode × fault of the primary), shared by one test file per
 * mode so that the runner can run the modes side by side.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Mode, SwitchReason } from "../../src/redundancy/types.ts";
import { DataType, writeDirect } from "../helpers/opcua.ts";
import { type Rig, startRig, testStatusQuery } from "../helpers/pair-rig.ts";
import { waitFor } from "../helpers/wait.ts";

const TICK_MS = 20;
/** Subscription keep-alive with the defaults (100 ms × 10). */
const KEEP_ALIVE_MS = 1000;
/** Slack for a loaded 2-core machine. */
const SLACK_MS = 2500;
const SILENT_BOUND_MS = testStatusQuery.intervalMs + testStatusQuery.timeoutMs + KEEP_ALIVE_MS + SLACK_MS;

interface Fault {
  name: string;
  reasons: SwitchReason[];
  /** Failover must happen within this long after the fault. */
  boundMs: number;
  inject(rig: Rig): Promise<void> | void;
  /** Extra check after the failover. */
  check?(rig: Rig, failoverAt: number): void;
}

let gracefulExitAt = 0;

export const faults: Fault[] = [
  { name: "SIGKILL", reasons: ["commLost"], boundMs: SLACK_MS, inject: (r) => r.sims[0]!.kill() },
  {
    name: "SIGSTOP (frozen)",
    reasons: ["commLost"],
    boundMs: SILENT_BOUND_MS,
    inject: (r) => r.sims[0]!.freeze(),
  },
  {
    name: "network blackhole",
    reasons: ["commLost"],
    boundMs: SILENT_BOUND_MS,
    inject: (r) => r.proxies[0]!.setMode("blackhole"),
  },
  {
    name: "connection reset",
    reasons: ["commLost"],
    boundMs: SLACK_MS,
    inject: (r) => r.proxies[0]!.setMode("reset"),
  },
  {
    name: "graceful shutdown",
    reasons: ["serverState", "commLost"],
    boundMs: 1500,
    inject: (r) => {
      gracefulExitAt = 0;
      void r.sims[0]!.terminate().then(() => {
        gracefulExitAt = Date.now();
      });
    },
    // ServerState Shutdown is announced 3 s before the server closes: the switch must not wait.
    check: (_r, failoverAt) =>
      assert.ok(gracefulExitAt === 0 || failoverAt < gracefulExitAt, "switched before exit"),
  },
  {
    name: "ServiceLevel 150",
    reasons: ["serviceLevel"],
    boundMs: SLACK_MS,
    inject: async (r) => {
      assert.equal(
        await writeDirect(r.sims[0]!.endpointUrl, "ns=1;s=ServiceLevel", DataType.Byte, 150),
        "Good",
      );
    },
  },
  {
    name: "ServerState Suspended",
    reasons: ["serverState"],
    boundMs: SLACK_MS,
    inject: async (r) => {
      assert.equal(
        await writeDirect(r.sims[0]!.endpointUrl, "ns=1;s=SimulatedServerState", DataType.Int32, 3),
        "Good",
      );
    },
  },
];

/** Values a warm or cold failover may lose: the outage plus re-subscription, generously. */
function lossBound(mode: Mode, fault: Fault): number {
  if (mode === "hot") return 0;
  return Math.ceil((fault.boundMs + 3000) / TICK_MS);
}

export function failoverMatrix(mode: Mode): void {
  for (const fault of faults) {
    test(`${mode} mode: ${fault.name} of the primary → failover, Counter keeps flowing`, async (t) => {
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
        const report = rig.counter.report(fromIndex);
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
