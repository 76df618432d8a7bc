/**
 * Per-link namespace remap: the engine's NodeIds use the canonical namespace indices (the first
 * NamespaceArray read); each link translates them by URI to its server's current indices. The
 * simulator's `--namespace-order reversed` swaps the indices of its namespaces alpha and beta, and
 * each namespace has `s=Tag` whose value names it, so a wrong index shows as the wrong name.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { DataValue } from "node-opcua";
import { RedundantClient } from "../../src/client/redundant-client.ts";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.ts";
import { testStatusQuery } from "../helpers/pair-rig.ts";
import { type SimProcess, spawnSimulator } from "../helpers/sim-process.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor, waitForAsync } from "../helpers/wait.ts";

const TAG = "ns=2;s=Tag"; // canonical: alpha (the first server registers alpha first)

async function readTag(client: RedundantClient): Promise<unknown> {
  const [value] = await client.read([TAG]);
  return value?.statusCode.isGood() ? value.value.value : value?.statusCode.name;
}

async function setUp(orders: ("normal" | "reversed")[], mode: "hot" | "cold", primaryDelayMs = 0) {
  const sims: SimProcess[] = [];
  const proxies: FaultProxy[] = [];
  for (const namespaceOrder of orders) {
    const sim = await spawnSimulator({ tickMs: 100, namespaceOrder });
    sims.push(sim);
    proxies.push(await startFaultProxy({ port: sim.port }));
  }
  // a slow primary: the secondary reads its NamespaceArray first, yet the primary's stays canonical
  if (primaryDelayMs > 0) proxies[0]!.setMode({ delayMs: primaryDelayMs });
  const client = new RedundantClient({
    name: "ns",
    mode,
    servers: proxies.map((p) => ({ url: p.url })),
    statusQuery: testStatusQuery,
    // auto: the slow primary may answer after the secondary took over at start
    failback: { policy: "auto", holdMs: 500 },
  });
  const tags: string[] = [];
  client.monitor(TAG, {}, (dv: DataValue) => {
    if (dv.statusCode.isGood()) tags.push(String(dv.value.value));
  });
  await client.start();
  const dispose = async () => {
    await client.stop();
    await Promise.all([...sims.map((s) => s.dispose()), ...proxies.map((p) => p.close())]);
  };
  return { sims, proxies, client, tags, dispose };
}

test("a pair whose servers order their namespaces differently: same NodeId, same node on both", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  const rig = await setUp(["normal", "reversed"], "hot", 100);
  try {
    await waitFor(() => rig.client.status().activeIndex === 0, 30_000, "the primary active");
    assert.equal(await readTag(rig.client), "alpha");
    await waitFor(() => rig.tags.length > 0, 10_000, "the Tag monitored");
    rig.proxies[0]!.setMode("pass");
    await rig.sims[0]!.kill();
    await waitFor(() => rig.client.status().activeIndex === 1, 15_000, "failover to the reversed server");
    assert.equal(await readTag(rig.client), "alpha", "the secondary's alpha is its ns=3");
    const [call] = await rig.client.call([
      {
        objectId: "ns=1;s=Simulation",
        methodId: "ns=1;s=Echo",
        inputArguments: [{ dataType: 12, value: "x" }],
      },
    ]);
    assert.equal(call?.statusCode.name, "Good");
    assert.ok(!rig.tags.includes("beta"), `monitored values: ${rig.tags.join(",")}`);
  } finally {
    await rig.dispose();
  }
});

test("a server restarted with its namespaces in another order: NodeIds re-mapped, items re-pointed", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  const rig = await setUp(["normal"], "hot");
  try {
    await waitFor(() => rig.client.status().state === "active", 30_000, "active");
    assert.equal(await readTag(rig.client), "alpha");
    await waitFor(() => rig.tags.includes("alpha"), 10_000, "alpha monitored");
    await rig.sims[0]!.kill();
    await waitFor(() => rig.client.status().state === "allLost", 15_000, "the server lost");
    const before = rig.tags.length;
    await rig.sims[0]!.restart({ namespaceOrder: "reversed" });
    await waitForAsync(
      async () => rig.client.status().state === "active" && (await readTag(rig.client)) === "alpha",
      30_000,
      "alpha read after the restart",
    );
    // the re-created item reports its initial value: from alpha, not from beta at the old index
    await waitFor(() => rig.tags.length > before, 15_000, "a Tag value after the restart");
    assert.deepEqual(
      rig.tags.slice(before),
      rig.tags.slice(before).map(() => "alpha"),
    );
    const browse = await rig.client.browse([{ nodeId: "ns=1;s=Simulation", resultMask: 63 }]);
    const tagRefs = (browse[0]?.references ?? []).filter((r) => r.browseName.name === "Tag");
    assert.deepEqual(
      tagRefs.map((r) => r.nodeId.toString()).sort(),
      ["ns=2;s=Tag", "ns=3;s=Tag"],
      "browse results in canonical indices",
    );
    const alphaRef = tagRefs.find((r) => r.nodeId.namespace === 2);
    assert.equal(alphaRef?.browseName.namespaceIndex, 2, "browse name in canonical index");
  } finally {
    await rig.dispose();
  }
});
