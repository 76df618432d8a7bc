/**
 * Two gateway instances (real child processes) serving the same pair of shared-clock simulators
 * form a non-transparent Hot redundant set (issue 19): a plain downstream client reads each
 * instance's ServerRedundancy, ServerUriArray, ServiceLevel and the upstream view kept in the
 * gateway's namespace; FindServers names the other instance. Then RedundantClient, subscribed
 * through both instances in hot mode, loses the active instance to SIGKILL and the Counter goes on
 * from the other with nothing lost and nothing repeated.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { type AddressInfo, createServer } from "node:net";
import { after, before, test } from "node:test";
import {
  AttributeIds,
  BrowseDirection,
  OPCUAClient,
  type RedundantServerDataType,
  resolveNodeId,
  TimestampsToReturn,
} from "node-opcua";
import { RedundantClient } from "../../src/client/redundant-client.ts";
import { discoverRedundantSet } from "../../src/client/redundant-set-discovery.ts";
import type { FailoverEvent } from "../../src/client/types.ts";
import { createLogger } from "../../src/log.ts";
import { CounterRecorder } from "../helpers/counter-recorder.ts";
import { startFaultProxy } from "../helpers/fault-proxy.ts";
import { cli, type GatewayProcess, spawnGateway } from "../helpers/gateway-process.ts";
import { connectDownstream } from "../helpers/gateway-rig.ts";
import { testStatusQuery } from "../helpers/pair-rig.ts";
import { freePort } from "../helpers/ports.ts";
import { type SimProcess, spawnSimulator } from "../helpers/sim-process.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor, waitForAsync } from "../helpers/wait.ts";

const TICK_MS = 20;
const uriA = "urn:test:gw-a:opcua-redundancy";
const uriB = "urn:test:gw-b:opcua-redundancy";

let sims: SimProcess[] = [];
const gateways: GatewayProcess[] = [];
const endpoints: string[] = [];
const configs: Parameters<typeof spawnGateway>[0][] = [];
const SHUTDOWN_DELAY_MS = 5000;

before(async () => {
  sims = await Promise.all([
    spawnSimulator({ tickMs: TICK_MS, sharedClock: true }),
    spawnSimulator({ tickMs: TICK_MS, sharedClock: true }),
  ]);
  const opcPorts = [await freePort(), await freePort()];
  const httpPorts = [await freePort(), await freePort()];
  endpoints.push(...opcPorts.map((p) => `opc.tcp://127.0.0.1:${p}`));
  const peers = [
    { name: "gw-a", applicationUri: uriA, endpoints: { line1: endpoints[0] } },
    { name: "gw-b", applicationUri: uriB, endpoints: { line1: endpoints[1] } },
  ];
  for (const i of [0, 1]) {
    const config = {
      pairs: [
        {
          name: "line1",
          listen: { port: opcPorts[i], host: "127.0.0.1" },
          mode: "hot",
          servers: sims.map((s) => ({ url: s.endpointUrl })),
          statusQuery: testStatusQuery,
          // the test reads nodes and subscribes without security
          security: { allowNone: true, anonymous: true },
        },
      ],
      http: { port: httpPorts[i]!, host: "127.0.0.1" },
      shutdown: { delayMs: SHUTDOWN_DELAY_MS },
      redundantSet: { support: "hot", self: peers[i]!.name, peers },
    };
    configs.push(config);
    gateways.push(await spawnGateway(config));
  }
  await Promise.all(gateways.map((g) => g.ready()));
});

after(async () => {
  await Promise.all(gateways.map((g) => g.kill()));
  await Promise.all(sims.map((s) => s.dispose()));
});

test("each instance presents a non-transparent Hot set, its rank, and the upstream pair beside it", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const levels: number[] = [];
  for (const [i, endpoint] of endpoints.entries()) {
    const downstream = await connectDownstream(endpoint);
    try {
      const { session } = downstream;
      const typeDefinition = await session.browse({
        nodeId: "i=2296",
        browseDirection: BrowseDirection.Forward,
        referenceTypeId: "HasTypeDefinition",
      });
      const read = async (nodeId: string) => {
        const dv = await session.read({ nodeId, attributeId: AttributeIds.Value });
        assert.ok(dv.statusCode.isGood(), `${nodeId}: ${dv.statusCode.name}`);
        return dv.value.value;
      };
      assert.equal(await read("i=3709"), 3, "RedundancySupport Hot");
      assert.deepEqual(await read("i=11314"), [`${uriA}:line1`, `${uriB}:line1`], "ServerUriArray");
      assert.deepEqual(
        typeDefinition.references?.map((r) => r.nodeId.toString()),
        ["ns=0;i=2039"],
        "NonTransparentRedundancyType",
      );
      const serverArray = (await read("i=2254")) as string[];
      assert.equal(serverArray[0], `${i === 0 ? uriA : uriB}:line1`, "the instance's own ApplicationUri");
      await waitForAsync(
        async () => ((await read("i=2267")) as number) >= 200,
        20_000,
        "a Healthy ServiceLevel once both upstreams are connected",
      );
      levels.push((await read("i=2267")) as number);

      // The upstream pair, still visible as a transparent server in the gateway's namespace.
      const namespaces = (await read("i=2255")) as string[];
      const ns = namespaces.indexOf("urn:opcua-redundancy:line1");
      assert.ok(ns > 0, "the gateway's namespace");
      const upstream = `ns=${ns};s=line1.UpstreamRedundancy`;
      const upstreamType = await session.browse({
        nodeId: upstream,
        browseDirection: BrowseDirection.Forward,
        referenceTypeId: "HasTypeDefinition",
      });
      assert.equal(
        upstreamType.references?.[0]?.nodeId.toString(),
        "ns=0;i=2036",
        "TransparentRedundancyType",
      );
      const child = async (name: string) => {
        const path = await session.translateBrowsePath({
          startingNode: resolveNodeId(upstream),
          relativePath: {
            elements: [
              {
                isInverse: false,
                includeSubtypes: true,
                targetName: { namespaceIndex: name === "ServiceLevel" ? ns : 0, name },
              },
            ],
          },
        });
        const target = path.targets?.[0]?.targetId;
        assert.ok(target, `UpstreamRedundancy.${name}`);
        return read(target.toString());
      };
      assert.equal(await child("RedundancySupport"), 4, "upstream RedundancySupport Transparent");
      const current = await child("CurrentServerId");
      assert.ok(
        sims.some((s) => s.endpointUrl === current),
        `CurrentServerId ${current}`,
      );
      const servers = (await child("RedundantServerArray")) as RedundantServerDataType[];
      assert.deepEqual(
        servers.map((s) => s.serverId),
        sims.map((s) => s.endpointUrl),
      );
      assert.equal(await child("ServiceLevel"), 255, "the pair's own ServiceLevel");
    } finally {
      await downstream.close();
    }
  }
  assert.ok(levels[0]! > levels[1]!, `the first peer is the primary: ${levels.join(" > ")}`);

  // `health`: 0 for an instance that serves its pairs, 69 for none answering or one hung.
  for (const gateway of gateways) {
    const started = Date.now();
    const healthy = await cli(["health", "--url", gateway.httpUrl]);
    assert.equal(healthy.code, 0, healthy.stderr);
    assert.equal(healthy.stdout, "ok: 1 pair(s) served\n");
    t.diagnostic(`health command: ${Date.now() - started} ms`);
  }
  const nobody = await cli(["health", "--url", `http://127.0.0.1:${await freePort()}`]);
  assert.equal(nobody.code, 69, nobody.stderr);
  const hung = createServer(() => undefined); // accepts, never answers
  hung.listen(0, "127.0.0.1");
  await once(hung, "listening");
  try {
    const started = Date.now();
    const frozen = await cli([
      "health",
      "--url",
      `http://127.0.0.1:${(hung.address() as AddressInfo).port}`,
      "--timeout-ms",
      "500",
    ]);
    assert.equal(frozen.code, 69, frozen.stderr);
    assert.ok(Date.now() - started < 10_000, "the timeout holds");
  } finally {
    hung.close();
  }

  // FindServers on one instance names the other instance's server of the set, with its endpoint.
  const client = OPCUAClient.create({ endpointMustExist: false });
  try {
    await client.connect(endpoints[0]!);
    const found = await client.findServers({ serverUris: [`${uriB}:line1`] });
    assert.deepEqual(
      found.map((s) => [s.applicationUri, s.discoveryUrls]),
      [[`${uriB}:line1`, [endpoints[1]]]],
    );
  } finally {
    await client.disconnect();
  }
});

/** A RedundantClient (hot) on `servers`, recording the Counter through it. */
function throughGateways(servers: string[]) {
  const client = new RedundantClient(
    {
      name: "through-gateways",
      mode: "hot",
      servers: servers.map((url) => ({ url })),
      statusQuery: testStatusQuery,
      failback: { policy: "manual" },
      minDwellMs: 0,
    },
    { logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? "silent" }) },
  );
  const counter = new CounterRecorder();
  const failovers: FailoverEvent[] = [];
  client.on("failover", (e: FailoverEvent) => failovers.push(e));
  client.monitor("ns=1;s=Counter", { samplingInterval: 0 }, counter.onValue);
  return { client, counter, failovers };
}

function assertNoLoss(counter: CounterRecorder) {
  const report = counter.report();
  assert.deepEqual(
    { lost: report.lost, duplicates: report.duplicates, regressions: report.regressions },
    { lost: 0, duplicates: 0, regressions: 0 },
    JSON.stringify(report.gaps),
  );
  assert.deepEqual(counter.bad, [], "no Bad value while an instance was available");
  return report;
}

test("RedundantClient follows ServerUriArray; SIGKILL of the active instance loses and repeats nothing", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  // From the second instance alone: the set, in preference order, resolved by FindServers.
  const set = await discoverRedundantSet({ url: endpoints[1]! });
  assert.deepEqual(set, {
    support: "Hot",
    serverUris: [`${uriA}:line1`, `${uriB}:line1`],
    servers: [
      { applicationUri: `${uriA}:line1`, url: endpoints[0] },
      { applicationUri: `${uriB}:line1`, url: endpoints[1] },
    ],
    unresolved: [],
  });
  await assert.rejects(
    discoverRedundantSet({ url: sims[0]!.endpointUrl }),
    /not a server of a non-transparent/,
  );

  const { client, counter, failovers } = throughGateways(set.servers.map((s) => s.url));
  try {
    await client.start();
    assert.equal(client.status().activeIndex, 0, "the primary instance (higher ServiceLevel) is active");
    await counter.waitForMore(50, 20_000, "values through the primary instance");
    const killedAt = Date.now();
    await gateways[0]!.kill("SIGKILL");
    const event = await waitFor(() => failovers[0], 15_000, "failover to the other instance");
    const first = await waitFor(
      () => counter.values.find((v) => v.receivedAt >= event.at.getTime()),
      15_000,
      "a value through the other instance",
    );
    await counter.waitForMore(50, 20_000, "values through the other instance");
    assert.equal(event.toIndex, 1, `${event.reason} ${event.detail}`);
    const report = assertNoLoss(counter);
    t.diagnostic(
      `gateway-instance failover (SIGKILL): switch ${event.at.getTime() - killedAt} ms, first value through the other ${first.receivedAt - killedAt} ms after SIGKILL; ${report.count} values, lost ${report.lost}, duplicates ${report.duplicates}`,
    );
  } finally {
    await client.stop();
  }
});

test("a graceful stop of the active instance is a planned switch (ServiceLevel Maintenance): nothing lost", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  // The killed instance comes back with the same configuration.
  gateways[0] = await spawnGateway(configs[0]!);
  await gateways[0].ready();
  const { client, counter, failovers } = throughGateways(endpoints);
  try {
    await client.start();
    await waitFor(() => client.status().activeIndex === 0, 15_000, "the primary instance active");
    await counter.waitForMore(50, 20_000, "values through the primary instance");
    const closed = once(gateways[0].child, "exit");
    const stoppedAt = Date.now();
    gateways[0].child.kill("SIGTERM");
    // keepalived's track_script fails at once: the VIP leaves before the endpoint closes.
    const health = await cli(["health", "--url", gateways[0].httpUrl, "--timeout-ms", "2000"]);
    assert.equal(health.code, 1, health.stderr);
    assert.match(health.stderr, /^line1: endpoint stopping$/m);
    const event = await waitFor(() => failovers[0], 15_000, "the planned switch");
    const exitedAt = await closed.then(() => Date.now());
    await counter.waitForMore(50, 20_000, "values through the other instance");
    assert.equal(event.toIndex, 1, `${event.reason} ${event.detail}`);
    assert.ok(["serviceLevel", "serverState"].includes(event.reason), `${event.reason} ${event.detail}`);
    assert.equal(event.durationMs, 0, "planned: no time without an active server");
    assert.ok(event.at.getTime() < exitedAt, "switched while the stopping instance still served");
    const report = assertNoLoss(counter);
    t.diagnostic(
      `planned switch (SIGTERM, ${SHUTDOWN_DELAY_MS} ms delay): ${event.at.getTime() - stoppedAt} ms after the signal (${event.reason}); lost ${report.lost}, duplicates ${report.duplicates}`,
    );
  } finally {
    await client.stop();
  }
});

test("a client that knows no redundancy behind a moving address (the VIP, simulated): its gap, measured", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  // The stopped instance comes back; the "virtual IP" is a TCP forwarder that keepalived would move.
  gateways[0] = await spawnGateway(configs[0]!);
  await gateways[0].ready();
  const vip = await startFaultProxy({ port: Number(new URL(endpoints[1]!).port) });
  // A plain client, as a SCADA would be: node-opcua's own reconnection, nothing of this project.
  const client = OPCUAClient.create({
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 1000, initialDelay: 100, maxDelay: 500 },
    keepSessionAlive: true,
  });
  const counter = new CounterRecorder();
  try {
    await client.connect(vip.url);
    const session = await client.createSession();
    const subscription = await session.createSubscription2({
      requestedPublishingInterval: 50,
      requestedMaxKeepAliveCount: 10,
      requestedLifetimeCount: 100,
      publishingEnabled: true,
    });
    const item = await subscription.monitor(
      { nodeId: "ns=1;s=Counter", attributeId: AttributeIds.Value },
      { samplingInterval: 0, queueSize: 1000, discardOldest: true },
      TimestampsToReturn.Both,
    );
    item.on("changed", counter.onValue);
    await counter.waitForMore(50, 20_000, "values through instance B");
    const before = counter.count;
    const killedAt = Date.now();
    await gateways[1]!.kill("SIGKILL");
    vip.setTarget({ port: Number(new URL(endpoints[0]!).port) }); // the address moves to A at once
    const first = await waitFor(() => counter.values[before], 60_000, "a value through instance A");
    await counter.waitForMore(20, 20_000, "values through instance A");
    const last = counter.values[before - 1]!;
    const missed = first.value - last.value - 1;
    t.diagnostic(
      `plain client behind a moved address: first value ${first.receivedAt - killedAt} ms after SIGKILL, ${missed} values missed (${missed * TICK_MS} ms of data), reconnect + new session + re-subscribe`,
    );
    assert.ok(first.receivedAt - killedAt < 15_000, "the client is back within seconds");
    // A client without redundancy loses its session: the values of the gap are lost (no backfill),
    // what the README says of the VIP path; never an older or repeated value.
    assert.ok(missed > 0, `the gap is lost (${missed} values)`);
    assert.equal(counter.report(before).duplicates + counter.report(before).regressions, 0);
  } finally {
    await client.disconnect().catch(() => undefined);
    await vip.close();
  }
});
