/**
 * Writes go to the active server only, never to a standby, and never queued: with no server
 * active a write fails at once and is not executed later. The simulators' write logs prove it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DataType } from "node-opcua";
import { RedundancyError } from "../../src/errors.ts";
import { writeDirect } from "../helpers/opcua.ts";
import { startRig } from "../helpers/pair-rig.ts";
import type { SimProcess } from "../helpers/sim-process.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor, waitForEvent } from "../helpers/wait.ts";

const statusWrite = (value: number) => [
  { nodeId: "ns=1;s=Status", attributeId: 13, value: { value: { dataType: DataType.Int32, value } } },
];
const wrote = (sim: SimProcess, value: number) =>
  sim.writes.some((w) => w.nodeId === "ns=1;s=Status" && w.value === value);

/** A sentinel written straight to `sim` after the fact: once it is logged, the log is complete. */
async function settleLog(sim: SimProcess, sentinel: number): Promise<void> {
  assert.equal(await writeDirect(sim.endpointUrl, "ns=1;s=Status", DataType.Int32, sentinel), "Good");
  await sim.waitForWrite((w) => w.value === sentinel, 5000);
}

for (const mode of ["warm", "hot"] as const) {
  test(`${mode} mode: writes reach the active server only, before and after a failover`, {
    timeout: INTEGRATION_TEST_TIMEOUT_MS,
  }, async () => {
    const rig = await startRig({ mode, pair: { failback: { policy: "manual", holdMs: 0 } } });
    try {
      const [primary, secondary] = rig.sims as [SimProcess, SimProcess];
      const [status] = await rig.client.write(statusWrite(101));
      assert.equal(status?.name, "Good");
      await primary.waitForWrite((w) => w.value === 101, 5000);
      await settleLog(secondary, 900);
      assert.equal(wrote(secondary, 101), false, "the standby received the write");

      await primary.kill();
      await waitFor(() => rig.failovers[0], 10_000, "failover");
      const [after] = await rig.client.write(statusWrite(202));
      assert.equal(after?.name, "Good");
      await secondary.waitForWrite((w) => w.value === 202, 5000);
      await primary.restart();
      await settleLog(primary, 901);
      assert.equal(wrote(primary, 202), false, "the old primary received the write after its restart");
      assert.equal(rig.client.status().activeIndex, 1);
    } finally {
      await rig.dispose();
    }
  });
}

test("with no server active a write fails at once and is never executed later", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  const rig = await startRig({ mode: "hot" });
  try {
    const lost = waitForEvent(rig.client, "allServersLost", 15_000);
    await Promise.all(rig.sims.map((s) => s.kill()));
    await lost;
    const started = Date.now();
    await assert.rejects(rig.client.write(statusWrite(303)), (error: unknown) => {
      assert.ok(error instanceof RedundancyError);
      assert.equal(error.code, "ERR_NO_ACTIVE_SERVER");
      assert.equal(error.statusCode, "BadServerNotConnected");
      return true;
    });
    assert.ok(Date.now() - started < 200, `the write took ${Date.now() - started} ms to fail`);
    await assert.rejects(rig.client.read(["ns=1;s=Counter"]), /no active server/);

    const recovered = waitForEvent(rig.client, "recovered", 30_000);
    await Promise.all(rig.sims.map((s) => s.restart()));
    await recovered;
    await rig.counter.waitForMore(5, 10_000, "values after recovery");
    const active = rig.sims[rig.client.status().activeIndex!]!;
    const [status] = await rig.client.write(statusWrite(304));
    assert.equal(status?.name, "Good");
    await active.waitForWrite((w) => w.value === 304, 5000);
    for (const [i, sim] of rig.sims.entries()) {
      await settleLog(sim, 905 + i);
      assert.equal(wrote(sim, 303), false, `server ${i} executed the failed write later`);
    }
  } finally {
    await rig.dispose();
  }
});
