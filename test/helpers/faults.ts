/**
 * The faults of the primary that the engine must fail over on (DESIGN §7), shared by the failover
 * tests and the failover benchmark.
 */
import assert from "node:assert/strict";
import type { SwitchReason } from "../../src/redundancy/types.ts";
import { DataType, writeDirect } from "./opcua.ts";
import { type Rig, testStatusQuery } from "./pair-rig.ts";

export const TICK_MS = 20;
/** Subscription keep-alive with the defaults (100 ms × 10). */
const KEEP_ALIVE_MS = 1000;
/** Slack for a loaded 2-core machine. */
const SLACK_MS = 2500;
const SILENT_BOUND_MS = testStatusQuery.intervalMs + testStatusQuery.timeoutMs + KEEP_ALIVE_MS + SLACK_MS;

export interface Fault {
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
