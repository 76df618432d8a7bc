/** Forwarding bindings with real parts: simulator -> RedundantClient -> hand-made mirrors -> client. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  AttributeIds,
  type ClientSession,
  ClientSubscription,
  DataType,
  type DataValue,
  MessageSecurityMode,
  OPCUAClient,
  OPCUAServer,
  RegisterServerMethod,
  resolveNodeId,
  SecurityPolicy,
  StatusCodes,
  TimestampsToReturn,
} from "node-opcua";
import { RedundantClient } from "../../src/client/redundant-client.ts";
import { bindMirroredMethod } from "../../src/gateway/method-binding.ts";
import { createMonitoredItemHooks, type MirroredVariable } from "../../src/gateway/monitored-items.ts";
import type { UpstreamPort } from "../../src/gateway/upstream-port.ts";
import { bindMirroredVariable } from "../../src/gateway/variable-binding.ts";
import { createSimulatorCertificateManagers } from "../../src/simulator/pki.ts";
import { type Simulator, startSimulator } from "../../src/simulator/simulator.ts";
import { delay, INTEGRATION_TEST_TIMEOUT_MS, waitFor, waitForEvent } from "../helpers/wait.ts";

const TICK_MS = 50;
const options = { timeout: INTEGRATION_TEST_TIMEOUT_MS };

type Counts = Record<keyof UpstreamPort, number>;

/** The port the gateway uses, counting the requests that reach the engine. */
function countingPort(inner: UpstreamPort): { port: UpstreamPort; count: Counts } {
  const count: Counts = { read: 0, write: 0, call: 0, historyRead: 0, monitor: 0 };
  const counting = <K extends keyof UpstreamPort>(key: K) =>
    ((...args: unknown[]) => {
      count[key]++;
      return (inner[key] as (...a: unknown[]) => unknown).apply(inner, args);
    }) as UpstreamPort[K];
  const port = {
    read: counting("read"),
    write: counting("write"),
    call: counting("call"),
    historyRead: counting("historyRead"),
    monitor: counting("monitor"),
  };
  return { port, count };
}

let sim: Simulator;
let engine: RedundantClient;
let counted: ReturnType<typeof countingPort>;
let hooks: ReturnType<typeof createMonitoredItemHooks>;
let server: OPCUAServer;
let downstream: OPCUAClient;
let session: ClientSession;
const mirrors = new Map<string, MirroredVariable>();

async function startGatewayServer(): Promise<void> {
  const pki = createSimulatorCertificateManagers("gateway-bindings-test");
  hooks = createMonitoredItemHooks((nodeId) => mirrors.get(nodeId.toString()), counted.port);
  server = new OPCUAServer({
    port: 0,
    host: "127.0.0.1",
    hostname: "127.0.0.1",
    ...{ securityPolicies: [SecurityPolicy.None], securityModes: [MessageSecurityMode.None] },
    allowAnonymous: true,
    registerServerMethod: RegisterServerMethod.HIDDEN,
    serverCertificateManager: pki.server,
    userCertificateManager: pki.user,
    // 0: an exception-based downstream item delivers every pushed value (no coalescing window)
    serverCapabilities: { minSupportedSampleRate: 0 },
    serverInfo: { applicationUri: "urn:opcua-redundancy:simulator:gateway-bindings-test" },
    onCreateMonitoredItem: hooks.onCreateMonitoredItem,
    onDeleteMonitoredItem: hooks.onDeleteMonitoredItem,
  });
  await server.initialize();
  const namespace = server.engine.addressSpace!.getOwnNamespace();
  const folder = namespace.addObject({
    organizedBy: server.engine.addressSpace!.rootFolder.objects,
    browseName: "Mirror",
    nodeId: "s=Mirror",
  });
  const mirror = (name: string, upstream: string, writable: boolean) => {
    const access = writable ? "CurrentRead | CurrentWrite" : "CurrentRead";
    const variable = namespace.addVariable({
      componentOf: folder,
      browseName: name,
      nodeId: `s=${name}`,
      dataType: "Int32",
      accessLevel: access,
      userAccessLevel: access,
      minimumSamplingInterval: 0,
    });
    const upstreamNodeId = resolveNodeId(upstream);
    mirrors.set(variable.nodeId.toString(), { variable, upstreamNodeId });
    bindMirroredVariable(variable, upstreamNodeId, counted.port, {
      isMonitored: () => hooks.isMonitored(variable),
    });
    return variable;
  };
  mirror("Counter", "ns=1;s=Counter", false);
  // the same upstream node, never monitored downstream, and writable here: its AccessLevel is the upstream's to judge
  mirror("CounterRead", "ns=1;s=Counter", true);
  mirror("Status", "ns=1;s=Status", true);
  mirror("SimulatedServerState", "ns=1;s=SimulatedServerState", true);
  const method = namespace.addMethod(folder, {
    browseName: "GetMonitoredItems",
    nodeId: "s=GetMonitoredItems",
    inputArguments: [{ name: "SubscriptionId", dataType: DataType.UInt32 }],
    outputArguments: [
      { name: "ServerHandles", dataType: DataType.UInt32, valueRank: 1 },
      { name: "ClientHandles", dataType: DataType.UInt32, valueRank: 1 },
    ],
  });
  bindMirroredMethod(method, resolveNodeId("i=2253"), resolveNodeId("i=11492"), counted.port);
  await server.start();
}

/** Shared clock: Counter = tick % 2^31 and its source timestamp is that tick's boundary. */
function upstreamTimestamp(value: DataValue): boolean {
  const time = value.sourceTimestamp?.getTime();
  if (time === undefined || time % TICK_MS !== 0) return false;
  return (time / TICK_MS) % 2 ** 31 === value.value.value;
}

const readValue = (nodeId: string, maxAge = 0) =>
  session.read({ nodeId, attributeId: AttributeIds.Value }, maxAge) as Promise<DataValue>;
const writeInt = (nodeId: string, value: number, dataType = DataType.Int32) =>
  session.write({ nodeId, attributeId: AttributeIds.Value, value: { value: { dataType, value } } });

async function subscribe(s: ClientSession, nodeId: string, samplingInterval = 0, lifetimeCount = 600) {
  const subscription = ClientSubscription.create(s, {
    requestedPublishingInterval: 50,
    requestedLifetimeCount: lifetimeCount,
    requestedMaxKeepAliveCount: Math.min(20, Math.floor(lifetimeCount / 3)),
    publishingEnabled: true,
  });
  await waitForEvent(subscription, "started", 5000);
  const item = await subscription.monitor(
    { nodeId, attributeId: AttributeIds.Value },
    { samplingInterval, queueSize: 1000, discardOldest: false },
    TimestampsToReturn.Both,
  );
  const values: DataValue[] = [];
  item.on("changed", (dataValue: DataValue) => values.push(dataValue));
  await waitFor(() => values.length > 0, 5000, `the initial value of ${nodeId}`);
  return { subscription, item, values };
}

before(async () => {
  sim = await startSimulator({ port: 0, tickMs: TICK_MS, sharedClock: true });
  engine = new RedundantClient({ name: "t", servers: [{ url: sim.endpointUrl }], mode: "hot" });
  counted = countingPort(engine); // RedundantClient satisfies UpstreamPort structurally
  await engine.start();
  await startGatewayServer();
  downstream = OPCUAClient.create({
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 5, initialDelay: 200 },
  });
  await downstream.connect(`opc.tcp://127.0.0.1:${server.endpoints[0]!.port}`);
  session = await downstream.createSession();
});

after(async () => {
  await session?.close().catch(() => undefined);
  await downstream?.disconnect();
  hooks?.close();
  await server?.shutdown(0);
  await engine?.stop();
  await sim?.stop();
});

test("a Read goes upstream and answers its value, status and source timestamp", options, async () => {
  const [direct] = await engine.read(["ns=1;s=Counter"]);
  const before = counted.count.read;
  const value = await readValue("ns=1;s=CounterRead");
  assert.equal(counted.count.read, before + 1, "one upstream read");
  assert.equal(value.statusCode, StatusCodes.Good);
  const counter = value.value.value as number;
  const expected = direct!.value.value as number;
  assert.ok(Math.abs(counter - expected) <= 3, `${counter} vs ${expected}`);
  assert.ok(upstreamTimestamp(value), `source timestamp ${value.sourceTimestamp?.toISOString()}`);

  const cached = await readValue("ns=1;s=CounterRead", 60_000);
  assert.equal(counted.count.read, before + 1, "a Read within maxAge is answered from the cache");
  assert.equal(cached.value.value, counter);
  await readValue("ns=1;s=CounterRead", 0);
  assert.equal(counted.count.read, before + 2, "maxAge 0 reads the upstream again");
});

test("Writes are forwarded and answer the upstream's StatusCode exactly", options, async () => {
  assert.notEqual((await readValue("ns=1;s=Status", 60_000)).value.value, 4242); // now cached
  assert.equal((await writeInt("ns=1;s=Status", 4242)).name, "Good");
  assert.ok(sim.writes.some((w) => w.nodeId === "ns=1;s=Status" && w.value === 4242));
  // the next Read asks the upstream whatever maxAge says: the write made the cache stale
  assert.equal((await readValue("ns=1;s=Status", 60_000)).value.value, 4242);

  const writes = counted.count.write;
  const logged = sim.writes.length;
  assert.equal((await writeInt("ns=1;s=CounterRead", 7)).name, "BadNotWritable");
  assert.equal((await writeInt("ns=1;s=Status", 1.5, DataType.Double)).name, "BadTypeMismatch");
  assert.equal((await writeInt("ns=1;s=SimulatedServerState", 99)).name, "BadOutOfRange");
  assert.equal(counted.count.write, writes + 3, "every write reached the upstream");
  assert.equal(sim.writes.length, logged, "no rejected write was applied upstream");
  const local = mirrors.get("ns=1;s=CounterRead")!.variable.readValue();
  assert.ok(local.statusCode.isGood() && local.value.value !== 7, "a rejected write is not stored locally");
  assert.equal((await readValue("ns=1;s=Status", 60_000)).value.value, 4242);
});

test("a Call is forwarded and answers the upstream's result", options, async () => {
  const result = await session.call({
    objectId: "ns=1;s=Mirror",
    methodId: "ns=1;s=GetMonitoredItems",
    inputArguments: [{ dataType: DataType.UInt32, value: 987_654 }],
  });
  assert.equal(result.statusCode.name, "BadSubscriptionIdInvalid");
  assert.equal(counted.count.call, 1);
});

test("samplingInterval 0 sees every upstream value with its source timestamp", options, async () => {
  const { item, values } = await subscribe(session, "ns=1;s=Counter");
  await waitFor(() => values.length >= 31, 10_000, "31 values");
  const counters = values.map((v) => v.value.value as number);
  for (let i = 1; i < counters.length; i++) {
    assert.equal(counters[i], counters[i - 1]! + 1, `gap or repeat at ${i}: ${counters.join(",")}`);
  }
  assert.ok(values.every(upstreamTimestamp), "every value carries the upstream's source timestamp");
  assert.equal(engine.status().monitoredItems, 1);

  // monitored: a Read (even maxAge 0) answers the pushed value, without an upstream round-trip
  const reads = counted.count.read;
  const read = await readValue("ns=1;s=Counter", 0);
  assert.equal(counted.count.read, reads);
  assert.ok(Math.abs((read.value.value as number) - counters.at(-1)!) <= 3);
  assert.ok(upstreamTimestamp(read));
  await item.terminate();
  await waitFor(() => engine.status().monitoredItems === 0, 5000, "the upstream item to go");
});

test("downstream items share one upstream item, released however they go", options, async () => {
  const monitors = counted.count.monitor;
  const exceptionBased = await subscribe(session, "ns=1;s=Counter");
  const reads = counted.count.read;
  const sampled = await subscribe(session, "ns=1;s=Counter", 100);
  assert.equal(engine.status().monitoredItems, 1);
  assert.equal(hooks.size, 1);
  assert.equal(counted.count.monitor, monitors + 1, "one upstream monitor for two downstream items");
  await waitFor(() => sampled.values.length >= 5, 5000, "sampled values");
  assert.equal(counted.count.read, reads, "samples are answered from the pushed value");
  assert.ok(sampled.values.every(upstreamTimestamp));

  await sampled.item.terminate();
  assert.equal(engine.status().monitoredItems, 1, "one downstream item left");
  await exceptionBased.item.terminate();
  await waitFor(() => engine.status().monitoredItems === 0, 5000, "the upstream item to go after deletes");

  const viaSubscription = await subscribe(session, "ns=1;s=Status");
  assert.equal(engine.status().monitoredItems, 1);
  await viaSubscription.subscription.terminate();
  await waitFor(() => engine.status().monitoredItems === 0, 5000, "release on DeleteSubscriptions");

  const other = await downstream.createSession();
  await subscribe(other, "ns=1;s=Status");
  assert.equal(engine.status().monitoredItems, 1);
  await other.close();
  await waitFor(() => engine.status().monitoredItems === 0, 5000, "release on CloseSession");
  assert.equal(hooks.size, 0);

  // no hook runs when a subscription expires: kept by a session closed without deleteSubscriptions
  const orphan = await downstream.createSession();
  await subscribe(orphan, "ns=1;s=Status", 0, 10);
  assert.equal(engine.status().monitoredItems, 1);
  await orphan.close(false);
  await waitFor(() => engine.status().monitoredItems === 0, 15_000, "release on lifetime expiry");
});

test("with the upstream gone: BadServerNotConnected at once, one BadNoCommunication", options, async () => {
  const { values } = await subscribe(session, "ns=1;s=Counter");
  await sim.stop();
  const stopped = Date.now();
  let status = "";
  while (status !== "BadServerNotConnected" && Date.now() - stopped < 5000) {
    status = (await readValue("ns=1;s=Status")).statusCode.name;
  }
  assert.equal(status, "BadServerNotConnected");
  const elapsed = Date.now() - stopped;
  assert.ok(elapsed < 1000, `Read answered BadServerNotConnected after ${elapsed} ms`);
  const lost = (v: DataValue) => v.statusCode.equals(StatusCodes.BadNoCommunication);
  await waitFor(() => values.some(lost), 5000, "BadNoCommunication downstream");
  assert.equal((await writeInt("ns=1;s=Status", 1)).name, "BadServerNotConnected");
  const call = await session.call({
    objectId: "ns=1;s=Mirror",
    methodId: "ns=1;s=GetMonitoredItems",
    inputArguments: [{ dataType: DataType.UInt32, value: 1 }],
  });
  assert.equal(call.statusCode.name, "BadServerNotConnected");
  // a monitored variable answers its pushed value: the engine's BadNoCommunication
  assert.equal((await readValue("ns=1;s=Counter")).statusCode.name, "BadNoCommunication");
  await delay(500); // nothing more may come
  assert.equal(values.filter(lost).length, 1, "one BadNoCommunication, not a flood");
});
