/**
 * node-opcua holds a request made while its channel is being repaired and sends it after the
 * reconnect. The link's request fence drops a Write whose deadline passed meanwhile: it fails and
 * never reaches the server (the simulator's write log proves it).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DataType } from "node-opcua";
import { silentLogger } from "../../src/log.ts";
import { UpstreamLink } from "../../src/upstream/link.ts";
import { startFaultProxy } from "../helpers/fault-proxy.ts";
import { writeDirect } from "../helpers/opcua.ts";
import { testStatusQuery } from "../helpers/pair-rig.ts";
import { spawnSimulator } from "../helpers/sim-process.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

const REQUEST_TIMEOUT_MS = 1500;

test("a write held by node-opcua during a reconnect is dropped once its deadline passed", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  const sim = await spawnSimulator({ tickMs: 100 });
  const proxy = await startFaultProxy({ port: sim.port });
  const link = new UpstreamLink(
    {
      index: 0,
      url: proxy.url,
      statusQuery: testStatusQuery,
      subscription: { publishingIntervalMs: 100, keepAliveCount: 10, lifetimeCount: 300, queueSize: 1000 },
      session: { timeoutMs: 60_000 },
      reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      clientName: "fence-test",
    },
    { logger: silentLogger, clock: { now: () => Date.now() } },
  );
  try {
    await link.setRole("watch");
    await waitFor(() => link.state === "connected", 30_000, "connected");
    const session = link.session!;
    proxy.setMode("blackhole");
    await waitFor(
      () => link.state === "lost",
      15_000,
      "the link lost (channel broken, node-opcua reconnecting)",
    );
    // Made now, the write is held by node-opcua for replay after the repair.
    const held = session
      .write({
        nodeId: "ns=1;s=Status",
        attributeId: 13,
        value: { value: { dataType: DataType.Int32, value: 555 } },
      })
      .then(
        (status) => `answered ${status.name}`,
        (error: unknown) => `failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    const heldAt = Date.now();
    await waitFor(
      () => Date.now() - heldAt >= REQUEST_TIMEOUT_MS + 500,
      10_000,
      "the write's deadline to pass",
    );
    proxy.setMode("pass");
    await waitFor(() => link.state === "connected", 30_000, "reconnected");
    const outcome = await held;
    assert.match(outcome, /BadTimeout/, outcome);
    assert.equal(await writeDirect(sim.endpointUrl, "ns=1;s=Status", DataType.Int32, 999), "Good");
    await sim.waitForWrite((w) => w.value === 999, 5000);
    assert.equal(sim.writes.filter((w) => w.value === 555).length, 0, "the held write reached the server");
  } finally {
    await link.stop();
    await proxy.close();
    await sim.dispose();
  }
});
