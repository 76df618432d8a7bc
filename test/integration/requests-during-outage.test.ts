/**
 * node-opcua holds requests while a channel is down and sends them after the reconnect. A Write or
 * Call issued while the server is unreachable must fail within its timeout and never reach the
 * server later: the simulator's write log (writes and Echo calls) proves it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DataType } from "node-opcua";
import { RedundancyError } from "../../src/errors.ts";
import { writeDirect } from "../helpers/opcua.ts";
import { startRig } from "../helpers/pair-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

const REQUEST_TIMEOUT_MS = 2000;
const statusWrite = (value: number) => [
  { nodeId: "ns=1;s=Status", attributeId: 13, value: { value: { dataType: DataType.Int32, value } } },
];
const echo = (text: string) => [
  {
    objectId: "ns=1;s=Simulation",
    methodId: "ns=1;s=Echo",
    inputArguments: [{ dataType: DataType.String, value: text }],
  },
];

async function failsWithin(promise: Promise<unknown>, boundMs: number, what: string): Promise<string> {
  const started = Date.now();
  let code = "";
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof RedundancyError, `${what}: ${String(error)}`);
    code = error.code;
    return true;
  });
  const took = Date.now() - started;
  assert.ok(took <= boundMs, `${what} took ${took} ms to fail (bound ${boundMs} ms)`);
  return code;
}

for (const fault of ["blackhole", "reset"] as const) {
  test(`${fault}: a write and a call issued during the outage fail in time and never reach the server`, {
    timeout: INTEGRATION_TEST_TIMEOUT_MS,
  }, async () => {
    const rig = await startRig({ mode: "hot", servers: 1, requestTimeoutMs: REQUEST_TIMEOUT_MS });
    try {
      const [sim] = rig.sims;
      const [proxy] = rig.proxies;
      const [ok] = await rig.client.write(statusWrite(100));
      assert.equal(ok?.name, "Good");
      await sim!.waitForWrite((w) => w.value === 100, 5000);

      const cutAt = Date.now();
      proxy!.setMode(fault);
      // At once, before the link has noticed anything: the requests go out on the dead channel.
      const early = await Promise.all([
        failsWithin(rig.client.write(statusWrite(777)), REQUEST_TIMEOUT_MS + 1500, "early write"),
        failsWithin(rig.client.call(echo("early-call")), REQUEST_TIMEOUT_MS + 1500, "early call"),
      ]);
      for (const code of early)
        assert.ok(["ERR_REQUEST_TIMEOUT", "ERR_UPSTREAM_REQUEST"].includes(code), code);
      // Once the outage is known, requests fail at once.
      await waitFor(
        () => rig.client.status().servers[0]!.state !== "connected",
        10_000,
        "the outage noticed",
      );
      await failsWithin(rig.client.write(statusWrite(778)), 500, "write during the known outage");

      // The outage outlasts the requests' timeout: the link comes back after they were given up.
      await waitFor(() => Date.now() - cutAt >= REQUEST_TIMEOUT_MS + 1000, 10_000, "the outage to last");
      proxy!.setMode("pass");
      await waitFor(() => rig.client.status().state === "active", 30_000, "the server active again");
      await rig.counter.waitForMore(10, 10_000, "values after the outage");
      // Requests after the outage work; a direct sentinel write after them completes the log.
      const [after] = await rig.client.write(statusWrite(101));
      assert.equal(after?.name, "Good");
      assert.equal(await writeDirect(sim!.endpointUrl, "ns=1;s=Status", DataType.Int32, 999), "Good");
      await sim!.waitForWrite((w) => w.value === 999, 5000);
      const late = sim!.writes.filter((w) => [777, 778, "early-call"].includes(w.value as number | string));
      assert.deepEqual(late, [], `requests of the outage reached the server later: ${JSON.stringify(late)}`);
      assert.ok(
        sim!.writes.some((w) => w.value === 101),
        "the write after the outage arrived",
      );
    } finally {
      await rig.dispose();
    }
  });
}
