/**
 * Part 4 §6.7 with one server configured (no failover possible): a network cut shorter than the
 * session timeout is healed on the same session, and Republish fetches what was published
 * meanwhile, so the Counter (20 ms tick) has no gap, duplicate or regression across the cut.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { GapEvent } from "../../src/client/types.ts";
import { EventLog } from "../../src/diagnostics/event-log.ts";
import { followClient } from "../../src/diagnostics/follow-client.ts";
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
      const recovery = rig.client.status().servers[0]!.recovery;
      assert.equal(recovery.gaps, 0, "no notification lost upstream");
      if (fault === "blackhole") {
        // the publish responses sent into the blackhole came back through Republish
        assert.ok(recovery.republishedMessages > 0, `republished: ${JSON.stringify(recovery)}`);
      }
    } finally {
      await rig.dispose();
    }
  });
}

test("one server: a cut longer than the subscription lifetime is a gap, re-created items make values current", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  // node-opcua servers revise the lifetime to at least 5 s: the session (60 s) survives the 8 s cut,
  // the subscription does not
  const rig = await startRig({
    mode: "hot",
    servers: 1,
    tickMs: 20,
    pair: { subscription: { publishingIntervalMs: 100, keepAliveCount: 5, lifetimeCount: 15 } },
  });
  try {
    const gaps: GapEvent[] = [];
    rig.client.on("gap", (g) => gaps.push(g));
    const log = new EventLog({ maxEvents: 100 });
    followClient(log, rig.client);
    await rig.counter.waitForMore(10, 10_000, "values before the cut");
    const cutAt = Date.now();
    rig.proxies[0]!.setMode("blackhole");
    await waitFor(() => Date.now() - cutAt >= 8000, 15_000, "8 s of cut");
    rig.proxies[0]!.setMode("pass");
    const gap = await waitFor(() => gaps[0], 20_000, "a gap event");
    assert.equal(gap.cause, "recreated");
    assert.equal(gap.missingMessages, null);
    assert.equal(gap.recovered, "initialValues");
    const [recorded] = log.list({ kind: "gap" });
    assert.ok(recorded, "the gap is in the diagnostics event log");
    assert.match(
      recorded.message,
      /unknown number of notification message\(s\) lost upstream \(subscription re-created\)/,
    );
    const restoredAt = Date.now();
    const current = await rig.counter.firstAfter(restoredAt, 20_000);
    // a current value: at most a few seconds behind the shared clock
    assert.ok(Date.now() - current.sourceTime < 5000, `value ${Date.now() - current.sourceTime} ms old`);
    await rig.counter.waitForMore(10, 10_000, "live values after the gap");
    const report = rig.counter.report();
    assert.equal(report.duplicates, 0);
    assert.equal(report.regressions, 0);
    assert.ok(report.lost > 0, "the cut lost values (the gap is real)");
  } finally {
    await rig.dispose();
  }
});

test("one server restarted (SIGKILL): new session, subscription re-created, values current again", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  const rig = await startRig({ mode: "hot", servers: 1, tickMs: 20 });
  try {
    const gaps: GapEvent[] = [];
    rig.client.on("gap", (g) => gaps.push(g));
    await rig.counter.waitForMore(10, 10_000, "values before the restart");
    await rig.sims[0]!.kill();
    await waitFor(() => rig.client.status().state === "allLost", 15_000, "the server lost");
    await rig.sims[0]!.restart();
    const restartedAt = Date.now();
    const gap = await waitFor(() => gaps[0], 30_000, "a gap event");
    assert.equal(gap.cause, "recreated");
    assert.equal(gap.recovered, "initialValues");
    const first = await rig.counter.firstAfter(restartedAt, 20_000);
    assert.ok(Date.now() - first.sourceTime < 5000, "a current value after the restart");
    await rig.counter.waitForMore(25, 10_000, "live values after the restart");
    const report = rig.counter.report();
    assert.equal(report.duplicates, 0);
    assert.equal(report.regressions, 0);
    assert.equal(report.gaps.length, 1, `one gap (the downtime): ${JSON.stringify(report.gaps)}`);
  } finally {
    await rig.dispose();
  }
});
