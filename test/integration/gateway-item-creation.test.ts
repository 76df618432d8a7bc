/**
 * Creating many downstream items: a CreateMonitoredItems request with more than 100 items is
 * answered without waiting for the upstream's first values (a client creating 100,000 items in
 * batches would otherwise wait upstream round trips and a publishing interval per batch); its
 * items start with BadWaitingForInitialData — never a stale value as Good — and the upstream's
 * values follow. A small request still starts with the upstream's own first value.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { AttributeIds, type DataValue, TimestampsToReturn } from "node-opcua";
import { connectDownstream, startGatewayRig } from "../helpers/gateway-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

const LARGE = 300;
const SMALL = 10;

test("a large create answers at once with BadWaitingForInitialData, a small one with the upstream's value", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const rig = await startGatewayRig({
    pairs: [{ mode: "hot" }],
    tickMs: 100,
    simulator: { bulk: LARGE + SMALL },
  });
  t.after(() => rig.dispose());
  const downstream = await connectDownstream(rig.endpoints[0]!);
  t.after(() => downstream.close());

  const create = async (from: number, count: number) => {
    const seen: DataValue[][] = Array.from({ length: count }, () => []);
    const group = await downstream.subscription.monitorItems(
      Array.from({ length: count }, (_, k) => ({
        nodeId: `ns=1;s=Bulk.${from + k}`,
        attributeId: AttributeIds.Value,
      })),
      { samplingInterval: 0, queueSize: 100, discardOldest: true },
      TimestampsToReturn.Both,
    );
    group.on("changed", (_item, value, index) => seen[index]!.push(value));
    assert.ok(
      group.monitoredItems.every((item) => item.statusCode.isGood()),
      "every item created",
    );
    await waitFor(
      () => seen.every((values) => values.some((v) => v.statusCode.isGood())),
      20_000,
      `a good value for each of ${count} items`,
    );
    return seen;
  };

  const large = await create(0, LARGE);
  const firsts = large.map((values) => values[0]!.statusCode.name);
  assert.deepEqual(
    [...new Set(firsts)],
    ["BadWaitingForInitialData"],
    "each item of the large request starts waiting for its first upstream value",
  );
  for (const values of large) {
    const good = values.find((v) => v.statusCode.isGood())!;
    assert.equal(typeof good.value.value, "number", "then the upstream's value");
  }

  const small = await create(LARGE, SMALL);
  assert.ok(
    small.every((values) => values[0]!.statusCode.isGood()),
    `small request: first notifications ${small.map((v) => v[0]!.statusCode.name).join(", ")}`,
  );
});
