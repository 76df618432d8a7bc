/**
 * The simulator's events and alarm (src/simulator/alarms.ts), seen by a plain node-opcua client
 * directly: BaseEvents on the Server object, the tank's ExclusiveLimitAlarm changing as the level
 * cycles, Acknowledge and ConditionRefresh.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Simulator, startSimulator } from "../../src/simulator/simulator.ts";
import {
  BASE_EVENT,
  connectEventClient,
  type EventClient,
  EXCLUSIVE_LIMIT_ALARM,
  REFRESH_END,
  REFRESH_START,
  refreshedConditions,
} from "../helpers/event-client.ts";

let simulator: Simulator;
let client: EventClient;

before(async () => {
  simulator = await startSimulator({ tickMs: 50, events: { eventMs: 200, alarmCycleMs: 2000 } });
  client = await connectEventClient(simulator.endpointUrl);
});

after(async () => {
  await client?.close();
  await simulator?.stop();
});

test("BaseEvents on the Server object and alarm events from the tank", { timeout: 30_000 }, async () => {
  const { statusCode } = await client.monitor("i=2253");
  assert.equal(statusCode.name, "Good");
  await client.waitForEvents(
    (events) =>
      events.filter((e) => e.eventType === BASE_EVENT).length >= 3 &&
      events.filter((e) => e.eventType === EXCLUSIVE_LIMIT_ALARM).length >= 3,
    15_000,
    "3 BaseEvents and 3 alarm events",
  );
  const tick = client.events.find((e) => e.eventType === BASE_EVENT)!;
  assert.match(tick.message ?? "", /^Tick \d+$/);
  assert.equal(tick.sourceNode, "ns=0;i=2253");
  assert.equal(tick.severity, 100);
  const alarm = client.events.find((e) => e.eventType === EXCLUSIVE_LIMIT_ALARM)!;
  assert.equal(alarm.conditionId, "ns=1;s=Tank.LevelAlarm");
  assert.equal(alarm.sourceNode, "ns=1;s=Tank");
});

test("the tank notifier, Acknowledge and ConditionRefresh", { timeout: 30_000 }, async () => {
  await client.monitor("ns=1;s=Tank", { name: "tank" });
  await client.waitForEvents(
    (events) => events.some((e) => e.item === "tank" && e.active === true && e.acked === false),
    15_000,
    "an active unacknowledged alarm",
  );
  const active = client.events.findLast((e) => e.item === "tank" && e.active === true && e.acked === false)!;
  assert.ok(
    !client.events.some((e) => e.item === "tank" && e.eventType === BASE_EVENT),
    "tank: no Server events",
  );
  // refreshed before it is acknowledged: unacknowledged, the condition is retained whatever the level
  const before = client.events.length;
  assert.equal((await client.conditionRefresh()).name, "Good");
  await client.waitForEvents(
    (events) => events.slice(before).some((e) => e.eventType === REFRESH_END),
    10_000,
    "RefreshEnd",
  );
  // node-opcua raises the bracket on the Server object only (not on every notifier item)
  const refreshed = refreshedConditions(client.events.filter((e) => e.item === "i=2253"));
  assert.ok(refreshed, "a RefreshStart … RefreshEnd bracket");
  assert.ok(client.events.some((e) => e.eventType === REFRESH_START));
  assert.ok(refreshed.length >= 1, "the retained alarm is refreshed");
  for (const e of refreshed) assert.equal(e.conditionId, "ns=1;s=Tank.LevelAlarm");
  // unacknowledged, so retained until now (a cleared alarm stays until acknowledged)
  const status = await client.acknowledge(active.conditionId!, active.eventId!);
  // a newer event may have replaced the one acknowledged (the level moves on): then the id is stale
  assert.ok(["Good", "BadEventIdUnknown"].includes(status.name), status.name);
  if (status.name === "Good") {
    await client.waitForEvents(
      (events) =>
        events.some((e) => e.item === "tank" && e.acked === true && e.receivedAt >= active.receivedAt),
      10_000,
      "the acknowledged state",
    );
  }
});
