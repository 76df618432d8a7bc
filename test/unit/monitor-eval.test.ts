/** The pure monitor evaluator and the policy's use of its verdicts. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { RedundancyMachine } from "../../src/redundancy/machine.ts";
import { compareMonitorValue } from "../../src/redundancy/monitor-compare.ts";
import {
  type MonitorDefinition,
  MonitorEvaluator,
  type MonitorSample,
} from "../../src/redundancy/monitor-eval.ts";

const good = (value: MonitorSample["value"]): MonitorSample => ({ good: true, status: "Good", value });
const bad = (status = "BadNoCommunication"): MonitorSample => ({ good: false, status, value: null });

function evaluator(monitors: MonitorDefinition[], servers = 2): MonitorEvaluator {
  const e = new MonitorEvaluator(monitors, servers);
  for (let s = 0; s < servers; s++) e.connected(s);
  return e;
}

test("badQuality: failing while the status is not Good, with the status as reason", () => {
  const e = evaluator([{ nodeId: "ns=1;s=Counter", badQuality: true }]);
  assert.deepEqual(e.sample(0, 0, good(1), 0), []);
  const [event] = e.sample(0, 0, bad(), 10);
  assert.deepEqual(event, {
    kind: "trigger",
    server: 0,
    monitor: 0,
    nodeId: "ns=1;s=Counter",
    failing: true,
    reason: "status BadNoCommunication",
  });
  assert.equal(e.failingCount(0), 1);
  assert.equal(e.failingCount(1), 0);
  assert.equal(e.sample(0, 0, bad(), 20).length, 0, "no repeat while it stays failing");
  assert.equal(e.sample(0, 0, good(2), 30)[0]?.kind, "trigger");
  assert.equal(e.failingCount(0), 0);
});

test("noChangeMs: failing after the period without update, never before the first update", () => {
  const e = evaluator([{ nodeId: "ns=1;s=Counter", noChangeMs: 1000 }]);
  assert.equal(e.nextDeadline(), null, "no period runs before the first update");
  assert.deepEqual(e.tick(1_000_000), []);
  assert.equal(e.failingCount(0), 0);
  e.sample(0, 0, good(1), 100);
  assert.equal(e.nextDeadline(), 1100);
  assert.deepEqual(e.tick(1099), []);
  e.sample(0, 0, good(2), 1050);
  assert.equal(e.nextDeadline(), 2050);
  const [event] = e.tick(2050);
  assert.equal(event?.kind === "trigger" && event.failing, true);
  assert.match(e.states(0)[0]!.reason!, /no change for 1000 ms/);
  assert.equal(e.nextDeadline(), null);
  e.sample(0, 0, good(3), 2100);
  assert.equal(e.failingCount(0), 0);
});

test("noChangeMs below 2× the update rate is raised, with one event per new value", () => {
  const e = evaluator([{ nodeId: "ns=1;s=Counter", noChangeMs: 100 }]);
  const [raised] = e.created(0, 0, 250);
  assert.deepEqual(raised, {
    kind: "noChangeRaised",
    server: 0,
    monitor: 0,
    nodeId: "ns=1;s=Counter",
    configuredMs: 100,
    effectiveMs: 500,
    updateRateMs: 250,
  });
  assert.deepEqual(e.created(0, 0, 250), [], "not announced again after a reconnect");
  assert.deepEqual(e.created(0, 0, 40), [], "2 × 40 < 100: the configured value stands");
  e.sample(0, 0, good(1), 0);
  assert.equal(e.nextDeadline(), 100);
});

test("value comparisons with numbers, booleans and strings", () => {
  const e = evaluator([
    { nodeId: "a", value: { op: "==", value: 1 } },
    { nodeId: "b", value: { op: "==", value: false } },
    { nodeId: "c", value: { op: "!=", value: "OK" } },
    { nodeId: "d", value: { op: ">=", value: 80.5 } },
  ]);
  e.sample(0, 0, good(0), 0);
  e.sample(0, 1, good(true), 0);
  e.sample(0, 2, good("OK"), 0);
  e.sample(0, 3, good(80.4), 0);
  assert.equal(e.failingCount(0), 0);
  e.sample(0, 0, good(1), 1);
  e.sample(0, 1, good(false), 1);
  e.sample(0, 2, good("FAULT"), 1);
  e.sample(0, 3, good(80.5), 1);
  assert.equal(e.failingCount(0), 4);
  assert.equal(e.states(0)[0]!.reason, "value 1 == 1");
  // A Bad notification without a value says nothing about the comparison.
  e.sample(0, 0, bad(), 2);
  assert.equal(e.states(0)[0]!.failing, true);
});

test("a value of another type than the operand cannot be compared: failing, with a clear reason", () => {
  const verdict = compareMonitorValue("1", "==", 1);
  assert.equal(verdict.meets, true);
  assert.equal(verdict.description, '"1" cannot be compared with 1 (number)');
  assert.equal(compareMonitorValue({ other: "array of 3" }, "<", 1).meets, true);
});

test("an item that cannot be created fails there with the reason; a reconnect tests it afresh", () => {
  const e = evaluator([{ nodeId: "ns=1;s=Nope", noChangeMs: 1000 }]);
  e.refused(1, 0, "BadNodeIdUnknown");
  assert.deepEqual(e.states(1), [
    { nodeId: "ns=1;s=Nope", failing: true, reason: "cannot monitor on this server: BadNodeIdUnknown" },
  ]);
  assert.equal(e.failingCount(0), 0);
  // A refusal delivered as a notification counts the same.
  e.sample(0, 0, bad("BadNodeIdUnknown"), 5);
  assert.equal(e.failingCount(0), 1);
  const cleared = e.connected(1);
  assert.equal(cleared.length, 1);
  assert.equal(e.failingCount(1), 0);
  assert.equal(e.states(1)[0]!.reason, "awaiting first update");
});

test("disconnected: nothing is evaluated and nothing fails until the next connect and update", () => {
  const e = evaluator([{ nodeId: "q", badQuality: true }]);
  e.sample(0, 0, bad(), 0);
  assert.equal(e.failingCount(0), 1);
  const [event] = e.disconnected(0);
  assert.equal(event?.kind === "trigger" && !event.failing, true);
  assert.deepEqual(e.sample(0, 0, bad(), 1), [], "late notifications of the old connection are ignored");
  e.connected(0);
  assert.equal(e.failingCount(0), 0);
  assert.equal(e.sample(0, 0, bad(), 2).length, 1);
});

function machine(failureCount: number, mode: "hot" | "cold" = "hot") {
  const m = new RedundancyMachine(
    {
      serverCount: 2,
      mode,
      failback: { policy: "auto", holdMs: 1000 },
      minDwellMs: 0,
      startupGraceMs: 0,
      retryDelayMs: 100,
      serviceLevelMinimum: 0,
      failureCount,
    },
    0,
  );
  m.update(0, { status: "up" }, 0);
  m.update(1, { status: "up" }, 0);
  return m;
}

test("policy: failing monitors on the active server → failover with reason monitor", () => {
  const m = machine(1);
  assert.equal(m.active, 0);
  const [decision] = m.update(0, { status: "up", monitorsFailing: 1 }, 10);
  assert.equal(decision?.kind === "switch" && decision.reason, "monitor");
  assert.equal(m.active, 1);
});

test("policy: failureCount 2 with one failing monitor → no failover", () => {
  const m = machine(2);
  assert.deepEqual(m.update(0, { status: "up", monitorsFailing: 1 }, 10), []);
  assert.equal(m.active, 0);
  assert.equal(m.update(0, { status: "up", monitorsFailing: 2 }, 20)[0]?.kind, "switch");
});

test("policy: monitors failing everywhere → stays on the best (current) server", () => {
  const m = machine(1);
  assert.deepEqual(m.update(1, { status: "up", monitorsFailing: 1 }, 5), []);
  assert.deepEqual(m.update(0, { status: "up", monitorsFailing: 1 }, 10), []);
  assert.equal(m.active, 0);
  // The standby's monitors pass again: now it is the better server.
  assert.equal(m.update(1, { status: "up", monitorsFailing: 0 }, 20)[0]?.kind, "switch");
  assert.equal(m.active, 1);
});
