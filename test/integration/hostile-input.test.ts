/**
 * Limits and hostile input on a pair endpoint (issue 7, point 6). A healthy client subscribed to
 * Counter is checked throughout every attack: its values keep coming (no silence longer than a few
 * seconds, none lost, repeated or reordered) while another client opens 500 sessions, asks for
 * 1,000,000 monitored items, or sends random bytes, truncated messages and slow-loris connections
 * to the opc.tcp port. A write with the wrong type gets the upstream's status.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { after, before, test } from "node:test";
import {
  AttributeIds,
  type ClientSession,
  type CreateMonitoredItemsRequestOptions,
  type CreateMonitoredItemsResponse,
  DataType,
  MonitoredItemCreateRequest,
  MonitoringMode,
  OPCUAClient,
  TimestampsToReturn,
} from "node-opcua";
import type { CounterRecorder } from "../helpers/counter-recorder.ts";
import {
  connectDownstream,
  type Downstream,
  type GatewayRig,
  startGatewayRig,
} from "../helpers/gateway-rig.ts";
import { delay, INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

const limits = {
  maxSessions: 100,
  maxSessionsPerClient: 50,
  maxConnections: 200,
  maxSubscriptionsPerSession: 2,
  maxMonitoredItemsPerSubscription: 2000,
  maxMonitoredItems: 10_000,
  maxNodesPerRequest: 10_000,
};

let rig: GatewayRig;
let healthy: Downstream;
let counter: CounterRecorder;
/** The gateway runs in this process: an exception escaping node-opcua would end it. */
const crashes: string[] = [];
const onCrash = (error: Error) => void crashes.push(error.message);

before(async () => {
  process.on("uncaughtException", onCrash);
  // Hot mode and a patient status query: the attacks run in this process too, and starve it of
  // CPU; what is under test is the downstream endpoint, not a failover caused by the test itself.
  rig = await startGatewayRig({
    pairs: [{ mode: "hot", extra: { limits, statusQuery: { intervalMs: 500, timeoutMs: 4000 } } }],
    tickMs: 50,
  });
  healthy = await connectDownstream(rig.endpoints[0]!);
  counter = await healthy.record("ns=1;s=Counter");
  await counter.waitForMore(5, 10_000);
});

after(async () => {
  process.off("uncaughtException", onCrash);
  await healthy?.close();
  await rig?.dispose();
});

/** Runs an attack while checking that the healthy client's Counter keeps flowing, intact. */
async function whileHealthy(what: string, attack: () => Promise<void>): Promise<string> {
  const from = counter.count;
  let longestSilenceMs = 0;
  let last = Date.now();
  const watch = setInterval(() => {
    const latest = counter.values.at(-1)?.receivedAt ?? last;
    longestSilenceMs = Math.max(longestSilenceMs, Date.now() - latest);
    last = latest;
  }, 100);
  try {
    await attack();
    await counter.waitForMore(5, 10_000, `Counter values after ${what}`);
  } finally {
    clearInterval(watch);
  }
  const report = counter.report(from);
  assert.ok(longestSilenceMs < 5000, `${what}: the healthy client heard nothing for ${longestSilenceMs} ms`);
  assert.deepEqual(
    {
      lost: report.lost,
      duplicates: report.duplicates,
      regressions: report.regressions,
      bad: counter.bad.length,
    },
    { lost: 0, duplicates: 0, regressions: 0, bad: 0 },
    `${what}: ${JSON.stringify(report.gaps.slice(0, 5))}`,
  );
  return `${what}: ${report.count} Counter values, none lost; longest silence ${longestSilenceMs} ms`;
}

/**
 * A TCP relay whose connections to the gateway come from another loopback address (127.0.0.2):
 * to the gateway, a client on another machine.
 */
async function relayFromOtherAddress(targetPort: number): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((incoming) => {
    const outgoing = connect({ host: "127.0.0.1", port: targetPort, localAddress: "127.0.0.2" });
    for (const socket of [incoming, outgoing]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => sockets.delete(socket));
    }
    incoming.pipe(outgoing).pipe(incoming);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `opc.tcp://127.0.0.1:${port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

test("500 sessions from one client: Bad statuses beyond its quota, others keep their data and get in", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const clients: OPCUAClient[] = [];
  const sessions: ClientSession[] = [];
  const refusals = new Map<string, number>();
  try {
    const healthy = await whileHealthy("the session flood", async () => {
      for (let c = 0; c < 10; c++) {
        const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
        clients.push(client);
        await client.connect(rig.endpoints[0]!);
        const attempts = Array.from({ length: 50 }, () =>
          client.createSession().then(
            (session) => void sessions.push(session),
            (error: Error) => {
              const status = /Bad\w+/.exec(error.message)?.[0] ?? error.message;
              refusals.set(status, (refusals.get(status) ?? 0) + 1);
            },
          ),
        );
        await Promise.all(attempts);
      }
      // While the flood holds its sessions, a client from another address still gets one.
      const relay = await relayFromOtherAddress(Number(new URL(rig.endpoints[0]!).port));
      try {
        const newcomer = await connectDownstream(relay.url);
        const read = await newcomer.session.read({
          nodeId: "ns=1;s=Counter",
          attributeId: AttributeIds.Value,
        });
        assert.equal(read.statusCode.name, "Good");
        await newcomer.close();
      } finally {
        await relay.close();
      }
    });
    t.diagnostic(healthy);
  } finally {
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
    await Promise.all(clients.map((c) => c.disconnect()));
  }
  const refused = [...refusals.values()].reduce((a, b) => a + b, 0);
  assert.equal(sessions.length + refused, 500);
  // The healthy client, on the same address, holds one of the quota.
  assert.ok(sessions.length <= limits.maxSessionsPerClient - 1, `${sessions.length} sessions opened`);
  assert.ok((refusals.get("BadTooManySessions") ?? 0) >= 450, JSON.stringify([...refusals]));
  // Once closed, sessions are available again.
  const again = await connectDownstream(rig.endpoints[0]!);
  await again.close();
});

test("1,000,000 monitored items asked: Bad statuses beyond the limits, others keep their data", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const flooder = await connectDownstream(rig.endpoints[0]!);
  // node-opcua's ClientSession type hides the raw service; its implementation has it.
  const session = flooder.session as unknown as {
    createMonitoredItems(request: CreateMonitoredItemsRequestOptions): Promise<CreateMonitoredItemsResponse>;
  };
  const statuses = new Map<string, number>();
  const count = (name: string, n = 1) => statuses.set(name, (statuses.get(name) ?? 0) + n);
  const request = (n: number) =>
    Array.from(
      { length: n },
      (_, i) =>
        new MonitoredItemCreateRequest({
          itemToMonitor: { nodeId: "ns=1;s=Status", attributeId: AttributeIds.Value },
          monitoringMode: MonitoringMode.Reporting,
          requestedParameters: { clientHandle: i + 1, samplingInterval: 1000, queueSize: 1 },
        }),
    );
  try {
    const flowing = await whileHealthy("the monitored item flood", async () => {
      // One request above the per-request limit.
      await session
        .createMonitoredItems({
          subscriptionId: flooder.subscription.subscriptionId,
          timestampsToReturn: TimestampsToReturn.Both,
          itemsToCreate: request(limits.maxNodesPerRequest + 1),
        })
        .then(
          (response) => count(`response ${response.responseHeader.serviceResult.name}`),
          (error: Error) => count(/Bad\w+/.exec(error.message)?.[0] ?? error.message),
        );
      // Then 1,000,000 in requests of the largest allowed size.
      for (let asked = 0; asked < 1_000_000; asked += limits.maxNodesPerRequest) {
        const response = await session.createMonitoredItems({
          subscriptionId: flooder.subscription.subscriptionId,
          timestampsToReturn: TimestampsToReturn.Both,
          itemsToCreate: request(limits.maxNodesPerRequest),
        });
        for (const result of response.results ?? []) count(result.statusCode.name);
      }
    });
    t.diagnostic(flowing);
  } finally {
    await flooder.close();
  }
  assert.equal(
    statuses.get("Good"),
    limits.maxMonitoredItemsPerSubscription - 0,
    JSON.stringify([...statuses]),
  );
  assert.equal(statuses.get("BadTooManyMonitoredItems"), 1_000_000 - limits.maxMonitoredItemsPerSubscription);
  assert.ok(
    [...statuses.keys()].some((k) => /BadTooManyOperations/.test(k)),
    `the oversized request: ${JSON.stringify([...statuses])}`,
  );
});

/** A HEL message (OPC UA Part 6 §7.1.2.3) for the endpoint, as raw bytes. */
function helloMessage(endpointUrl: string): Buffer {
  const url = Buffer.from(endpointUrl, "utf8");
  const body = Buffer.alloc(20 + 4 + url.length);
  body.writeUInt32LE(0, 0); // protocol version
  body.writeUInt32LE(65_536, 4); // receive buffer
  body.writeUInt32LE(65_536, 8); // send buffer
  body.writeUInt32LE(0, 12); // max message size
  body.writeUInt32LE(0, 16); // max chunk count
  body.writeInt32LE(url.length, 20);
  url.copy(body, 24);
  const header = Buffer.alloc(8);
  header.write("HELF", 0, "ascii");
  header.writeUInt32LE(8 + body.length, 4);
  return Buffer.concat([header, body]);
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => resolve(socket));
    socket.on("error", reject);
  });
}

/** Sends bytes and waits until the server closes the connection (or `timeoutMs` passes). */
async function sendAndWaitForClose(
  port: number,
  bytes: Buffer,
  timeoutMs: number,
): Promise<"closed" | "open"> {
  const socket = await openSocket(port);
  socket.on("error", () => undefined);
  socket.on("data", () => undefined);
  const closed = new Promise<"closed">((resolve) => socket.once("close", () => resolve("closed")));
  socket.write(bytes);
  const result = await Promise.race([closed, delay(timeoutMs).then(() => "open" as const)]);
  socket.destroy();
  return result;
}

test("random bytes, truncated messages and slow-loris connections never crash the gateway", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const url = rig.endpoints[0]!;
  const port = Number(new URL(url).port);
  const hello = helloMessage(url);
  const flowing = await whileHealthy("garbage on the opc.tcp port", async () => {
    // Random bytes (a whole header at least): refused with a closed connection.
    for (let i = 0; i < 20; i++)
      assert.equal(await sendAndWaitForClose(port, randomBytes(8 + ((i * 997) % 70_000)), 10_000), "closed");
    // A header announcing a huge message.
    const huge = Buffer.from(hello);
    huge.writeUInt32LE(0x7fff_ffff, 4);
    assert.equal(await sendAndWaitForClose(port, huge, 10_000), "closed");
    // Truncated messages: a HEL cut short, a HEL with half an OPN after it; we then hang up.
    const halfOpen = Buffer.from([0x4f, 0x50, 0x4e, 0x46, 0x00, 0x01, 0x00, 0x00, 0x01, 0x02]);
    for (const bytes of [hello.subarray(0, 10), Buffer.concat([hello, halfOpen])]) {
      const socket = await openSocket(port);
      socket.on("error", () => undefined);
      socket.write(bytes);
      await delay(200);
      socket.destroy();
    }
    // A HEL and, in the same segment, a chunk header announcing 49,091 bytes: this crashed
    // node-opcua 2.186.4's server transport (see src/security/transport-hardening.ts).
    const bogusChunk = Buffer.from([0x4f, 0x50, 0x4e, 0x46, 0xc3, 0xbf, 0x00, 0x00, 0x01]);
    for (let i = 0; i < 3; i++) await sendAndWaitForClose(port, Buffer.concat([hello, bogusChunk]), 500);
    assert.deepEqual(crashes, [], "uncaught exceptions in the gateway's process");
    // Slow loris: 100 connections trickling a HEL one byte at a time.
    const loris = await Promise.all(Array.from({ length: 100 }, () => openSocket(port)));
    for (const socket of loris) socket.on("error", () => undefined);
    for (let i = 0; i < 20; i++) {
      for (const socket of loris) socket.write(hello.subarray(i, i + 1));
      await delay(150);
    }
    // Meanwhile a new client still gets in.
    const newcomer = await connectDownstream(url);
    const read = await newcomer.session.read({ nodeId: "ns=1;s=Counter", attributeId: AttributeIds.Value });
    assert.equal(read.statusCode.name, "Good");
    await newcomer.close();
    for (const socket of loris) socket.destroy();
  });
  assert.deepEqual(crashes, [], "uncaught exceptions in the gateway's process");
  t.diagnostic(flowing);
});

test("a write with the wrong type gets the upstream's status", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  const status = await healthy.session.write({
    nodeId: "ns=1;s=Status",
    attributeId: AttributeIds.Value,
    value: { value: { dataType: DataType.String, value: "not a number" } },
  });
  assert.equal(status.name, "BadTypeMismatch");
  const good = await healthy.session.write({
    nodeId: "ns=1;s=Status",
    attributeId: AttributeIds.Value,
    value: { value: { dataType: DataType.Int32, value: 5 } },
  });
  assert.equal(good.name, "Good");
  await rig.sims[0]!.waitForWrite((w) => w.value === 5, 5000);
  assert.equal(
    rig.sims[0]!.writes.some((w) => w.value === "not a number"),
    false,
  );
  await waitFor(() => counter.count > 0, 1000, "values");
});
