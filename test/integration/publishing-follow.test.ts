/**
 * subscription.followDownstream (issue 17): the upstream publishing interval follows the fastest
 * downstream request for a mirrored item, within [minMs, maxMs], and goes back to the configured
 * interval when no downstream item is left. Checked on the upstream servers themselves (their
 * SubscriptionDiagnosticsArray), with the keep-alive time kept (the count scales), values flowing
 * at every step and no failover caused by the changes.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AttributeIds,
  type ClientSession,
  type ClientSubscription,
  OPCUAClient,
  type SubscriptionDiagnosticsDataType,
  TimestampsToReturn,
} from "node-opcua";
import { startGatewayRig } from "../helpers/gateway-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor, waitForAsync } from "../helpers/wait.ts";

const CONFIGURED_MS = 200;
const KEEP_ALIVE_COUNT = 10;

/** The gateway link's data subscription on a server, as the server has it (ServerDiagnostics). */
async function upstreamSubscription(
  endpointUrl: string,
): Promise<{ publishingInterval: number; maxKeepAliveCount: number } | undefined> {
  const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
  await client.connect(endpointUrl);
  try {
    const session = await client.createSession();
    const [array] = await session.read([{ nodeId: "i=2290", attributeId: AttributeIds.Value }]);
    await session.close();
    const subscriptions = (array?.value.value ?? []) as SubscriptionDiagnosticsDataType[];
    // the link's own subscription carries its health items (ServerState, ServiceLevel) and Counter
    const data = subscriptions.filter((s) => s.monitoredItemCount >= 3);
    assert.ok(data.length <= 1, `one data subscription per link, got ${data.length}`);
    return data[0];
  } finally {
    await client.disconnect();
  }
}

interface Subscriber {
  session: ClientSession;
  subscription: ClientSubscription;
  values: number[];
  close(): Promise<void>;
}

async function subscribe(
  client: OPCUAClient,
  endpointUrl: string,
  publishingMs: number,
): Promise<Subscriber> {
  await client.connect(endpointUrl);
  const session = await client.createSession();
  const subscription = await session.createSubscription2({
    requestedPublishingInterval: publishingMs,
    requestedMaxKeepAliveCount: 10,
    requestedLifetimeCount: 100,
    publishingEnabled: true,
  });
  const values: number[] = [];
  const item = await subscription.monitor(
    { nodeId: "ns=1;s=Counter", attributeId: AttributeIds.Value },
    { samplingInterval: 0, queueSize: 100 },
    TimestampsToReturn.Both,
  );
  item.on("changed", (dv) => {
    if (dv.statusCode.isGood()) values.push(Number(dv.value.value));
  });
  return {
    session,
    subscription,
    values,
    close: async () => {
      await session.close();
      await client.disconnect();
    },
  };
}

test("the upstream publishing interval follows the fastest downstream subscription", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const rig = await startGatewayRig({
    tickMs: 50,
    pairs: [
      {
        mode: "hot",
        extra: {
          subscription: {
            publishingIntervalMs: CONFIGURED_MS,
            keepAliveCount: KEEP_ALIVE_COUNT,
            followDownstream: { minMs: 20, maxMs: 2000 },
          },
        },
      },
    ],
  });
  t.after(() => rig.dispose());
  const pair = rig.gateway.pairs[0]!;
  const endpoint = rig.endpoints[0]!;
  const sims = rig.sims.slice(0, 2);

  /** Both links report `ms` and both servers have it, with the keep-alive time kept. */
  const expectInterval = async (ms: number, why: string) => {
    await waitFor(
      () => pair.status().servers.every((s) => s.publishingIntervalMs === ms),
      15_000,
      `both links at ${ms} ms (${why})`,
    );
    for (const sim of sims) {
      const upstream = await waitForAsync(
        async () => {
          const s = await upstreamSubscription(sim.endpointUrl);
          return s?.publishingInterval === ms ? s : undefined;
        },
        10_000,
        `the server's subscription at ${ms} ms (${why})`,
      );
      assert.equal(
        upstream.maxKeepAliveCount,
        Math.max(1, Math.round((CONFIGURED_MS * KEEP_ALIVE_COUNT) / ms)),
        `keep-alive time kept at ${ms} ms`,
      );
    }
  };
  /** `subscriber` receives more Counter values than it has now. */
  const flowing = (subscriber: Subscriber, what: string) => {
    const had = subscriber.values.length;
    return waitFor(() => subscriber.values.length >= had + 3, 10_000, `values flowing to ${what}`);
  };

  await expectInterval(CONFIGURED_MS, "no downstream item: the configured interval");

  const slow = await subscribe(OPCUAClient.create({ endpointMustExist: false }), endpoint, 1000);
  t.after(() => slow.close().catch(() => undefined));
  await expectInterval(1000, "one client publishing every second");
  await flowing(slow, "the 1 s client");

  const fast = await subscribe(OPCUAClient.create({ endpointMustExist: false }), endpoint, 50);
  t.after(() => fast.close().catch(() => undefined));
  await expectInterval(50, "a client publishing every 50 ms joins");
  await flowing(fast, "the 50 ms client");
  await flowing(slow, "the 1 s client, still");

  await fast.close();
  await expectInterval(1000, "the 50 ms client left");
  await flowing(slow, "the 1 s client after the fast one left");

  await slow.close();
  await expectInterval(CONFIGURED_MS, "no downstream item left");

  assert.equal(pair.status().failovers, 0, "changing the interval caused no failover");
  assert.ok(
    pair.status().servers.every((s) => s.state === "connected"),
    "both links stayed connected",
  );
  // hot mode, shared clock: the 1 s client saw every tick, however the upstream interval changed
  const v = slow.values;
  const gaps = v.slice(1).filter((value, i) => value !== v[i]! + 1);
  assert.deepEqual(gaps, [], "no Counter value lost or repeated while the interval changed");
});
