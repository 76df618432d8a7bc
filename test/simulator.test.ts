import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import {
  AttributeIds,
  type ClientSession,
  ClientSubscription,
  DataType,
  type DataValue,
  OPCUAClient,
  ServerState,
  StatusCodes,
  TimestampsToReturn,
} from "node-opcua";
import { type Simulator, startSimulator } from "../src/simulator/simulator.ts";
import { spawnSimulator } from "./helpers/sim-process.ts";
import { waitFor, waitForEvent, withTimeout } from "./helpers/wait.ts";

interface Connected {
  client: OPCUAClient;
  session: ClientSession;
  close(): Promise<void>;
}

const open: Connected[] = [];

async function connect(endpointUrl: string): Promise<Connected> {
  const client = OPCUAClient.create({
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    requestedSessionTimeout: 10_000,
  });
  await client.connect(endpointUrl);
  const session = await client.createSession();
  const close = async () => {
    await session.close().catch(() => undefined);
    await client.disconnect().catch(() => undefined);
  };
  open.push({ client, session, close });
  return open.at(-1)!;
}

async function read(session: ClientSession, nodeId: string): Promise<DataValue> {
  return session.read({ nodeId, attributeId: AttributeIds.Value });
}

async function write(session: ClientSession, nodeId: string, dataType: DataType, value: unknown) {
  return session.write({ nodeId, attributeId: AttributeIds.Value, value: { value: { dataType, value } } });
}

/** Subscribes to a node (exception-based: samplingInterval 0, big queue) and collects every DataValue. */
async function subscribe(session: ClientSession, nodeId: string): Promise<DataValue[]> {
  const subscription = ClientSubscription.create(session, {
    requestedPublishingInterval: 50,
    requestedLifetimeCount: 600,
    requestedMaxKeepAliveCount: 20,
    maxNotificationsPerPublish: 0,
    publishingEnabled: true,
  });
  await waitForEvent(subscription, "started", 5000);
  const item = await subscription.monitor(
    { nodeId, attributeId: AttributeIds.Value },
    { samplingInterval: 0, queueSize: 1000, discardOldest: false },
    TimestampsToReturn.Both,
  );
  const values: DataValue[] = [];
  item.on("changed", (dataValue: DataValue) => values.push(dataValue));
  await waitFor(() => values.length > 0, 5000, `the initial value of ${nodeId}`);
  return values;
}

/** Linux process state letter from /proc (R, S, T = stopped, ...). */
function processState(pid: number): string {
  return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.charAt(0);
}

let sim: Simulator;
let main: Connected;

before(async () => {
  const started = performance.now();
  sim = await startSimulator({ tickMs: 20, sharedClock: true });
  console.log(`# in-process startSimulator: ${(performance.now() - started).toFixed(0)} ms`);
  main = await connect(sim.endpointUrl);
});

after(async () => {
  for (const c of open) await c.close();
  await sim.stop();
});

test("a client reads Counter, Sine and ServiceLevel (i=2267)", async () => {
  assert.equal(sim.endpointUrl, `opc.tcp://127.0.0.1:${sim.port}`);
  const [counter, sine, serviceLevel, state] = await main.session.read(
    ["ns=1;s=Counter", "ns=1;s=Sine", "i=2267", "i=2259"].map((nodeId) => ({
      nodeId,
      attributeId: AttributeIds.Value,
    })),
  );
  assert.equal(counter!.statusCode, StatusCodes.Good);
  assert.equal(counter!.value.dataType, DataType.Int32);
  assert.equal(counter!.sourceTimestamp!.getTime() % 20, 0, "source timestamp on a tick boundary");
  assert.equal(counter!.value.value, (counter!.sourceTimestamp!.getTime() / 20) % 2 ** 31);
  assert.ok(Math.abs(Date.now() - counter!.sourceTimestamp!.getTime()) < 2000, "counter is current");
  assert.equal(sine!.value.dataType, DataType.Double);
  assert.equal(serviceLevel!.value.dataType, DataType.Byte);
  assert.equal(serviceLevel!.value.value, 255);
  assert.equal(state!.value.value, ServerState.Running);
});

test("two shared-clock simulators publish identical (value, sourceTimestamp) for a tick", async () => {
  const twin = await startSimulator({ tickMs: 20, sharedClock: true });
  try {
    const other = await connect(twin.endpointUrl);
    const [a, b] = await Promise.all([
      subscribe(main.session, "ns=1;s=Counter"),
      subscribe(other.session, "ns=1;s=Counter"),
    ]);
    await waitFor(() => a.length > 20 && b.length > 20, 5000, "20 ticks from each simulator");
    const byValue = new Map(a.map((dv) => [dv.value.value as number, dv.sourceTimestamp!.getTime()]));
    const common = b.filter((dv) => byValue.has(dv.value.value as number));
    assert.ok(common.length >= 15, `only ${common.length} common ticks`);
    for (const dv of common) {
      assert.equal(dv.sourceTimestamp!.getTime(), byValue.get(dv.value.value as number));
      assert.equal(dv.value.value, (dv.sourceTimestamp!.getTime() / 20) % 2 ** 31);
    }
    await other.close();
  } finally {
    await twin.stop();
  }
});

test("a subscriber at 20 ms ticks sees every Counter value, no gap, in order", async () => {
  const values = await subscribe(main.session, "ns=1;s=Counter");
  await waitFor(() => values.length >= 25, 5000, "25 counter values");
  const blockedUntil = Date.now() + 200; // a busy event loop: the timer fires ~10 ticks late
  while (Date.now() < blockedUntil) {
    // spin
  }
  await waitFor(() => values.length >= 60, 5000, "60 counter values (about 1.2 s)");
  const counters = values.map((dv) => dv.value.value as number);
  for (let i = 1; i < counters.length; i++) {
    assert.equal(counters[i], counters[i - 1]! + 1, `gap or repeat at ${i}: ${counters.slice(i - 2, i + 2)}`);
    const step = values[i]!.sourceTimestamp!.getTime() - values[i - 1]!.sourceTimestamp!.getTime();
    assert.equal(step, 20);
  }
});

test("a client write to Status is logged and emitted", async () => {
  const emitted = waitForEvent<{ nodeId: string; value: unknown }>(sim, "write", 5000);
  const status = await write(main.session, "ns=1;s=Status", DataType.Int32, 42);
  assert.equal(status, StatusCodes.Good);
  const entry = await emitted;
  assert.deepEqual({ nodeId: entry.nodeId, value: entry.value }, { nodeId: "ns=1;s=Status", value: 42 });
  const last = sim.writes.at(-1)!;
  assert.equal(last.nodeId, "ns=1;s=Status");
  assert.equal(last.value, 42);
  assert.ok(!Number.isNaN(Date.parse(last.time)));
  assert.equal((await read(main.session, "ns=1;s=Status")).value.value, 42, "the value is stored");
});

test("Quality false publishes Counter as BadNoCommunication while it keeps counting", async () => {
  const values = await subscribe(main.session, "ns=1;s=Counter");
  assert.equal(await write(main.session, "ns=1;s=Quality", DataType.Boolean, false), StatusCodes.Good);
  const isBad = (dv: DataValue) => dv.statusCode.equals(StatusCodes.BadNoCommunication);
  const bad = await waitFor(
    () => {
      const list = values.filter(isBad);
      return list.length >= 3 ? list : undefined;
    },
    5000,
    "three Counter values with BadNoCommunication",
  );
  const counts = bad.map((dv) => dv.value.value as number);
  assert.ok(counts[2]! > counts[1]! && counts[1]! > counts[0]!, `still counting: ${counts}`);
  assert.equal((await read(main.session, "ns=1;s=Sine")).statusCode, StatusCodes.BadNoCommunication);
  assert.equal(await write(main.session, "ns=1;s=Quality", DataType.Boolean, true), StatusCodes.Good);
  const lastBad = values.lastIndexOf(bad.at(-1)!);
  await waitFor(() => values.slice(lastBad).some((dv) => dv.statusCode.isGood()), 5000, "Good again");
});

test("a ServiceLevel write changes Server.ServiceLevel (i=2267) for a subscriber", async () => {
  const values = await subscribe(main.session, "i=2267");
  assert.equal(values.at(-1)!.value.value, 255);
  assert.equal(await write(main.session, "ns=1;s=ServiceLevel", DataType.Byte, 17), StatusCodes.Good);
  await waitFor(() => values.some((dv) => dv.value.value === 17), 5000, "ServiceLevel 17 on i=2267");
  assert.equal(await write(main.session, "ns=1;s=ServiceLevel", DataType.Byte, 255), StatusCodes.Good);
  await waitFor(() => values.at(-1)!.value.value === 255, 5000, "ServiceLevel back to 255");
});

test("a SimulatedServerState write changes ServerStatus.State (i=2259) for a subscriber", async () => {
  const values = await subscribe(main.session, "i=2259");
  assert.equal(values.at(-1)!.value.value, ServerState.Running);
  for (const state of [ServerState.NoConfiguration, ServerState.Suspended, ServerState.Running]) {
    assert.equal(
      await write(main.session, "ns=1;s=SimulatedServerState", DataType.Int32, state),
      StatusCodes.Good,
    );
    await waitFor(
      () => values.at(-1)!.value.value === state,
      5000,
      `ServerState ${ServerState[state]} on i=2259`,
    );
  }
  assert.equal(
    await write(main.session, "ns=1;s=SimulatedServerState", DataType.Int32, 99),
    StatusCodes.BadOutOfRange,
  );
  sim.setServerState(ServerState.Failed);
  await waitFor(() => values.at(-1)!.value.value === ServerState.Failed, 5000, "setServerState(Failed)");
  assert.equal((await read(main.session, "ns=1;s=SimulatedServerState")).value.value, ServerState.Failed);
  sim.setServerState(ServerState.Running);
  await waitFor(() => values.at(-1)!.value.value === ServerState.Running, 5000, "Running again");
});

test("a graceful stop shows ServerState Shutdown to subscribers before the connection closes", async () => {
  const doomed = await startSimulator({ tickMs: 50, shutdownDelayMs: 800 });
  const c = await connect(doomed.endpointUrl);
  const values = await subscribe(c.session, "i=2259");
  let closedAt: number | undefined;
  c.client.on("connection_lost", () => {
    closedAt ??= Date.now();
  });
  c.client.on("close", () => {
    closedAt ??= Date.now();
  });
  const stopped = doomed.stop({ graceful: true });
  await waitFor(
    () => values.find((dv) => dv.value.value === ServerState.Shutdown),
    2000,
    "ServerState Shutdown on i=2259",
  );
  const seenAt = Date.now();
  assert.equal(closedAt, undefined, "connection still open when Shutdown is seen");
  const seconds = await read(c.session, "i=2992"); // ServerStatus.SecondsTillShutdown
  assert.ok((seconds.value.value as number) >= 1, `SecondsTillShutdown ${seconds.value.value}`);
  await withTimeout(stopped, 5000, "the graceful stop");
  assert.ok(Date.now() - seenAt >= 300, "the Shutdown state is visible for most of the delay");
  const closed = await waitFor(() => closedAt, 5000, "the client to see the connection close");
  assert.ok(closed >= seenAt);
});

test("simulate: invalid options are rejected with exit code 64", async () => {
  const { run } = await import("../src/cli/commands/simulate.ts");
  const original = process.stderr.write.bind(process.stderr);
  let stderr = "";
  process.stderr.write = ((chunk: string) => {
    stderr += chunk;
    return true;
  }) as typeof process.stderr.write;
  try {
    assert.equal(await run(["--port", "70000"]), 64);
    assert.equal(await run(["--tick-ms", "5"]), 64);
    assert.equal(await run(["--bogus"]), 64);
  } finally {
    process.stderr.write = original;
  }
  assert.match(stderr, /--port must be an integer from 0 to 65535/);
  assert.match(stderr, /--tick-ms must be an integer from 10/);
  assert.match(stderr, /bogus/);
});

test("a child-process simulator survives SIGKILL and restarts on the same port", async () => {
  const child = await spawnSimulator({ tickMs: 20, sharedClock: true, shutdownDelayMs: 300 });
  try {
    console.log(`# child process simulator start: ${child.startupMs.toFixed(0)} ms`);
    const first = await connect(child.endpointUrl);
    const before = await read(first.session, "ns=1;s=Counter");
    assert.equal(before.statusCode, StatusCodes.Good);
    assert.equal(await write(first.session, "ns=1;s=Status", DataType.Int32, 7), StatusCodes.Good);
    const logged = await child.waitForWrite((w) => w.nodeId === "ns=1;s=Status", 5000);
    assert.equal(logged.value, 7);
    const { port, pid } = child;
    await child.kill();
    assert.equal(child.exited, true);
    await first.close();
    await child.restart();
    console.log(`# child process simulator restart: ${child.startupMs.toFixed(0)} ms`);
    assert.equal(child.port, port);
    assert.notEqual(child.pid, pid);
    const second = await connect(child.endpointUrl);
    const afterRestart = await read(second.session, "ns=1;s=Counter");
    assert.ok((afterRestart.value.value as number) > (before.value.value as number));
    child.freeze();
    await waitFor(() => processState(child.pid) === "T", 5000, "the process to be stopped (SIGSTOP)");
    child.thaw();
    await waitFor(() => processState(child.pid) !== "T", 5000, "the process to run again (SIGCONT)");
    assert.equal((await read(second.session, "ns=1;s=Counter")).statusCode, StatusCodes.Good);
    await second.close();
    const terminating = Date.now();
    await child.terminate();
    assert.equal(child.exited, true);
    assert.deepEqual(child.exitStatus, { code: 0, signal: null }, "SIGTERM: graceful stop, exit 0");
    assert.ok(Date.now() - terminating >= 300, "the shutdown delay is honoured");
  } finally {
    await child.dispose();
  }
});
