/**
 * A server that limits the monitored items of one subscription (MaxMonitoredItemsPerSubscription;
 * node-opcua: 100,000 by default) gets a link's items spread over several subscriptions — whether
 * it states the limit (ServerCapabilities) or only enforces it (BadTooManyMonitoredItems). Real
 * simulators that enforce a small limit.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { DataValue } from "node-opcua";
import { RedundantClient } from "../../src/client/redundant-client.ts";
import { createLogger } from "../../src/log.ts";
import { type Simulator, startSimulator } from "../../src/simulator/simulator.ts";
import { testStatusQuery } from "../helpers/pair-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

const ITEMS = 100;
const LIMIT = 30;

function count(sim: Simulator, service: string): number {
  return sim.requests.get(`${service}Request`) ?? 0;
}

test("hot pair: items spread over subscriptions within each server's per-subscription limit", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const common = { tickMs: 100, bulk: ITEMS, maxMonitoredItemsPerSubscription: LIMIT } as const;
  // the primary states its limit; the secondary only enforces it: its link learns from the refusals
  const primary = await startSimulator({ ...common, name: "per-subscription primary" });
  t.after(() => primary.stop());
  const secondary = await startSimulator({
    ...common,
    name: "per-subscription secondary",
    advertiseLimits: false,
  });
  t.after(() => secondary.stop());
  const client = new RedundantClient(
    {
      name: "per-subscription",
      mode: "hot",
      servers: [{ url: primary.endpointUrl }, { url: secondary.endpointUrl }],
      statusQuery: testStatusQuery,
      failback: { policy: "manual" },
    },
    { logger },
  );
  t.after(() => client.stop());
  await client.start();
  await waitFor(
    () => client.status().servers.every((s) => s.state === "connected") && client.status().activeIndex === 0,
    30_000,
    "both servers connected, the primary active",
  );
  const subscriptionsBefore = [count(primary, "CreateSubscription"), count(secondary, "CreateSubscription")];

  const latest: (DataValue | undefined)[] = Array.from({ length: ITEMS }, () => undefined);
  const bad: string[] = [];
  const handles = Array.from({ length: ITEMS }, (_, i) =>
    client.monitor(`ns=1;s=Bulk.${i}`, {}, (value) => {
      latest[i] = value;
      if (!value.statusCode.isGood()) bad.push(`Bulk.${i}: ${value.statusCode.name}`);
    }),
  );
  const everyItemGood = (after: number) => () =>
    latest.every((v) => v?.statusCode.isGood() && (v.sourceTimestamp?.getTime() ?? 0) > after);
  await waitFor(everyItemGood(0), 30_000, "a good value for every item from the primary");
  await waitFor(
    () => client.status().servers.every((s) => s.monitoredItems === ITEMS),
    30_000,
    "every item created on both servers",
  );
  assert.deepEqual(bad, [], "no item refused");
  // 100 items + the link's 2 health items at 30 per subscription: 4 subscriptions, 3 of them new
  const opened = [
    count(primary, "CreateSubscription") - subscriptionsBefore[0]!,
    count(secondary, "CreateSubscription") - subscriptionsBefore[1]!,
  ];
  assert.equal(opened[0], Math.ceil((ITEMS + 2) / LIMIT) - 1, `primary: ${opened[0]} more subscriptions`);
  assert.equal(opened[1], Math.ceil((ITEMS + 2) / LIMIT) - 1, `secondary: ${opened[1]} more subscriptions`);

  // Hot failover: every item's stream continues from the secondary's subscriptions.
  const stoppedAt = Date.now();
  await primary.stop();
  await waitFor(() => client.status().activeIndex === 1, 15_000, "failover to the secondary");
  await waitFor(everyItemGood(stoppedAt), 15_000, "a fresh good value for every item from the secondary");
  assert.deepEqual(bad, [], "no item refused or lost");

  for (const handle of handles) handle.stop();
  await waitFor(
    () => client.status().monitoredItems === 0 && client.status().servers[1]!.monitoredItems === 0,
    10_000,
    "every upstream item released",
  );
});
