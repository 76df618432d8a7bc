/**
 * Issue 13 point 6: hot mode with hot.itemSelection bestQuality. The primary's device link fails
 * (Quality false: it publishes every Counter sample as BadNoCommunication) while the standby
 * reads the same device with Good samples of the same instants: the client loses no value and is
 * never given a Bad sample, with a badQuality monitor (which then fails over) and without one
 * (the item follows the standby's stream while the pair stays on the primary).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { CounterRecorder } from "../helpers/counter-recorder.ts";
import {
  connectDownstream,
  type Downstream,
  type GatewayRig,
  startGatewayRig,
} from "../helpers/gateway-rig.ts";
import { DataType, writeDirect } from "../helpers/opcua.ts";
import { delay, INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

const TICK_MS = 20;
const hot = { mode: "hot" as const, extra: { hot: { itemSelection: "bestQuality" as const } } };
const CASES = [
  { name: "with a badQuality monitor", monitors: [{ nodeId: "ns=1;s=Counter", badQuality: true as const }] },
  { name: "without a monitor", monitors: [] },
];

describe("hot mode, bestQuality: Quality false on the primary (issue 13)", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, () => {
  let rig: GatewayRig;
  const clients: Downstream[] = [];
  const recorders: CounterRecorder[] = [];

  before(async () => {
    rig = await startGatewayRig({
      tickMs: TICK_MS,
      pairs: CASES.map((c) => ({ ...hot, extra: { ...hot.extra, monitors: c.monitors } })),
    });
    for (const endpoint of rig.endpoints) {
      const downstream = await connectDownstream(endpoint);
      clients.push(downstream);
      recorders.push(await downstream.record("ns=1;s=Counter"));
    }
    await Promise.all(recorders.map((r) => r.waitForMore(20, 20_000)));
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await rig?.dispose();
  });

  test("0 values lost, none delivered Bad, across the fault and its repair", async () => {
    const marks = recorders.map((r) => r.count);
    for (const [i] of CASES.entries()) {
      assert.equal(
        await writeDirect(rig.sims[2 * i]!.endpointUrl, "ns=1;s=Quality", DataType.Boolean, false),
        "Good",
      );
    }
    // with the monitor the pair fails over; without it the pair stays on the primary
    await waitFor(() => rig.gateway.pairs[0]!.status().activeIndex === 1, 20_000, "failover on badQuality");
    await delay(2000);
    assert.equal(rig.gateway.pairs[1]!.status().activeIndex, 0, "no monitor: the pair stays on the primary");
    for (const [i] of CASES.entries()) {
      assert.equal(
        await writeDirect(rig.sims[2 * i]!.endpointUrl, "ns=1;s=Quality", DataType.Boolean, true),
        "Good",
      );
    }
    await delay(2000);
    for (const [i, c] of CASES.entries()) {
      const recorder = recorders[i]!;
      const report = recorder.report(marks[i]);
      process.stdout.write(
        `# ${c.name}: ${JSON.stringify({ ...report, gaps: report.gaps.length, bad: recorder.bad.length })}\n`,
      );
      assert.ok(report.count > 150, `${c.name}: values kept flowing (${report.count})`);
      assert.equal(report.lost, 0, `${c.name}: lost ${JSON.stringify(report.gaps)}`);
      assert.equal(report.duplicates, 0, `${c.name}: duplicates`);
      assert.equal(report.regressions, 0, `${c.name}: regressions`);
      assert.deepEqual(recorder.bad, [], `${c.name}: Bad values delivered while the standby had Good ones`);
    }
  });
});

describe("hot mode, bestQuality with one item set to `active` (hot.items)", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, () => {
  test("the item set to active delivers the active server's Bad values, the others stay Good", async () => {
    const rig = await startGatewayRig({
      tickMs: TICK_MS,
      pairs: [
        {
          mode: "hot",
          extra: {
            hot: {
              itemSelection: "bestQuality",
              items: [{ nodeId: "ns=1;s=Sine", itemSelection: "active" }],
            },
          },
        },
      ],
    });
    const downstream = await connectDownstream(rig.endpoints[0]!);
    try {
      const counter = await downstream.record("ns=1;s=Counter");
      const sine = await downstream.record("ns=1;s=Sine");
      await Promise.all([counter.waitForMore(20, 20_000), sine.waitForMore(20, 20_000)]);
      const primary = rig.sims[0]!.endpointUrl;
      assert.equal(await writeDirect(primary, "ns=1;s=Quality", DataType.Boolean, false), "Good");
      await waitFor(
        () => sine.bad.length > 0,
        10_000,
        "Sine (active selection) delivering the primary's Bad values",
      );
      const counterMark = counter.count;
      await counter.waitForMore(20, 10_000, "Counter values while the primary's device link is down");
      assert.equal(await writeDirect(primary, "ns=1;s=Quality", DataType.Boolean, true), "Good");
      await sine.waitForMore(5, 10_000, "Good Sine values again");
      assert.equal(
        rig.gateway.pairs[0]!.status().activeIndex,
        0,
        "no monitor: the pair stays on the primary",
      );
      assert.deepEqual(counter.bad, [], "Counter (the pair's bestQuality) took the standby's Good values");
      assert.equal(counter.report(counterMark).lost, 0, "and lost none");
      assert.ok(
        sine.bad.every((b) => b.status === "BadNoCommunication"),
        JSON.stringify(sine.bad.slice(0, 3)),
      );
    } finally {
      await downstream.close().catch(() => undefined);
      await rig.dispose();
    }
  });
});
