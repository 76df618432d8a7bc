/**
 * Events and Alarms & Conditions through the gateway (README "Events and alarms"): a real
 * downstream client and a direct client on the primary, with the same filters.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  AttributeIds,
  ContentFilterElement,
  constructEventFilter,
  DataType,
  type EventFilter,
  FilterOperator,
  HistoryReadRequest,
  LiteralOperand,
  ReadEventDetails,
  resolveNodeId,
  SimpleAttributeOperand,
  TimestampsToReturn,
  Variant,
} from "node-opcua";
import {
  alarmFilter,
  BASE_EVENT,
  connectEventClient,
  type EventClient,
  EXCLUSIVE_LIMIT_ALARM,
  REFRESH_END,
  REFRESH_START,
  type ReceivedEvent,
  refreshedConditions,
} from "../helpers/event-client.ts";
import { type GatewayRig, startGatewayRig } from "../helpers/gateway-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS } from "../helpers/wait.ts";

const options = { timeout: INTEGRATION_TEST_TIMEOUT_MS };
let rig: GatewayRig;
let viaGateway: EventClient;
let direct: EventClient;
let other: EventClient;

before(async () => {
  rig = await startGatewayRig({
    pairs: [{ mode: "hot" }],
    tickMs: 20,
    simulator: { eventMs: 100, alarmCycleMs: 6000 },
  });
  [viaGateway, direct, other] = await Promise.all([
    connectEventClient(rig.endpoints[0]!),
    connectEventClient(rig.sims[0]!.endpointUrl),
    connectEventClient(rig.endpoints[0]!),
  ]);
});

after(async () => {
  await Promise.all([viaGateway?.close(), direct?.close(), other?.close()]);
  await rig?.dispose();
});

/** Event ids (hex) with a Time inside [from, to]. */
function idsIn(events: ReceivedEvent[], item: string, from: number, to: number): string[] {
  return events
    .filter((e) => e.item === item && e.time !== null && e.time >= from && e.time <= to)
    .map((e) => e.eventId!)
    .sort();
}

const ofType = (typeId: string) =>
  new ContentFilterElement({
    filterOperator: FilterOperator.OfType,
    filterOperands: [
      new LiteralOperand({ value: new Variant({ dataType: DataType.NodeId, value: resolveNodeId(typeId) }) }),
    ],
  });

test(
  "events through the gateway equal those received directly (Server object and the tank)",
  options,
  async () => {
    for (const client of [viaGateway, direct]) {
      assert.equal((await client.monitor("i=2253", { name: "server" })).statusCode.name, "Good");
      assert.equal((await client.monitor("ns=1;s=Tank", { name: "tank" })).statusCode.name, "Good");
      assert.equal(
        (await client.monitor("i=2253", { name: "alarms", where: { elements: [ofType("i=9341")] } }))
          .statusCode.name,
        "Good",
      );
    }
    const start = Date.now();
    await viaGateway.waitForEvents(
      (events) =>
        events.filter((e) => e.item === "server" && e.eventType === BASE_EVENT && e.time! > start + 1500)
          .length > 0 && events.some((e) => e.item === "tank" && e.time! > start + 1500),
      20_000,
      "events through the gateway",
    );
    await direct.waitForEvents(
      (events) => events.some((e) => e.item === "server" && e.time! > start + 1500),
      10_000,
      "direct events",
    );
    const from = start + 500;
    const to = start + 1500;
    for (const item of ["server", "tank", "alarms"]) {
      const gatewayIds = idsIn(viaGateway.events, item, from, to);
      assert.deepEqual(
        gatewayIds,
        idsIn(direct.events, item, from, to),
        `${item}: the same events, the upstream's EventIds`,
      );
      if (item === "server")
        assert.ok(gatewayIds.length >= 8, `${gatewayIds.length} events on the Server object in 1 s`);
    }
    const alarms = viaGateway.events.filter((e) => e.item === "alarms");
    assert.ok(
      alarms.every((e) => e.eventType === EXCLUSIVE_LIMIT_ALARM),
      "the where clause applied",
    );
    assert.ok(viaGateway.events.filter((e) => e.item === "tank").every((e) => e.eventType !== BASE_EVENT));
    // fields in the downstream's order with the upstream's values
    const sample = viaGateway.events.find((e) => e.item === "alarms" && e.time! >= from && e.time! <= to);
    if (sample) {
      const same = direct.events.find((e) => e.eventId === sample.eventId && e.item === "alarms");
      assert.deepEqual(
        sample.fields.map((f) => f.toString()),
        same?.fields.map((f) => f.toString()),
      );
    }
  },
);

test("filters that cannot be served are refused on create, never a silent Good", options, async () => {
  const subscription = viaGateway.subscription;
  // an EventFilter on a variable's Value
  const onValue = await subscription.monitor(
    { nodeId: "ns=1;s=Counter", attributeId: AttributeIds.Value },
    { samplingInterval: 0, queueSize: 10, filter: constructEventFilter(["EventId"]) },
    TimestampsToReturn.Both,
  );
  assert.equal(onValue.statusCode.name, "BadFilterNotAllowed");
  // a where clause with an operator missing its operands
  const broken: EventFilter = alarmFilter({
    elements: [new ContentFilterElement({ filterOperator: FilterOperator.GreaterThan, filterOperands: [] })],
  });
  const invalid = await subscription.monitor(
    { nodeId: "ns=1;s=Tank", attributeId: AttributeIds.EventNotifier },
    { samplingInterval: 0, queueSize: 10, filter: broken },
    TimestampsToReturn.Both,
  );
  assert.match(
    invalid.statusCode.name,
    /^Bad(EventFilterInvalid|ContentFilterInvalid|FilterOperandCountMismatch)$/,
  );
  const directInvalid = await direct.subscription.monitor(
    { nodeId: "ns=1;s=Tank", attributeId: AttributeIds.EventNotifier },
    { samplingInterval: 0, queueSize: 10, filter: broken },
    TimestampsToReturn.Both,
  );
  assert.equal(invalid.statusCode.name, directInvalid.statusCode.name, "answered as the upstream answers");
  void SimpleAttributeOperand;
});

test("one client's ConditionRefresh reaches that client only", options, async () => {
  await other.monitor("i=2253", { name: "server" });
  await viaGateway.waitForEvents(
    (events) => events.some((e) => e.item === "tank" && e.retain === true),
    20_000,
    "a retained alarm",
  );
  const before = viaGateway.events.length;
  const otherBefore = other.events.length;
  assert.equal((await viaGateway.conditionRefresh()).name, "Good");
  await viaGateway.waitForEvents(
    (events) => events.slice(before).filter((e) => e.eventType === REFRESH_END).length >= 3,
    10_000,
    "RefreshEnd on each of the three items",
  );
  const refreshed = refreshedConditions(viaGateway.events.filter((e) => e.item === "tank"));
  assert.ok(refreshed && refreshed.length >= 1, "the retained condition between RefreshStart and RefreshEnd");
  for (const e of refreshed) assert.equal(e.conditionId, "ns=1;s=Tank.LevelAlarm");
  const mine = other.events.slice(otherBefore);
  assert.ok(
    !mine.some((e) => e.eventType === REFRESH_START || e.eventType === REFRESH_END),
    "no bracket for another client",
  );
});

test("Acknowledge through the gateway acknowledges upstream", options, async () => {
  let status = "";
  let acked: ReceivedEvent | undefined;
  // the tank's alarm changes every few hundred ms: an EventId may be superseded upstream before
  // the Acknowledge arrives (BadEventIdUnknown). Each new attempt takes an event that came after
  // the last attempt, never the same stale one again.
  let since = Date.now() - 2000;
  for (let attempt = 0; attempt < 5 && status !== "Good"; attempt++) {
    const after = since;
    await viaGateway.waitForEvents(
      (events) =>
        events.some(
          (e) => e.item === "tank" && e.active === true && e.acked === false && e.receivedAt > after,
        ),
      20_000,
      "a fresh active unacknowledged alarm",
    );
    acked = viaGateway.events.findLast((e) => e.item === "tank" && e.retain === true)!;
    since = Date.now();
    status = (await viaGateway.acknowledge(acked.conditionId!, acked.eventId!, "through the gateway")).name;
  }
  assert.equal(status, "Good");
  await direct.waitForEvents(
    (events) =>
      events.some((e) => e.item === "tank" && e.acked === true && e.receivedAt >= acked!.receivedAt),
    10_000,
    "the upstream's acknowledged state, seen directly",
  );
  const unknown = await viaGateway.acknowledge(acked!.conditionId!, "00112233445566778899", "stale");
  assert.equal(unknown.name, "BadEventIdUnknown", "the upstream's status as it is");
});

/** A property of the tank's alarm, read on `client`'s server (the upstream, for the direct client). */
async function alarmProperty(client: EventClient, path: string[]): Promise<unknown> {
  const [target] = await client.session.translateBrowsePath([
    {
      startingNode: resolveNodeId("ns=1;s=Tank.LevelAlarm"),
      relativePath: {
        elements: path.map((name) => ({
          referenceTypeId: resolveNodeId("i=33"), // HierarchicalReferences
          isInverse: false,
          includeSubtypes: true,
          targetName: { namespaceIndex: 0, name },
        })),
      },
    },
  ]);
  const nodeId = target?.targets?.[0]?.targetId;
  assert.ok(nodeId, `the alarm's ${path.join(".")}: ${target?.statusCode.name}`);
  const value = await client.session.read({ nodeId: nodeId.toString(), attributeId: AttributeIds.Value });
  return value.value.value;
}

test("AddComment, Disable and Enable through the gateway reach the upstream condition", options, async () => {
  const tankCondition = () => viaGateway.events.findLast((e) => e.item === "tank" && e.retain === true)!;
  const call = async (methodId: string, inputArguments: { dataType: string; value: unknown }[] = []) => {
    const [result] = await viaGateway.session.call([
      { objectId: tankCondition().conditionId!, methodId, inputArguments: inputArguments as never },
    ]);
    return result!.statusCode.name;
  };
  const comment = `through the gateway ${Date.now()}`;
  // AddComment names the condition's latest EventId: the tank's level moves it on, so take a fresh one
  let status = "";
  for (let attempt = 0; attempt < 5 && status !== "Good"; attempt++) {
    const since = Date.now();
    await viaGateway.waitForEvents(
      (events) => events.some((e) => e.item === "tank" && e.retain === true && e.receivedAt >= since),
      20_000,
      "a fresh retained condition event",
    );
    status = await call("i=9029", [
      { dataType: "ByteString", value: Buffer.from(tankCondition().eventId!, "hex") },
      { dataType: "LocalizedText", value: { text: comment } },
    ]);
  }
  assert.equal(status, "Good", "AddComment");
  assert.equal(
    ((await alarmProperty(direct, ["Comment"])) as { text?: string } | null)?.text,
    comment,
    "the upstream condition's Comment",
  );
  try {
    assert.equal(await call("i=9028"), "Good", "Disable");
    assert.equal(await alarmProperty(direct, ["EnabledState", "Id"]), false, "disabled upstream");
    assert.equal(await call("i=9028"), "BadConditionAlreadyDisabled", "the upstream's status as it is");
  } finally {
    assert.equal(await call("i=9027"), "Good", "Enable");
  }
  assert.equal(await alarmProperty(direct, ["EnabledState", "Id"]), true, "enabled upstream again");
});

test("HistoryRead of events is forwarded to the active server", options, async () => {
  const end = new Date(Date.now() - 200);
  const request = () =>
    new HistoryReadRequest({
      historyReadDetails: new ReadEventDetails({
        startTime: new Date(end.getTime() - 3000),
        endTime: end,
        numValuesPerNode: 0,
        filter: alarmFilter(),
      }),
      timestampsToReturn: TimestampsToReturn.Neither,
      nodesToRead: [{ nodeId: "ns=1;s=Tank" }],
    });
  const [gatewayAnswer] = (await viaGateway.session.historyRead(request())).results ?? [];
  const [directAnswer] = (await direct.session.historyRead(request())).results ?? [];
  assert.equal(gatewayAnswer?.statusCode.name, "Good");
  const ids = (r: typeof gatewayAnswer) =>
    ((r?.historyData as unknown as { events?: { eventFields: Variant[] }[] })?.events ?? []).map((e) =>
      String((e.eventFields[0]?.value as Buffer | undefined)?.toString("hex")),
    );
  assert.ok(ids(directAnswer).length >= 1, "the tank's events in the window");
  assert.deepEqual(ids(gatewayAnswer), ids(directAnswer), "the upstream's event history, its EventIds");
});

test(
  "an operator failover with both servers up: no event lost or repeated, the alarms refreshed",
  options,
  async () => {
    const pair = rig.gateway.pairs[0]!;
    const mark = viaGateway.events.length;
    pair.client.failover(1);
    await viaGateway.waitForEvents(
      (events) => events.slice(mark).some((e) => e.eventType === REFRESH_END && e.item === "server"),
      15_000,
      "the refresh after the switch",
    );
    const end = viaGateway.events.length;
    await viaGateway.waitForEvents((events) => events.length > end + 20, 10_000, "live events after it");
    // BaseEvents "Tick <counter>" every 5 ticks of 20 ms: consecutive ones differ by 5
    const ticks = viaGateway.events
      .filter((e) => e.item === "server" && e.eventType === BASE_EVENT)
      .map((e) => Number(/^Tick (\d+)$/.exec(e.message ?? "")?.[1]));
    const steps = ticks.slice(1).map((n, i) => n - ticks[i]!);
    assert.deepEqual(
      steps.filter((s) => s !== 5),
      [],
      `ticks around the switch: ${JSON.stringify(ticks.slice(-60))}`,
    );
    assert.equal(pair.status().activeIndex, 1);
  },
);
