import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ColdCycle } from "../../src/redundancy/cold-cycle.ts";
import { type MachineOptions, RedundancyMachine } from "../../src/redundancy/machine.ts";
import { Rank } from "../../src/redundancy/policy.ts";
import type { Decision, Mode, PairState, ServerFacts, SwitchReason } from "../../src/redundancy/types.ts";

// ---- fixtures ----

const OPTIONS: MachineOptions = {
  serverCount: 2,
  mode: "warm",
  failback: { policy: "auto", holdMs: 5_000 },
  minDwellMs: 1_000,
  startupGraceMs: 2_000,
  retryDelayMs: 3_000,
  serviceLevelMinimum: 0,
  failureCount: 1,
};
type Overrides = Partial<Omit<MachineOptions, "failback">> & {
  failback?: Partial<MachineOptions["failback"]>;
};

function machine(over: Overrides = {}, now = 0): RedundancyMachine {
  return new RedundancyMachine(
    { ...OPTIONS, ...over, failback: { ...OPTIONS.failback, ...over.failback } },
    now,
  );
}

const UP: ServerFacts = { status: "up", serverState: "Running", serviceLevel: 255, monitorsFailing: 0 };
const up = (extra: Partial<ServerFacts>): ServerFacts => ({ ...UP, ...extra });
const DOWN: ServerFacts = { status: "down" };
const CONNECTING: ServerFacts = { status: "connecting" };
const UNKNOWN: ServerFacts = { status: "unknown" };
const DEGRADED = up({ serviceLevel: 150 });
const NOT_RUNNING = up({ serverState: "Shutdown" });
const MAINTENANCE = up({ serviceLevel: 0 });
const MONITOR_FAILING = up({ monitorsFailing: 1 });
const WARM_HOT: Mode[] = ["warm", "hot"];
const ALL_MODES: Mode[] = ["cold", "warm", "hot"];

type Brief =
  | { kind: "switch"; from: number | null; to: number; reason: SwitchReason }
  | { kind: "lost"; from: number | null; reason: SwitchReason }
  | { kind: "try"; server: number };
const sw = (from: number | null, to: number, reason: SwitchReason): Brief => ({
  kind: "switch",
  from,
  to,
  reason,
});
const lost = (from: number | null, reason: SwitchReason): Brief => ({ kind: "lost", from, reason });
const tryIt = (server: number): Brief => ({ kind: "try", server });

/** Decisions without their human-readable detail, which must be a non-empty string. */
function brief(decisions: Decision[] | { refused: string }): Brief[] {
  assert.ok(Array.isArray(decisions), `expected decisions, got ${JSON.stringify(decisions)}`);
  return decisions.map((d) => {
    if (d.kind === "try") return { ...d };
    assert.equal(typeof d.detail, "string");
    assert.ok(d.detail.length > 0, "detail is empty");
    const { detail: _detail, ...rest } = d;
    return rest;
  });
}

function expectState(
  m: RedundancyMachine,
  state: PairState,
  active: number | null,
  wake: number | null,
): void {
  assert.equal(m.state, state, "state");
  assert.equal(m.active, active, "active");
  assert.equal(m.nextWakeAt(), wake, "nextWakeAt");
}

/** A machine whose servers are all up (warm/hot: reported at t=0; cold: tried one by one), server 0 active. */
function running(over: Overrides = {}): RedundancyMachine {
  const m = machine(over);
  if (over.mode === "cold") {
    assert.deepEqual(brief(m.evaluate(0)), [tryIt(0)]);
    assert.deepEqual(brief(m.update(0, UP, 0)), [sw(null, 0, "initial")]);
    return m;
  }
  assert.deepEqual(brief(m.update(0, UP, 0)), [sw(null, 0, "initial")]);
  for (let i = 1; i < (over.serverCount ?? OPTIONS.serverCount); i++)
    assert.deepEqual(m.update(i, UP, 0), []);
  expectState(m, "active", 0, null);
  return m;
}

/** Warm/hot: server 0 lost at 1000, server 1 active since then. */
function failedOver(over: Overrides = {}): RedundancyMachine {
  const m = running(over);
  assert.deepEqual(brief(m.update(0, DOWN, 1_000)), [sw(0, 1, "commLost")]);
  return m;
}

type Step = readonly [at: number, server: number, facts: ServerFacts];

/**
 * Fake clock: applies timed fact updates and calls `evaluate()` at every wake time that falls due,
 * as the caller must. Checks that a wake time is always in the future. Returns the switches.
 */
function simulate(m: RedundancyMachine, steps: readonly Step[], until: number) {
  const log: { at: number; decision: Brief }[] = [];
  let now = Number.NEGATIVE_INFINITY;
  let i = 0;
  for (;;) {
    const wake = m.nextWakeAt();
    if (wake !== null) assert.ok(wake > now, `wake time ${wake} is not after ${now}`);
    const nextStep = steps[i]?.[0] ?? Number.POSITIVE_INFINITY;
    let decisions: Decision[];
    if (wake !== null && wake <= nextStep && wake <= until) {
      now = wake;
      decisions = m.evaluate(now);
    } else if (i < steps.length && nextStep <= until) {
      const [at, server, facts] = steps[i++]!;
      now = at;
      decisions = m.update(server, facts, at);
    } else {
      break;
    }
    for (const decision of brief(decisions)) log.push({ at: now, decision });
  }
  return log.filter((entry) => entry.decision.kind === "switch");
}

/** Facts of one server alternating every `periodMs` from `from` to `to`, starting with `first`. */
function flapping(
  server: number,
  first: ServerFacts,
  second: ServerFacts,
  periodMs: number,
  from: number,
  to: number,
) {
  const steps: Step[] = [];
  for (let t = from, k = 0; t <= to; t += periodMs, k++)
    steps.push([t, server, k % 2 === 0 ? first : second]);
  return steps;
}

// ---- tests ----

describe("construction and accessors", () => {
  test("serverCount below 1 is rejected", () => {
    assert.throws(() => machine({ serverCount: 0 }), RangeError);
    assert.throws(() => machine({ serverCount: -1 }), RangeError);
  });

  test("a new machine is starting, with nothing known", () => {
    const m = machine({ serverCount: 3 }, 42);
    expectState(m, "starting", null, null);
    assert.equal(m.lastSwitchAt, null);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(m.facts(i), { status: "unknown" });
      assert.equal(m.rank(i), Rank.unreachable);
    }
  });

  test("server indexes out of range are rejected", () => {
    const m = machine();
    for (const bad of [-1, 2, 0.5, Number.NaN]) {
      assert.throws(() => m.update(bad, UP, 0), RangeError);
      assert.throws(() => m.requestSwitch(0, bad), RangeError);
    }
  });

  test("update keeps a copy of the facts and ranks them", () => {
    const m = machine();
    const facts = { ...DEGRADED };
    m.update(1, facts, 0);
    facts.serviceLevel = 0;
    assert.deepEqual(m.facts(1), DEGRADED);
    assert.equal(m.rank(1), Rank.degraded);
    m.update(1, MONITOR_FAILING, 1);
    assert.equal(m.rank(1), Rank.monitorsFailing);
  });

  test("lastSwitchAt follows every switch", () => {
    const m = failedOver();
    assert.equal(m.lastSwitchAt, 1_000);
  });
});

for (const mode of WARM_HOT) {
  describe(`start (${mode})`, () => {
    test("the primary comes up: initial switch to it", () => {
      const m = machine({ mode });
      assert.deepEqual(brief(m.update(0, UP, 100)), [sw(null, 0, "initial")]);
      expectState(m, "active", 0, null);
      assert.equal(m.lastSwitchAt, 100);
    });

    test("the secondary comes up while the primary is unknown: wait for the startup grace", () => {
      const m = machine({ mode });
      assert.deepEqual(m.update(1, UP, 100), []);
      expectState(m, "starting", null, 2_000);
      assert.deepEqual(m.evaluate(1_999), []);
      expectState(m, "starting", null, 2_000);
      assert.deepEqual(brief(m.evaluate(2_000)), [sw(null, 1, "initial")]);
      expectState(m, "active", 1, null);
    });

    test("the primary comes up within the grace: initial switch to the primary", () => {
      const m = machine({ mode });
      assert.deepEqual(m.update(0, CONNECTING, 0), []);
      assert.deepEqual(m.update(1, UP, 100), []);
      expectState(m, "starting", null, 2_000);
      assert.deepEqual(brief(m.update(0, UP, 1_500)), [sw(null, 0, "initial")]);
      expectState(m, "active", 0, null);
    });

    test("the primary failed an attempt: no waiting", () => {
      const m = machine({ mode });
      assert.deepEqual(m.update(0, DOWN, 0), []);
      assert.deepEqual(brief(m.update(1, UP, 100)), [sw(null, 1, "initial")]);
    });

    test("after the grace, no waiting for a primary still connecting", () => {
      const m = machine({ mode }, 1_000);
      assert.deepEqual(m.update(0, CONNECTING, 1_000), []);
      assert.deepEqual(brief(m.update(1, UP, 3_000)), [sw(null, 1, "initial")]);
    });

    test("startupGraceMs 0: no waiting at all", () => {
      const m = machine({ mode, startupGraceMs: 0 });
      assert.deepEqual(brief(m.update(1, UP, 0)), [sw(null, 1, "initial")]);
    });

    test("three servers: wait for every more preferred one still connecting", () => {
      const m = machine({ mode, serverCount: 3 });
      assert.deepEqual(m.update(0, CONNECTING, 0), []);
      assert.deepEqual(m.update(2, UP, 50), []);
      assert.deepEqual(m.update(1, UP, 100), []);
      expectState(m, "starting", null, 2_000);
      assert.deepEqual(brief(m.update(0, DOWN, 200)), [sw(null, 1, "initial")]);
    });

    test("no lost while a server has not failed an attempt yet; then exactly one lost", () => {
      const m = machine({ mode });
      assert.deepEqual(m.update(0, DOWN, 0), []);
      assert.deepEqual(m.update(1, CONNECTING, 10), []);
      expectState(m, "starting", null, null);
      assert.deepEqual(brief(m.update(1, DOWN, 20)), [lost(null, "initial")]);
      expectState(m, "allLost", null, null);
      for (const [i, facts] of [
        [0, CONNECTING],
        [0, DOWN],
        [1, CONNECTING],
        [1, DOWN],
      ] as const) {
        assert.deepEqual(m.update(i, facts, 30), []);
      }
      assert.deepEqual(m.evaluate(40), []);
      expectState(m, "allLost", null, null);
    });

    test("a server comes up after a hopeless start: recovered, without grace", () => {
      const m = machine({ mode });
      m.update(0, DOWN, 0);
      m.update(1, DOWN, 0);
      m.update(0, CONNECTING, 10);
      assert.deepEqual(brief(m.update(1, UP, 100)), [sw(null, 1, "recovered")]);
      expectState(m, "active", 1, null);
    });

    test("a fitter, less preferred server wins at start once the primary has answered", () => {
      const m = machine({ mode });
      assert.deepEqual(m.update(1, UP, 0), []);
      assert.deepEqual(brief(m.update(0, DEGRADED, 500)), [sw(null, 1, "initial")]);
    });
  });
}

describe("start (cold)", () => {
  test("one candidate at a time, the primary first", () => {
    const m = machine({ mode: "cold" });
    assert.deepEqual(brief(m.evaluate(0)), [tryIt(0)]);
    assert.deepEqual(m.facts(0), { status: "connecting" });
    expectState(m, "starting", null, null);
    assert.deepEqual(m.evaluate(10), []);
    assert.deepEqual(brief(m.update(0, UP, 100)), [sw(null, 0, "initial")]);
    expectState(m, "active", 0, null);
  });

  test("the primary fails: try the secondary; it answers: initial", () => {
    const m = machine({ mode: "cold" });
    m.evaluate(0);
    assert.deepEqual(brief(m.update(0, DOWN, 100)), [tryIt(1)]);
    assert.deepEqual(brief(m.update(1, UP, 200)), [sw(null, 1, "initial")]);
    // The primary is watched for failback, after a retry delay.
    expectState(m, "active", 1, 3_200);
  });

  test("a whole cycle fails: one lost, then the cycle repeats after every pause, forever", () => {
    const m = machine({ mode: "cold" });
    m.evaluate(0);
    assert.deepEqual(brief(m.update(0, DOWN, 100)), [tryIt(1)]);
    assert.deepEqual(brief(m.update(1, DOWN, 200)), [lost(null, "initial")]);
    expectState(m, "allLost", null, 3_200);
    assert.deepEqual(m.evaluate(3_199), []);
    assert.equal(m.nextWakeAt(), 3_200);
    let t = 3_200;
    for (let cycle = 0; cycle < 4; cycle++) {
      assert.deepEqual(brief(m.evaluate(t)), [tryIt(0)]);
      assert.equal(m.nextWakeAt(), null);
      assert.deepEqual(brief(m.update(0, DOWN, t + 100)), [tryIt(1)]);
      assert.deepEqual(m.update(1, DOWN, t + 200), []);
      expectState(m, "allLost", null, t + 200 + 3_000);
      t += 3_200;
    }
  });

  test("three servers: cyclic order, one lost, pause, same order again", () => {
    const m = machine({ mode: "cold", serverCount: 3 });
    assert.deepEqual(brief(m.evaluate(0)), [tryIt(0)]);
    assert.deepEqual(brief(m.update(0, DOWN, 1)), [tryIt(1)]);
    assert.deepEqual(brief(m.update(1, DOWN, 2)), [tryIt(2)]);
    assert.deepEqual(brief(m.update(2, DOWN, 3)), [lost(null, "initial")]);
    assert.equal(m.nextWakeAt(), 3_003);
    assert.deepEqual(brief(m.evaluate(3_003)), [tryIt(0)]);
    assert.deepEqual(brief(m.update(0, DOWN, 3_004)), [tryIt(1)]);
    assert.deepEqual(brief(m.update(1, UP, 3_005)), [sw(null, 1, "recovered")]);
    expectState(m, "active", 1, 6_005);
  });

  test("retryDelayMs 0: the next cycle starts at once", () => {
    const m = machine({ mode: "cold", retryDelayMs: 0 });
    m.evaluate(0);
    m.update(0, DOWN, 1);
    assert.deepEqual(brief(m.update(1, DOWN, 2)), [lost(null, "initial"), tryIt(0)]);
    expectState(m, "allLost", null, null);
  });

  test("a server reported up without a try is used at once (cold has no grace for unknown servers)", () => {
    const m = machine({ mode: "cold" });
    assert.deepEqual(brief(m.update(1, UP, 0)), [sw(null, 1, "initial")]);
    expectState(m, "active", 1, 3_000);
  });

  test("a preferred candidate still connecting is waited for, within the grace", () => {
    const m = machine({ mode: "cold" });
    assert.deepEqual(brief(m.evaluate(0)), [tryIt(0)]);
    assert.deepEqual(m.update(1, UP, 10), []);
    expectState(m, "starting", null, 2_000);
    assert.deepEqual(brief(m.update(0, UP, 500)), [sw(null, 0, "initial")]);
  });
});

for (const mode of WARM_HOT) {
  describe(`communication loss (${mode})`, () => {
    for (const facts of [DOWN, CONNECTING, UNKNOWN]) {
      test(`active ${facts.status}: switch at once, even within the dwell time`, () => {
        const m = running({ mode });
        assert.deepEqual(brief(m.update(0, facts, 10)), [sw(0, 1, "commLost")]);
        expectState(m, "active", 1, null);
      });
    }

    test("a standby lost changes nothing", () => {
      const m = running({ mode });
      assert.deepEqual(m.update(1, DOWN, 10), []);
      expectState(m, "active", 0, null);
    });

    test("the only reachable server is taken whatever its health", () => {
      const m = running({ mode });
      m.update(1, NOT_RUNNING, 5);
      assert.deepEqual(brief(m.update(0, DOWN, 10)), [sw(0, 1, "commLost")]);
    });

    test("three servers: the fittest, then the most preferred", () => {
      const a = running({ mode, serverCount: 3 });
      a.update(1, DEGRADED, 5);
      assert.deepEqual(brief(a.update(0, DOWN, 10)), [sw(0, 2, "commLost")]);
      const b = running({ mode, serverCount: 3 });
      assert.deepEqual(brief(b.update(0, DOWN, 10)), [sw(0, 1, "commLost")]);
    });

    test("every server lost: exactly one lost, then recovered", () => {
      const m = running({ mode });
      m.update(1, DOWN, 5);
      assert.deepEqual(brief(m.update(0, DOWN, 10)), [lost(0, "commLost")]);
      expectState(m, "allLost", null, null);
      for (const [i, facts] of [
        [0, CONNECTING],
        [1, CONNECTING],
        [0, DOWN],
        [1, DOWN],
      ] as const) {
        assert.deepEqual(m.update(i, facts, 20), []);
      }
      assert.deepEqual(m.evaluate(30), []);
      assert.deepEqual(brief(m.update(1, UP, 40)), [sw(null, 1, "recovered")]);
      expectState(m, "active", 1, null);
      // A second outage is a new episode: one more lost.
      assert.deepEqual(brief(m.update(1, DOWN, 50)), [lost(1, "commLost")]);
      assert.deepEqual(m.update(1, DOWN, 60), []);
    });

    test("a single server: lost and recovered", () => {
      const m = machine({ mode, serverCount: 1 });
      assert.deepEqual(brief(m.update(0, UP, 0)), [sw(null, 0, "initial")]);
      assert.deepEqual(brief(m.update(0, DOWN, 10)), [lost(0, "commLost")]);
      assert.deepEqual(brief(m.update(0, UP, 20)), [sw(null, 0, "recovered")]);
    });
  });
}

describe("communication loss (cold)", () => {
  test("the next server is tried; it answers: commLost from the lost one", () => {
    const m = running({ mode: "cold" });
    assert.deepEqual(brief(m.update(0, DOWN, 1_000)), [tryIt(1)]);
    expectState(m, "active", null, null);
    assert.deepEqual(brief(m.update(1, UP, 1_100)), [sw(0, 1, "commLost")]);
    expectState(m, "active", 1, 4_100);
  });

  test("the whole cycle fails: lost from the lost server, then pause and cycle", () => {
    const m = running({ mode: "cold" });
    assert.deepEqual(brief(m.update(0, DOWN, 1_000)), [tryIt(1)]);
    assert.deepEqual(brief(m.update(1, DOWN, 1_100)), [tryIt(0)]);
    assert.deepEqual(brief(m.update(0, DOWN, 1_200)), [lost(0, "commLost")]);
    expectState(m, "allLost", null, 4_200);
    assert.deepEqual(brief(m.evaluate(4_200)), [tryIt(1)]);
    assert.deepEqual(brief(m.update(1, UP, 4_300)), [sw(null, 1, "recovered")]);
  });

  test("the lost server itself answers first: recovered", () => {
    const m = running({ mode: "cold" });
    m.update(0, DOWN, 1_000);
    assert.deepEqual(brief(m.update(1, DOWN, 1_100)), [tryIt(0)]);
    assert.deepEqual(brief(m.update(0, UP, 1_200)), [sw(null, 0, "recovered")]);
    expectState(m, "active", 0, null);
  });

  test("the active link reconnecting by itself is waited for", () => {
    const m = running({ mode: "cold" });
    assert.deepEqual(m.update(0, CONNECTING, 1_000), []);
    expectState(m, "active", null, null);
    assert.deepEqual(brief(m.update(0, DOWN, 2_000)), [tryIt(1)]);
  });
});

/** The failover triggers, each applied to the active server 0 with server 1 healthy. */
const TRIGGERS: { name: string; facts: ServerFacts; reason: SwitchReason; urgent: boolean }[] = [
  { name: "communication loss", facts: DOWN, reason: "commLost", urgent: true },
  { name: "ServerState Shutdown", facts: NOT_RUNNING, reason: "serverState", urgent: true },
  { name: "ServerState Failed", facts: up({ serverState: "Failed" }), reason: "serverState", urgent: true },
  { name: "ServiceLevel 0 (Maintenance)", facts: MAINTENANCE, reason: "serviceLevel", urgent: true },
  { name: "ServiceLevel 1 (NoData)", facts: up({ serviceLevel: 1 }), reason: "serviceLevel", urgent: false },
  { name: "ServiceLevel Degraded", facts: DEGRADED, reason: "serviceLevel", urgent: false },
  { name: "monitors failing", facts: MONITOR_FAILING, reason: "monitor", urgent: false },
];

for (const mode of ALL_MODES) {
  describe(`failover triggers × ${mode}`, () => {
    for (const { name, facts, reason, urgent } of TRIGGERS) {
      test(`${name} → ${reason}`, () => {
        const m = running({ mode });
        const to = sw(0, 1, reason);
        if (mode !== "cold") {
          assert.deepEqual(brief(m.update(0, facts, 5_000)), [to]);
          expectState(m, "active", 1, null);
          return;
        }
        assert.deepEqual(brief(m.update(0, facts, 5_000)), [tryIt(1)]);
        assert.deepEqual(brief(m.update(1, UP, 5_100)), [to]);
        assert.equal(m.active, 1);
      });

      if (mode === "cold") continue;
      test(`${name} within the dwell time: ${urgent ? "at once" : "at the end of the dwell"}`, () => {
        const m = running({ mode });
        const to = sw(0, 1, reason);
        if (urgent) {
          assert.deepEqual(brief(m.update(0, facts, 500)), [to]);
          return;
        }
        assert.deepEqual(m.update(0, facts, 500), []);
        expectState(m, "active", 0, 1_000);
        assert.deepEqual(m.evaluate(999), []);
        assert.deepEqual(brief(m.evaluate(1_000)), [to]);
        expectState(m, "active", 1, null);
      });
    }
  });
}

describe("quality triggers (warm)", () => {
  test("not running: stays while nothing better is reachable, leaves at once when one is", () => {
    const m = running();
    m.update(1, DOWN, 10);
    assert.deepEqual(m.update(0, NOT_RUNNING, 20), []);
    expectState(m, "active", 0, null);
    assert.deepEqual(m.update(1, NOT_RUNNING, 30), []);
    assert.deepEqual(brief(m.update(1, MAINTENANCE, 40)), [sw(0, 1, "serverState")]);
  });

  const cases: { name: string; active: ServerFacts; standby: ServerFacts; min?: number; leave: boolean }[] = [
    { name: "Degraded 199 → Healthy", active: up({ serviceLevel: 199 }), standby: UP, leave: true },
    { name: "Healthy 200 → Healthy 255", active: up({ serviceLevel: 200 }), standby: UP, leave: false },
    { name: "Healthy → Degraded", active: UP, standby: DEGRADED, leave: false },
    { name: "Healthy → monitors failing", active: UP, standby: MONITOR_FAILING, leave: false },
    {
      name: "Degraded 150 → Degraded 190",
      active: DEGRADED,
      standby: up({ serviceLevel: 190 }),
      leave: false,
    },
    { name: "Degraded → Maintenance", active: DEGRADED, standby: MAINTENANCE, leave: false },
    { name: "Maintenance → NoData", active: MAINTENANCE, standby: up({ serviceLevel: 1 }), leave: false },
    { name: "Maintenance → Degraded", active: MAINTENANCE, standby: DEGRADED, leave: true },
    { name: "monitors failing → Degraded", active: MONITOR_FAILING, standby: DEGRADED, leave: true },
    {
      name: "monitors failing → monitors failing",
      active: MONITOR_FAILING,
      standby: MONITOR_FAILING,
      leave: false,
    },
    {
      name: "below minimum 220 → 230",
      active: up({ serviceLevel: 210 }),
      standby: up({ serviceLevel: 230 }),
      min: 220,
      leave: true,
    },
    { name: "at minimum 220 → 255", active: up({ serviceLevel: 220 }), standby: UP, min: 220, leave: false },
  ];
  for (const { name, active, standby, min, leave } of cases) {
    test(`${name}: ${leave ? "switch" : "stay"}`, () => {
      const m = running({ serviceLevelMinimum: min ?? 0 });
      m.update(1, standby, 5_000);
      const decisions = brief(m.update(0, active, 6_000));
      if (leave) {
        const reason = active.monitorsFailing ? "monitor" : "serviceLevel";
        assert.deepEqual(decisions, [sw(0, 1, reason)]);
      } else {
        assert.deepEqual(decisions, []);
        expectState(m, "active", 0, null);
      }
    });
  }

  test("failureCount 2: one failing monitor is not enough", () => {
    const m = running({ failureCount: 2 });
    assert.deepEqual(m.update(0, up({ monitorsFailing: 1 }), 5_000), []);
    assert.deepEqual(brief(m.update(0, up({ monitorsFailing: 2 }), 5_100)), [sw(0, 1, "monitor")]);
  });

  test("equal ranks do not ping-pong as the levels move", () => {
    const m = running();
    assert.deepEqual(m.update(1, DEGRADED, 5_000), []);
    assert.deepEqual(m.update(0, up({ serviceLevel: 100 }), 5_000), []);
    assert.equal(m.active, 0);
    for (let t = 6_000, k = 0; t < 60_000; t += 500, k++) {
      assert.deepEqual(m.update(k % 2, up({ serviceLevel: 2 + ((k * 37) % 197) }), t), []);
    }
    expectState(m, "active", 0, null);
  });
});

for (const mode of WARM_HOT) {
  describe(`failback auto (${mode})`, () => {
    test("back to the primary after it has been up for holdMs", () => {
      const m = failedOver({ mode });
      assert.deepEqual(m.update(0, UP, 2_000), []);
      expectState(m, "active", 1, 7_000);
      assert.deepEqual(m.evaluate(6_999), []);
      assert.equal(m.nextWakeAt(), 7_000);
      assert.deepEqual(brief(m.evaluate(7_000)), [sw(1, 0, "failback")]);
      expectState(m, "active", 0, null);
    });

    test("not sooner than minDwellMs after the last switch", () => {
      const m = failedOver({ mode, failback: { holdMs: 0 }, minDwellMs: 10_000 });
      assert.deepEqual(m.update(0, UP, 2_000), []);
      expectState(m, "active", 1, 11_000);
      assert.deepEqual(brief(m.evaluate(11_000)), [sw(1, 0, "failback")]);
    });

    test("the hold restarts when the primary drops out", () => {
      const m = failedOver({ mode });
      m.update(0, UP, 2_000);
      assert.deepEqual(m.update(0, DOWN, 4_000), []);
      expectState(m, "active", 1, null);
      assert.deepEqual(m.update(0, UP, 5_000), []);
      expectState(m, "active", 1, 10_000);
    });

    test("the hold counts only while the primary is at least as fit as the active server", () => {
      const m = failedOver({ mode });
      assert.deepEqual(m.update(0, DEGRADED, 2_000), []);
      expectState(m, "active", 1, null);
      assert.deepEqual(m.update(0, UP, 3_000), []);
      expectState(m, "active", 1, 8_000);
    });

    test("the active server getting worse starts the hold then, not when the primary came up", () => {
      const m = failedOver({ mode });
      m.update(0, DEGRADED, 2_000);
      assert.deepEqual(m.update(1, up({ serviceLevel: 190 }), 20_000), []);
      expectState(m, "active", 1, 25_000);
      assert.deepEqual(brief(m.evaluate(25_000)), [sw(1, 0, "failback")]);
    });

    test("the primary staying at least as fit while its own rank changes keeps its hold", () => {
      const m = failedOver({ mode, minDwellMs: 10_000, failback: { holdMs: 20_000 } });
      m.update(1, DEGRADED, 1_100);
      assert.deepEqual(m.update(0, UP, 2_000), []);
      expectState(m, "active", 1, 11_000);
      assert.deepEqual(m.update(0, up({ serviceLevel: 190 }), 3_000), []);
      expectState(m, "active", 1, 22_000);
      assert.deepEqual(m.evaluate(21_999), []);
      assert.deepEqual(brief(m.evaluate(22_000)), [sw(1, 0, "failback")]);
    });

    test("a fitter primary is a health switch: dwell only, no hold", () => {
      const m = failedOver({ mode });
      m.update(1, DEGRADED, 1_200);
      assert.deepEqual(brief(m.update(0, UP, 1_500)), []);
      expectState(m, "active", 1, 2_000);
      assert.deepEqual(brief(m.evaluate(2_000)), [sw(1, 0, "serviceLevel")]);
    });

    test("three servers: back step by step in list order", () => {
      const m = running({ mode, serverCount: 3 });
      m.update(1, DOWN, 500);
      assert.deepEqual(brief(m.update(0, DOWN, 1_000)), [sw(0, 2, "commLost")]);
      m.update(1, UP, 2_000);
      m.update(0, UP, 3_000);
      expectState(m, "active", 2, 7_000);
      assert.deepEqual(brief(m.evaluate(7_000)), [sw(2, 1, "failback")]);
      expectState(m, "active", 1, 8_000);
      assert.deepEqual(brief(m.evaluate(8_000)), [sw(1, 0, "failback")]);
      expectState(m, "active", 0, null);
    });

    test("a standby that is not more preferred is never a failback target", () => {
      const m = running({ mode, serverCount: 3 });
      m.update(2, DOWN, 100);
      m.update(2, UP, 200);
      assert.deepEqual(m.evaluate(100_000), []);
      expectState(m, "active", 0, null);
    });
  });
}

describe("failback manual", () => {
  test("never automatically", () => {
    const m = failedOver({ failback: { policy: "manual" } });
    assert.deepEqual(m.update(0, UP, 2_000), []);
    expectState(m, "active", 1, null);
    assert.deepEqual(m.evaluate(1_000_000), []);
    expectState(m, "active", 1, null);
  });

  test("a fitter primary is still a health switch", () => {
    const m = failedOver({ failback: { policy: "manual" } });
    m.update(1, DEGRADED, 1_200);
    assert.deepEqual(brief(m.update(0, UP, 3_000)), [sw(1, 0, "serviceLevel")]);
  });

  test("the operator switches back", () => {
    const m = failedOver({ failback: { policy: "manual" } });
    m.update(0, UP, 2_000);
    assert.deepEqual(brief(m.requestSwitch(2_100, 0)), [sw(1, 0, "manual")]);
    expectState(m, "active", 0, null);
  });
});

describe("requestSwitch", () => {
  test("refused when the pair is stopped", () => {
    const m = running();
    m.stop();
    assert.deepEqual(m.requestSwitch(10, 1), { refused: "the pair is stopped" });
    assert.deepEqual(m.requestSwitch(10), { refused: "the pair is stopped" });
  });

  test("refused for the active server", () => {
    const m = running();
    assert.deepEqual(m.requestSwitch(10, 0), { refused: "that server is already active" });
    expectState(m, "active", 0, null);
  });

  for (const facts of [DOWN, CONNECTING, UNKNOWN]) {
    test(`refused for a ${facts.status} target`, () => {
      const m = running();
      m.update(1, facts, 5);
      assert.deepEqual(m.requestSwitch(10, 1), { refused: "server 1 is not reachable" });
      expectState(m, "active", 0, null);
    });
  }

  test("refused without a target when no other server is reachable", () => {
    const m = running();
    m.update(1, DOWN, 5);
    assert.deepEqual(m.requestSwitch(10), { refused: "no other server is reachable" });
  });

  test("refused while every server is lost", () => {
    const m = machine();
    m.update(0, DOWN, 0);
    m.update(1, DOWN, 0);
    assert.equal(m.state, "allLost");
    assert.deepEqual(m.requestSwitch(10), { refused: "no other server is reachable" });
    assert.deepEqual(m.requestSwitch(10, 1), { refused: "server 1 is not reachable" });
  });

  test("cold mode: an unconnected standby cannot be chosen", () => {
    const m = running({ mode: "cold" });
    assert.deepEqual(m.requestSwitch(10, 1), { refused: "server 1 is not reachable" });
  });

  test("a manual switch, even within the dwell time, then no automatic failback", () => {
    const m = running();
    assert.deepEqual(brief(m.requestSwitch(10, 1)), [sw(0, 1, "manual")]);
    expectState(m, "active", 1, null);
    assert.equal(m.lastSwitchAt, 10);
    assert.deepEqual(m.update(0, DOWN, 20), []);
    assert.deepEqual(m.update(0, UP, 30), []);
    assert.deepEqual(m.evaluate(1_000_000), []);
    expectState(m, "active", 1, null);
  });

  test("without a target: the best other server", () => {
    const m = running({ serverCount: 3 });
    m.update(1, DEGRADED, 5);
    assert.deepEqual(brief(m.requestSwitch(10)), [sw(0, 2, "manual")]);
  });

  test("the pin lasts until the next non-manual switch", () => {
    const m = running({ serverCount: 3 });
    assert.deepEqual(brief(m.requestSwitch(10, 2)), [sw(0, 2, "manual")]);
    assert.deepEqual(m.evaluate(100_000), []);
    expectState(m, "active", 2, null);
    assert.deepEqual(m.update(0, DOWN, 100_010), []);
    assert.deepEqual(brief(m.update(2, DOWN, 100_020)), [sw(2, 1, "commLost")]);
    assert.deepEqual(m.update(0, UP, 100_030), []);
    expectState(m, "active", 1, 105_030);
    assert.deepEqual(brief(m.evaluate(105_030)), [sw(1, 0, "failback")]);
  });

  test("a less fit target is left again by health after the dwell (the pin only stops failback)", () => {
    const m = running();
    m.update(1, DEGRADED, 5);
    assert.deepEqual(brief(m.requestSwitch(1_000, 1)), [sw(0, 1, "manual")]);
    expectState(m, "active", 1, 2_000);
    assert.deepEqual(brief(m.evaluate(2_000)), [sw(1, 0, "serviceLevel")]);
  });

  test("a target that is not running is left again at once", () => {
    const m = running();
    m.update(1, NOT_RUNNING, 5);
    assert.deepEqual(brief(m.requestSwitch(1_000, 1)), [sw(0, 1, "manual"), sw(1, 0, "serverState")]);
    expectState(m, "active", 0, null);
  });

  test("while starting: a manual switch to a reachable server", () => {
    const m = machine();
    m.update(0, CONNECTING, 0);
    m.update(1, UP, 10);
    assert.equal(m.state, "starting");
    assert.deepEqual(brief(m.requestSwitch(100, 1)), [sw(null, 1, "manual")]);
    expectState(m, "active", 1, null);
    assert.deepEqual(m.update(0, UP, 200), []);
    assert.deepEqual(m.evaluate(100_000), []);
  });
});

describe("stop", () => {
  for (const mode of ALL_MODES) {
    test(`${mode}: stopped, no more decisions`, () => {
      const m = running({ mode });
      m.stop();
      expectState(m, "stopped", null, null);
      assert.deepEqual(m.update(0, DOWN, 10), []);
      assert.deepEqual(m.update(1, UP, 20), []);
      assert.deepEqual(m.evaluate(100_000), []);
      expectState(m, "stopped", null, null);
    });
  }

  test("while waiting for the startup grace: the wake time is dropped", () => {
    const m = machine();
    m.update(1, UP, 0);
    assert.equal(m.nextWakeAt(), 2_000);
    m.stop();
    expectState(m, "stopped", null, null);
    assert.deepEqual(m.evaluate(2_000), []);
  });

  test("cold mode during a cycle pause: no more tries", () => {
    const m = machine({ mode: "cold" });
    m.evaluate(0);
    m.update(0, DOWN, 1);
    m.update(1, DOWN, 2);
    assert.equal(m.state, "allLost");
    m.stop();
    assert.deepEqual(m.evaluate(10_000), []);
    assert.deepEqual(m.update(1, DOWN, 10_001), []);
  });
});

describe("cold mode: probing unconnected standbys", () => {
  test("auto failback: the primary is tried every retry delay until it answers, then held", () => {
    const m = running({ mode: "cold" });
    m.update(0, DOWN, 1_000);
    assert.deepEqual(brief(m.update(1, UP, 1_100)), [sw(0, 1, "commLost")]);
    expectState(m, "active", 1, 4_100);
    assert.deepEqual(m.evaluate(4_099), []);
    assert.deepEqual(brief(m.evaluate(4_100)), [tryIt(0)]);
    assert.deepEqual(m.update(0, DOWN, 4_200), []);
    expectState(m, "active", 1, 7_200);
    assert.deepEqual(brief(m.evaluate(7_200)), [tryIt(0)]);
    assert.deepEqual(m.update(0, UP, 7_300), []);
    expectState(m, "active", 1, 12_300);
    assert.deepEqual(brief(m.evaluate(12_300)), [sw(1, 0, "failback")]);
    expectState(m, "active", 0, null);
  });

  test("manual failback: the primary is not watched", () => {
    const m = running({ mode: "cold", failback: { policy: "manual" } });
    m.update(0, DOWN, 1_000);
    m.update(1, UP, 1_100);
    expectState(m, "active", 1, null);
    assert.deepEqual(m.evaluate(100_000), []);
  });

  test("after a manual switch: no watching either", () => {
    const m = running({ mode: "cold" });
    m.update(1, UP, 10);
    assert.deepEqual(brief(m.requestSwitch(20, 1)), [sw(0, 1, "manual")]);
    m.update(0, DOWN, 30);
    expectState(m, "active", 1, null);
  });

  test("a trigger with no fitter server found: tried again after every pause", () => {
    const m = running({ mode: "cold" });
    assert.deepEqual(brief(m.update(0, MAINTENANCE, 5_000)), [tryIt(1)]);
    assert.deepEqual(m.update(1, DOWN, 5_100), []);
    expectState(m, "active", 0, 8_100);
    assert.deepEqual(brief(m.evaluate(8_100)), [tryIt(1)]);
    assert.deepEqual(m.update(1, MAINTENANCE, 8_200), []);
    expectState(m, "active", 0, null);
    assert.deepEqual(brief(m.update(1, UP, 9_000)), [sw(0, 1, "serviceLevel")]);
  });

  test("a trigger on the new active server is probed at once, not after the retry delay", () => {
    const m = running({ mode: "cold", serverCount: 3 });
    m.update(0, DOWN, 1_000);
    m.update(1, UP, 1_100);
    assert.deepEqual(brief(m.update(1, NOT_RUNNING, 1_200)), [tryIt(2)]);
    assert.deepEqual(brief(m.update(2, UP, 1_300)), [sw(1, 2, "serverState")]);
  });

  test("a candidate connecting blocks other tries; losing the active restarts the cycle after it", () => {
    const m = running({ mode: "cold", serverCount: 3 });
    assert.deepEqual(brief(m.update(0, MAINTENANCE, 5_000)), [tryIt(1)]);
    assert.deepEqual(m.update(0, DOWN, 5_050), []);
    expectState(m, "active", null, null);
    assert.deepEqual(brief(m.update(1, DOWN, 5_100)), [tryIt(2)]);
    assert.deepEqual(brief(m.update(2, UP, 5_200)), [sw(0, 2, "commLost")]);
  });
});

describe("flapping links (fake clock, 60 s, every 300 ms)", () => {
  const T = 60_000;
  const base: Overrides = { failback: { holdMs: 5_000 }, minDwellMs: 2_000 };

  for (const mode of WARM_HOT) {
    test(`${mode}: primary up/down, healthy secondary: one switch, failback only once it is stable`, () => {
      const m = running({ ...base, mode });
      const switches = simulate(m, flapping(0, DOWN, UP, 300, 300, T), T);
      // Bound from the hold: at most one failback per holdMs of stability, plus the first failover.
      assert.ok(switches.length <= 1 + Math.floor(T / 5_000));
      assert.deepEqual(switches, [{ at: 300, decision: sw(0, 1, "commLost") }]);
      // It ends up; after holdMs of stability the primary is back.
      const last = flapping(0, DOWN, UP, 300, 300, T).at(-1)!;
      assert.deepEqual(last[2], UP);
      expectState(m, "active", 1, last[0] + 5_000);
      assert.deepEqual(brief(m.evaluate(last[0] + 5_000)), [sw(1, 0, "failback")]);
    });
  }

  test("primary up/down, degraded secondary: health switches are spaced by the dwell time", () => {
    const m = running({ ...base });
    m.update(1, DEGRADED, 0);
    const switches = simulate(m, flapping(0, DOWN, UP, 300, 300, T), T);
    // Each return to the fitter primary waits minDwellMs after the previous switch; each loss is at once.
    assert.ok(switches.length <= 2 * Math.ceil(T / 2_000) + 1, `${switches.length} switches`);
    assert.ok(switches.length >= 2);
    for (let k = 1; k < switches.length; k++) {
      const { at, decision } = switches[k]!;
      if (decision.kind === "switch" && decision.reason === "serviceLevel") {
        assert.ok(at - switches[k - 1]!.at >= 2_000, `switch at ${at} too soon`);
      } else {
        assert.deepEqual(decision, sw(0, 1, "commLost"));
      }
    }
  });

  test("primary ServiceLevel healthy/degraded: one switch away, no failback while it flaps", () => {
    const m = running({ ...base });
    const switches = simulate(m, flapping(0, DEGRADED, UP, 300, 300, T), T);
    assert.deepEqual(switches, [{ at: 2_100, decision: sw(0, 1, "serviceLevel") }]);
    assert.equal(m.active, 1);
  });

  test("secondary flapping: no switch at all", () => {
    const m = running({ ...base });
    const switches = simulate(m, flapping(1, DOWN, UP, 300, 300, T), T);
    assert.deepEqual(switches, []);
    expectState(m, "active", 0, null);
  });

  test("cold: a primary that answers each try and drops 200 ms later is never failed back to", () => {
    const m = running({ ...base, mode: "cold" });
    const switches: Brief[] = [];
    const triesOf0: number[] = [];
    const pending: number[] = [];
    let upSince: number | null = null;
    const record = (decisions: Decision[], now: number) => {
      for (const d of brief(decisions)) {
        if (d.kind === "switch") switches.push(d);
        if (d.kind === "try") pending.push(d.server);
        if (d.kind === "try" && d.server === 0) triesOf0.push(now);
      }
    };
    record(m.update(0, DOWN, 1_000), 1_000);
    for (let now = 1_000; now <= T; now += 100) {
      const wake = m.nextWakeAt();
      if (wake !== null && wake <= now) record(m.evaluate(now), now);
      // Every try answers at once; the primary drops again 200 ms after it answered.
      for (const server of pending.splice(0)) {
        if (server === 0) upSince = now;
        record(m.update(server, UP, now), now);
      }
      if (upSince !== null && now - upSince >= 200) {
        record(m.update(0, DOWN, now), now);
        upSince = null;
      }
    }
    assert.deepEqual(switches, [sw(0, 1, "commLost")]);
    assert.equal(m.active, 1);
    // The primary is tried once per retry delay (+ the 200 ms it stays up), never more often.
    assert.ok(triesOf0.length >= 2);
    assert.ok(triesOf0.length <= Math.ceil(T / 3_000));
    for (let k = 1; k < triesOf0.length; k++) assert.ok(triesOf0[k]! - triesOf0[k - 1]! >= 3_000);
  });
});

describe("ColdCycle", () => {
  test("list order after the last server, wrapping; a pause after a full cycle", () => {
    const c = new ColdCycle(1_000);
    assert.equal(c.next([], 0), null);
    c.restartAfter(1);
    assert.deepEqual(c.next([0, 1, 2], 0), { server: 2 });
    assert.deepEqual(c.next([0, 1, 2], 1), { server: 0 });
    assert.deepEqual(c.next([0, 1, 2], 2), { server: 1 });
    assert.equal(c.tried, 3);
    assert.deepEqual(c.next([0, 1, 2], 3), { wakeAt: 1_003 });
    assert.deepEqual(c.next([0, 1, 2], 1_002), { wakeAt: 1_003 });
    assert.equal(c.tried, 3);
    assert.deepEqual(c.next([0, 1, 2], 1_003), { server: 2 });
    assert.equal(c.tried, 1);
  });

  test("only candidates count; restartAfter drops the pause", () => {
    const c = new ColdCycle(1_000);
    c.restartAfter(2);
    assert.deepEqual(c.next([0], 0), { server: 0 });
    assert.deepEqual(c.next([0], 1), { wakeAt: 1_001 });
    c.restartAfter(2);
    assert.equal(c.tried, 0);
    assert.deepEqual(c.next([0, 1], 2), { server: 0 });
    assert.deepEqual(c.next([0, 1], 3), { server: 1 });
  });
});

describe("lastActive (the one record of it: RedundantClient reads it for the links' roles)", () => {
  test("null before the first switch, then the last switch's target", () => {
    const m = machine();
    assert.equal(m.lastActive, null);
    m.update(0, UP, 0);
    assert.equal(m.lastActive, 0);
    m.update(1, UP, 0);
    m.update(0, DOWN, 1_000);
    assert.equal(m.lastActive, 1);
  });

  test("cold mode: kept while no server is active, and after stop()", () => {
    const m = running({ mode: "cold" });
    m.update(0, DOWN, 1_000);
    assert.equal(m.active, null);
    assert.equal(m.lastActive, 0);
    m.stop();
    assert.equal(m.lastActive, 0);
  });
});
