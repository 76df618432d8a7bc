/**
 * Link-based failover: user-defined monitor items evaluated on every connected server (real
 * simulators, device-link faults made with the simulator's Quality, Freeze and Status variables).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { RedundantClient } from "../../src/client/redundant-client.ts";
import type { MonitorChangedEvent, MonitorNoticeEvent } from "../../src/client/types.ts";
import type { Mode } from "../../src/redundancy/types.ts";
import { DataType, writeDirect } from "../helpers/opcua.ts";
import { type Rig, startRig, testStatusQuery } from "../helpers/pair-rig.ts";
import { collectEvents, INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

/** Detection (one tick + one publishing interval) plus slack for a loaded 2-core machine. */
const TRIGGER_BOUND_MS = 5000;

/** Writes to a simulator directly; resolves with the time the simulator applied the write (the fault's time). */
async function write(
  rig: Rig,
  server: number,
  name: string,
  dataType: DataType,
  value: unknown,
): Promise<number> {
  const sim = rig.sims[server]!;
  const nodeId = `ns=1;s=${name}`;
  const before = sim.writes.length;
  assert.equal(await writeDirect(sim.endpointUrl, nodeId, dataType, value), "Good");
  const entry = await sim.waitForWrite(
    (w) => w.nodeId === nodeId && sim.writes.indexOf(w) >= before,
    TRIGGER_BOUND_MS,
  );
  return Date.parse(entry.time);
}

function monitorOf(rig: Rig, server: number, index = 0) {
  return rig.client.status().servers[server]!.monitors[index]!;
}

for (const mode of ["hot", "warm", "cold"] as Mode[]) {
  test(`${mode} mode: Quality false on the primary → failover on badQuality`, {
    timeout: INTEGRATION_TEST_TIMEOUT_MS,
  }, async (t) => {
    const rig = await startRig({
      mode,
      pair: { monitors: [{ nodeId: "ns=1;s=Counter", badQuality: true }] },
    });
    t.after(() => rig.dispose());
    await rig.counter.waitForMore(10, 10_000, "values from the primary");
    const faultAt = await write(rig, 0, "Quality", DataType.Boolean, false);
    const failover = await waitFor(() => rig.failovers[0], TRIGGER_BOUND_MS, "the failover");
    assert.equal(failover.toIndex, 1);
    assert.equal(failover.reason, "monitor", failover.detail);
    const first = await rig.counter.firstAfter(failover.at.getTime(), 10_000);
    t.diagnostic(
      `${mode}: Quality false → failover ${failover.at.getTime() - faultAt} ms, ` +
        `first value from the other server ${first.receivedAt - faultAt} ms`,
    );
    assert.deepEqual(monitorOf(rig, 0), {
      nodeId: "ns=1;s=Counter",
      failing: true,
      reason: "status BadNoCommunication",
    });
    await rig.counter.waitForMore(10, 10_000, "values from the secondary");
    assert.equal(rig.client.status().activeIndex, 1);
  });
}

test("Counter frozen on the primary → failover on noChangeMs", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const rig = await startRig({
    mode: "hot",
    pair: { monitors: [{ nodeId: "ns=1;s=Counter", noChangeMs: 1000 }] },
  });
  t.after(() => rig.dispose());
  await rig.counter.waitForMore(10, 10_000, "values from the primary");
  assert.equal(rig.failovers.length, 0, "a ticking Counter never trips noChangeMs");
  const faultAt = await write(rig, 0, "Freeze", DataType.Boolean, true);
  const failover = await waitFor(() => rig.failovers[0], 1000 + TRIGGER_BOUND_MS, "the failover");
  t.diagnostic(`Counter frozen → failover after ${failover.at.getTime() - faultAt} ms (noChangeMs 1000)`);
  assert.equal(failover.reason, "monitor");
  assert.equal(failover.toIndex, 1);
  // The last tick before the freeze may be late on a loaded machine: allow for it, not for an early trigger.
  assert.ok(failover.at.getTime() - faultAt >= 500, "not before the period ran out");
  assert.match(monitorOf(rig, 0).reason ?? "", /no change for \d+ ms \(limit 1000 ms\)/);
  assert.equal(monitorOf(rig, 1).failing, false);
});

test("a too short noChangeMs is announced once per server", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const rig = await startRig({ mode: "hot" });
  t.after(() => rig.dispose());
  const client = new RedundantClient({
    name: "raised",
    mode: "hot",
    servers: rig.proxies.map((p) => ({ url: p.url })),
    statusQuery: testStatusQuery,
    monitors: [{ nodeId: "ns=1;s=Sine", noChangeMs: 50 }],
  });
  const notices = collectEvents<MonitorNoticeEvent>(client, "monitorNotice");
  t.after(() => client.stop());
  await client.start();
  await waitFor(() => notices.values.length >= 2, 10_000, "one notice per server");
  assert.match(notices.values[0]!.message, /noChangeMs of ns=1;s=Sine raised from 50 to 200 ms/);
  assert.deepEqual(new Set(notices.values.map((n) => n.index)), new Set([0, 1]));
});

test("value comparison with failureCount 2: one failing item → no failover, two → failover", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const rig = await startRig({
    mode: "hot",
    pair: {
      minDwellMs: 0,
      failureCount: 2,
      monitors: [
        { nodeId: "ns=1;s=Status", value: { op: "==", value: 1 } },
        { nodeId: "ns=1;s=Counter", badQuality: true },
      ],
    },
  });
  t.after(() => rig.dispose());
  const changes = collectEvents<MonitorChangedEvent>(rig.client, "monitorChanged");
  await write(rig, 0, "Status", DataType.Int32, 1);
  await waitFor(() => monitorOf(rig, 0, 0).failing, TRIGGER_BOUND_MS, "Status == 1 failing on the primary");
  assert.equal(monitorOf(rig, 0, 0).reason, "value 1 == 1");
  // minDwellMs 0: the machine decides when it gets the fact, which the status above reflects.
  assert.equal(rig.failovers.length, 0, "one failing item of two needed");
  assert.equal(rig.client.status().activeIndex, 0);
  await write(rig, 0, "Quality", DataType.Boolean, false);
  const failover = await waitFor(() => rig.failovers[0], TRIGGER_BOUND_MS, "the failover");
  assert.equal(failover.reason, "monitor");
  assert.match(failover.detail, /2 monitor\(s\) failing/);
  const trigger = changes.values.find((c) => c.nodeId === "ns=1;s=Status" && c.failing);
  assert.equal(trigger?.index, 0);
  assert.equal(trigger?.server, rig.proxies[0]!.url);
});

test("the standby's monitors failing too → stays on the best server; the state says so", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const rig = await startRig({
    mode: "hot",
    pair: { minDwellMs: 0, monitors: [{ nodeId: "ns=1;s=Status", value: { op: "==", value: 1 } }] },
  });
  t.after(() => rig.dispose());
  await write(rig, 1, "Status", DataType.Int32, 1);
  await waitFor(() => monitorOf(rig, 1).failing, TRIGGER_BOUND_MS, "Status == 1 failing on the standby");
  assert.equal(rig.client.status().monitorsFailingEverywhere, false);
  await write(rig, 0, "Status", DataType.Int32, 1);
  await waitFor(() => monitorOf(rig, 0).failing, TRIGGER_BOUND_MS, "Status == 1 failing on the primary");
  assert.equal(rig.failovers.length, 0, "no failover to a server whose device link is down too");
  assert.equal(rig.client.status().activeIndex, 0);
  assert.equal(rig.client.status().monitorsFailingEverywhere, true);
  // Values keep flowing from the best server there is.
  await rig.counter.waitForMore(5, 10_000, "values while every server's monitors fail");
  // The standby's device link comes back: now it is the better server.
  await write(rig, 1, "Status", DataType.Int32, 0);
  const failover = await waitFor(() => rig.failovers[0], TRIGGER_BOUND_MS, "the failover");
  assert.equal(failover.toIndex, 1);
  assert.equal(failover.reason, "monitor");
  assert.equal(rig.client.status().monitorsFailingEverywhere, false);
});

test("an item that cannot be created on a server fails there and says why", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const rig = await startRig({ mode: "hot" });
  t.after(() => rig.dispose());
  const client = new RedundantClient({
    name: "unknown",
    mode: "hot",
    servers: rig.proxies.map((p) => ({ url: p.url })),
    statusQuery: testStatusQuery,
    monitors: [{ nodeId: "ns=1;s=NoSuchNode", noChangeMs: 1000 }],
  });
  t.after(() => client.stop());
  await client.start();
  await waitFor(
    () => client.status().servers.every((s) => s.monitors[0]?.failing),
    10_000,
    "the monitor failing on both servers",
  );
  for (const server of client.status().servers) {
    assert.equal(server.monitors[0]!.reason, "cannot monitor on this server: BadNodeIdUnknown");
  }
  assert.equal(client.status().monitorsFailingEverywhere, true);
  assert.ok(client.status().active !== null, "the best server is used all the same");
});

test("after a reconnect a monitor is tested afresh: passing until its first update, then failing again", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const rig = await startRig({
    mode: "hot",
    pair: {
      monitors: [{ nodeId: "ns=1;s=Counter", badQuality: true }],
      // The reconnected primary passes until its first update: failback must not win that race.
      failback: { policy: "auto", holdMs: 10_000 },
    },
  });
  t.after(() => rig.dispose());
  const changes = collectEvents<MonitorChangedEvent>(rig.client, "monitorChanged");
  await write(rig, 0, "Quality", DataType.Boolean, false);
  await waitFor(() => rig.failovers[0], TRIGGER_BOUND_MS, "the failover");
  const onPrimary = () => changes.values.filter((c) => c.index === 0).map((c) => c.failing);
  assert.deepEqual(onPrimary(), [true]);
  rig.proxies[0]!.setMode("reset");
  await waitFor(
    () => rig.client.status().servers[0]!.state !== "connected",
    10_000,
    "the primary's link down",
  );
  assert.deepEqual(onPrimary(), [true, false], "not evaluated while disconnected");
  assert.equal(monitorOf(rig, 0).reason, "not connected");
  rig.proxies[0]!.setMode("pass");
  await waitFor(() => onPrimary().length >= 3, 30_000, "the monitor failing again after the reconnect");
  assert.deepEqual(onPrimary().slice(0, 3), [true, false, true]);
  assert.equal(monitorOf(rig, 0).reason, "status BadNoCommunication");
  assert.equal(rig.client.status().activeIndex, 1);
});
