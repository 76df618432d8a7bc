/** Every server lost: one BadNoCommunication per item, fast Bad answers, recovery without help. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { RedundantClient } from "../../src/client/redundant-client.ts";
import { CounterRecorder } from "../helpers/counter-recorder.ts";
import { startRig, testStatusQuery } from "../helpers/pair-rig.ts";
import { freePort } from "../helpers/ports.ts";
import { type SimProcess, spawnSimulator } from "../helpers/sim-process.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor, waitForEvent } from "../helpers/wait.ts";

test("all servers lost: one BadNoCommunication per item, then fresh values on recovery", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  const rig = await startRig({ mode: "hot" });
  try {
    const sine = new CounterRecorder();
    rig.client.monitor("ns=1;s=Sine", {}, sine.onValue);
    await rig.counter.waitForMore(10, 10_000);
    await sine.waitForMore(5, 10_000);
    const lost = waitForEvent(rig.client, "allServersLost", 15_000);
    await Promise.all(rig.sims.map((s) => s.kill()));
    await lost;
    assert.equal(rig.client.state, "allLost");
    await waitFor(() => rig.counter.bad.length === 1 && sine.bad.length === 1, 2000, "one Bad per item");
    // The outage lasts while both servers restart; the items must not be flooded meanwhile.
    const counted = rig.counter.count;
    const recovered = waitForEvent(rig.client, "recovered", 30_000);
    await Promise.all(rig.sims.map((s) => s.restart()));
    await recovered;
    assert.deepEqual(
      [rig.counter.bad.map((b) => b.status), sine.bad.map((b) => b.status)],
      [["BadNoCommunication"], ["BadNoCommunication"]],
    );
    const next = await rig.counter.waitForMore(10, 10_000, "fresh values");
    assert.ok(next.value > rig.counter.values[counted - 1]!.value);
    assert.equal(rig.client.state, "active");
  } finally {
    await rig.dispose();
  }
});

test("started while every server is down: Bad at once, values when a server comes up", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  const ports = [await freePort(), await freePort()];
  const client = new RedundantClient({
    name: "down",
    mode: "warm",
    servers: ports.map((port) => ({ url: `opc.tcp://127.0.0.1:${port}` })),
    statusQuery: testStatusQuery,
    reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
  });
  const sims: SimProcess[] = [];
  try {
    await client.start();
    assert.equal(client.state, "allLost");
    const counter = new CounterRecorder();
    client.monitor("ns=1;s=Counter", {}, counter.onValue);
    assert.deepEqual(
      counter.bad.map((b) => b.status),
      ["BadNoCommunication"],
    );
    sims.push(await spawnSimulator({ port: ports[1], tickMs: 20, sharedClock: true }));
    await counter.waitForMore(5, 15_000, "values from the server that came up");
    assert.equal(client.status().activeIndex, 1);
    assert.equal(counter.bad.length, 1);
  } finally {
    await client.stop();
    await Promise.all(sims.map((s) => s.dispose()));
  }
});
