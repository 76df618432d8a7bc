/**
 * Part 4 §6.7 with one server configured (no failover possible): a network cut shorter than the
 * session timeout is healed on the same session, and Republish fetches what was published
 * meanwhile, so the Counter (20 ms tick) has no gap, duplicate or regression across the cut.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { FaultMode } from "../helpers/fault-proxy.ts";
import { startRig } from "../helpers/pair-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

const cuts: { fault: FaultMode; mode: "cold" | "warm" | "hot" }[] = [
  { fault: "blackhole", mode: "hot" },
  { fault: "blackhole", mode: "cold" },
  { fault: "reset", mode: "warm" },
];

for (const { fault, mode } of cuts) {
  test(`one server, ${mode} mode: a 2 s ${fault} loses no Counter value`, {
    timeout: INTEGRATION_TEST_TIMEOUT_MS,
  }, async () => {
    const rig = await startRig({ mode, servers: 1, tickMs: 20 });
    try {
      const lost: string[] = [];
      rig.client.on("linkStateChanged", (c) => c.to === "lost" && lost.push(c.reason));
      await rig.counter.waitForMore(20, 10_000, "values before the cut");
      const before = rig.counter.count;
      const cutAt = Date.now();
      rig.proxies[0]!.setMode(fault);
      await waitFor(() => Date.now() - cutAt >= 2000 && lost.length > 0, 15_000, "the cut to be noticed");
      rig.proxies[0]!.setMode("pass");
      const restoredAt = Date.now();
      const lastBeforeCut = rig.counter.values[before - 1]!.value;
      // every value published during the cut, then 25 more (0.5 s of live values)
      const target = lastBeforeCut + Math.ceil((Date.now() - cutAt) / 20) + 25;
      await waitFor(
        () => rig.counter.values.some((v) => v.value >= target),
        20_000,
        `Counter to reach ${target}`,
      );
      const report = rig.counter.report();
      assert.deepEqual(
        { lost: report.lost, duplicates: report.duplicates, regressions: report.regressions },
        { lost: 0, duplicates: 0, regressions: 0 },
        `gaps: ${JSON.stringify(report.gaps)}`,
      );
      const firstAfter = rig.counter.values.find((v) => v.receivedAt >= restoredAt);
      assert.ok(firstAfter, "a value after the restore");
    } finally {
      await rig.dispose();
    }
  });
}
