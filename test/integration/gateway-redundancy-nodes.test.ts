/**
 * Transparent-redundancy and pair nodes with real parts: two simulators -> RedundantClient -> a
 * node-opcua OPCUAServer built like the pair server's (installRedundancyNodes) -> a real client.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  AttributeIds,
  BrowseDirection,
  type ClientSession,
  ClientSubscription,
  DataType,
  type DataValue,
  MessageSecurityMode,
  OPCUAClient,
  OPCUAServer,
  RedundantServerDataType,
  RegisterServerMethod,
  SecurityPolicy,
  ServerState,
  TimestampsToReturn,
} from "node-opcua";
import { RedundantClient } from "../../src/client/redundant-client.ts";
import { gatewayNamespaceUri, installRedundancyNodes } from "../../src/gateway/redundancy-nodes.ts";
import { createLogger } from "../../src/log.ts";
import { createSimulatorCertificateManagers } from "../../src/simulator/pki.ts";
import { type Simulator, startSimulator } from "../../src/simulator/simulator.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor, waitForAsync, waitForEvent } from "../helpers/wait.ts";

const options = { timeout: INTEGRATION_TEST_TIMEOUT_MS };
const PAIR = "line1";

let primary: Simulator;
let secondary: Simulator;
let client: RedundantClient;
let server: OPCUAServer;
let installed: { dispose(): void };
let downstream: OPCUAClient;
let session: ClientSession;
let ns: number;

/**
 * A started client whose initial active server is the primary. The secondary may answer first on a
 * loaded machine and, with manual failback, would stay active: then start over with a new client.
 */
async function startClientOnPrimary(): Promise<RedundantClient> {
  for (let attempt = 1; ; attempt++) {
    const candidate = new RedundantClient(
      {
        name: PAIR,
        mode: "hot",
        servers: [{ url: primary.endpointUrl }, { url: secondary.endpointUrl }],
        statusQuery: { intervalMs: 250, timeoutMs: 750 },
        failback: { policy: "manual" },
      },
      { logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? "silent" }) },
    );
    await candidate.start();
    await waitFor(
      () => candidate.status().servers.every((s) => s.state === "connected" && s.serviceLevel !== null),
      30_000,
      "both upstream servers connected",
    );
    if (candidate.status().activeIndex === 0 || attempt === 3) return candidate;
    await candidate.stop();
  }
}

before(async () => {
  [primary, secondary] = await Promise.all([
    startSimulator({ port: 0, tickMs: 100 }),
    startSimulator({ port: 0, tickMs: 100 }),
  ]);
  // The server and the downstream client first: their certificates are made synchronously, a
  // stall that would otherwise make the client's upstream keep-alives time out.
  const pki = createSimulatorCertificateManagers("gateway-redundancy-nodes-test");
  server = new OPCUAServer({
    port: 0,
    hostname: "127.0.0.1",
    securityPolicies: [SecurityPolicy.None],
    securityModes: [MessageSecurityMode.None],
    allowAnonymous: true,
    registerServerMethod: RegisterServerMethod.HIDDEN,
    serverCertificateManager: pki.server,
    userCertificateManager: pki.user,
    serverInfo: { applicationUri: "urn:opcua-redundancy:gateway-redundancy-nodes-test" },
  });
  await server.initialize();
  await server.start();
  downstream = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
  await downstream.connect(`opc.tcp://127.0.0.1:${server.endpoints[0]!.port}`);
  session = await downstream.createSession();

  client = await startClientOnPrimary();
  // as the pair server does: the mirrored namespaces first, the gateway's own last
  server.engine.addressSpace!.registerNamespace("urn:opcua-redundancy:simulator:mirrored");
  installed = installRedundancyNodes(server, client, PAIR);
});

after(async () => {
  await session?.close().catch(() => undefined);
  await downstream?.disconnect();
  installed?.dispose();
  await server?.shutdown(0);
  await client?.stop();
  await Promise.all([primary?.stop(), secondary?.stop()]);
});

const read = async (nodeId: string): Promise<DataValue> =>
  session.read({ nodeId, attributeId: AttributeIds.Value }, 0);
const value = async (nodeId: string): Promise<unknown> => {
  const dataValue = await read(nodeId);
  assert.equal(dataValue.statusCode.name, "Good", `${nodeId}: ${dataValue.statusCode.toString()}`);
  return dataValue.value.value;
};
const pairNode = (path: string) => `ns=${ns};s=${PAIR}${path ? `.${path}` : ""}`;
const currentServerId = () => `ns=${ns};s=ServerRedundancy.CurrentServerId`;
const redundantServers = async () => (await value("i=11313")) as RedundantServerDataType[];
const forceFailover = (target: string) =>
  session.call({
    objectId: pairNode(""),
    methodId: pairNode("ForceFailover"),
    inputArguments: [{ dataType: DataType.String, value: target }],
  });

test("the gateway's namespace comes last in the NamespaceArray", options, async () => {
  const namespaces = (await value("i=2255")) as string[];
  assert.equal(namespaces.at(-1), gatewayNamespaceUri(PAIR));
  assert.equal(namespaces.at(-1), "urn:opcua-redundancy:line1");
  ns = namespaces.length - 1;
});

test("ServerRedundancy is a transparent redundancy object", options, async () => {
  assert.equal(await value("i=3709"), 4, "RedundancySupport = Transparent");
  const typeDefinition = await session.browse({
    nodeId: "i=2296",
    browseDirection: BrowseDirection.Forward,
    referenceTypeId: "HasTypeDefinition",
  });
  assert.equal(typeDefinition.references?.[0]?.nodeId.toString(), "ns=0;i=2036");
  const properties = await session.browse({
    nodeId: "i=2296",
    browseDirection: BrowseDirection.Forward,
    referenceTypeId: "HasProperty",
    resultMask: 0x3f,
  });
  const names = (properties.references ?? []).map((r) => r.browseName.toString()).sort();
  assert.deepEqual(names, ["CurrentServerId", "RedundancySupport", "RedundantServerArray"]);
  const dataType = await session.read({ nodeId: currentServerId(), attributeId: AttributeIds.DataType });
  assert.equal(dataType.value.value.toString(), "ns=0;i=12", "CurrentServerId is a String");

  assert.equal(await value(currentServerId()), primary.endpointUrl);
  const servers = await redundantServers();
  assert.equal(servers.length, 2);
  assert.ok(servers.every((s) => s instanceof RedundantServerDataType));
  assert.deepEqual(
    servers.map((s) => [s.serverId, s.serviceLevel, s.serverState]),
    [
      [primary.endpointUrl, 255, ServerState.Running],
      [secondary.endpointUrl, 255, ServerState.Running],
    ],
  );
});

test("the pair object shows the pair's state", options, async () => {
  assert.equal(await value(pairNode("ActiveServer")), primary.endpointUrl);
  assert.equal(await value(pairNode("Mode")), "hot");
  assert.equal(await value(pairNode("State")), "active");
  const count = await read(pairNode("FailoverCount"));
  assert.equal(count.value.dataType, DataType.UInt32);
  assert.equal(count.value.value, 0);
  const time = await read(pairNode("LastFailoverTime"));
  assert.equal(time.value.dataType, DataType.DateTime);
  // OPC UA encodes a null DateTime as its minimum, 1601-01-01: the client decodes that date
  const none = time.value.value as Date | null;
  assert.ok(none === null || none.getTime() === Date.UTC(1601, 0, 1), `LastFailoverTime ${String(none)}`);
  assert.equal(await value(pairNode("LastFailoverReason")), "");
  const write = await session.write({
    nodeId: pairNode("ActiveServer"),
    attributeId: AttributeIds.Value,
    value: { value: { dataType: DataType.String, value: "x" } },
  });
  assert.equal(write.name, "BadNotWritable");
  for (const [index, sim] of [primary, secondary].entries()) {
    const name = `Server${index + 1}`;
    assert.equal(await value(pairNode(`${name}.Url`)), sim.endpointUrl);
    assert.equal(await value(pairNode(`${name}.State`)), "connected");
    const level = await read(pairNode(`${name}.ServiceLevel`));
    assert.deepEqual([level.value.dataType, level.value.value], [DataType.Byte, 255]);
    assert.equal(await value(pairNode(`${name}.ServerState`)), "Running");
  }
});

test("ForceFailover switches, refuses, and rejects unknown servers", options, async () => {
  // a subscription sees the switch: the computed variables are sampled
  const subscription = ClientSubscription.create(session, {
    requestedPublishingInterval: 100,
    requestedMaxKeepAliveCount: 20,
    publishingEnabled: true,
  });
  await waitForEvent(subscription, "started", 5000);
  const item = await subscription.monitor(
    { nodeId: pairNode("ActiveServer"), attributeId: AttributeIds.Value },
    { samplingInterval: 0, queueSize: 10 },
    TimestampsToReturn.Both,
  );
  const seen: unknown[] = [];
  item.on("changed", (dataValue: DataValue) => seen.push(dataValue.value.value));
  await waitFor(() => seen.length > 0, 5000, "the initial ActiveServer");

  const before = Date.now();
  const result = await forceFailover(secondary.endpointUrl);
  assert.equal(result.statusCode.name, "Good", result.outputArguments?.[0]?.value);
  assert.equal(await value(pairNode("ActiveServer")), secondary.endpointUrl);
  assert.equal(await value(currentServerId()), secondary.endpointUrl);
  assert.equal(await value(pairNode("FailoverCount")), 1);
  assert.equal(await value(pairNode("LastFailoverReason")), "manual");
  const at = (await value(pairNode("LastFailoverTime"))) as Date;
  assert.ok(at instanceof Date && at.getTime() >= before - 1000, `LastFailoverTime ${String(at)}`);
  await waitFor(() => seen.includes(secondary.endpointUrl), 5000, "the subscription to see the switch");
  await subscription.terminate();

  const again = await forceFailover(secondary.endpointUrl);
  assert.equal(again.statusCode.name, "BadInvalidState");
  assert.match(String(again.outputArguments?.[0]?.value), /already active/);
  const unknown = await forceFailover("opc.tcp://127.0.0.1:1/nowhere");
  assert.equal(unknown.statusCode.name, "BadInvalidArgument");
  assert.equal(await value(pairNode("FailoverCount")), 1, "refused requests change nothing");
});

test("a stopped upstream server shows as lost", options, async () => {
  await secondary.stop();
  const servers = await waitForAsync(
    async () => {
      const list = await redundantServers();
      return list[1]?.serverState === ServerState.CommunicationFault ? list : null;
    },
    30_000,
    "the secondary to show CommunicationFault",
  );
  assert.equal(servers[1]?.serviceLevel, 0);
  assert.deepEqual(
    [servers[0]?.serverId, servers[0]?.serviceLevel, servers[0]?.serverState],
    [primary.endpointUrl, 255, ServerState.Running],
  );
  assert.equal(await value(pairNode("Server2.State")), "lost");
  assert.equal(await value(pairNode("Server2.ServerState")), "CommunicationFault");
  assert.equal(await value(pairNode("Server2.ServiceLevel")), 0);
  // the secondary was active: the pair failed over back to the primary
  await waitForAsync(
    async () => (await value(currentServerId())) === primary.endpointUrl,
    30_000,
    "CurrentServerId back on the primary",
  );
  // node-opcua's stop announces ServerState Shutdown as it closes: whichever the link sees first
  assert.match(String(await value(pairNode("LastFailoverReason"))), /^(commLost|serverState)$/);
});

test("dispose removes the nodes and gives ServerRedundancy back its standard shape", options, async () => {
  installed.dispose();
  assert.equal(await value("i=3709"), 0, "RedundancySupport = None");
  assert.equal((await read(pairNode("ActiveServer"))).statusCode.name, "BadNodeIdUnknown");
  assert.equal((await read(currentServerId())).statusCode.name, "BadNodeIdUnknown");
  const typeDefinition = await session.browse({
    nodeId: "i=2296",
    browseDirection: BrowseDirection.Forward,
    referenceTypeId: "HasTypeDefinition",
  });
  assert.equal(typeDefinition.references?.[0]?.nodeId.toString(), "ns=0;i=2034");
  assert.deepEqual(await value("i=11313"), []);
});
