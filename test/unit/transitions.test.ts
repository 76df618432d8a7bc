/**
 * checkTransition (src/transitions.ts) and the tables of the link (upstream/link-state.ts) and the
 * pair (redundancy/pair-state.ts):
 * an illegal change is logged and let through, and under tests also recorded for the rigs to fail
 * on; every change UpstreamLink makes is in the table.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { PAIR_TRANSITIONS } from "../../src/redundancy/pair-state.ts";
import type { PairState } from "../../src/redundancy/types.ts";
import {
  checkTransition,
  isLegalTransition,
  type TransitionTable,
  takeIllegalTransitions,
  underTest,
} from "../../src/transitions.ts";
import { LINK_STATES, LINK_TRANSITIONS, type LinkState } from "../../src/upstream/link-state.ts";

type Light = "red" | "green" | "amber";
const LIGHTS: TransitionTable<Light> = { red: ["green"], green: ["amber"], amber: ["red"] };

function recorder() {
  const lines: { fields: Record<string, unknown>; message: string }[] = [];
  return {
    lines,
    error: (fields: Record<string, unknown>, message: string) => lines.push({ fields, message }),
  };
}

describe("checkTransition", () => {
  test("node's test runner counts as a test run", () => {
    assert.ok(underTest());
  });

  test("a legal change, or none, passes without a log line", () => {
    const logger = recorder();
    checkTransition(LIGHTS, "red", "green", logger as never);
    checkTransition(LIGHTS, "amber", "amber", logger as never);
    assert.deepEqual(logger.lines, []);
  });

  test("under tests an illegal change is applied, logged and recorded, naming both states", () => {
    takeIllegalTransitions();
    const logger = recorder();
    assert.doesNotThrow(() => checkTransition(LIGHTS, "red", "amber", logger as never));
    assert.equal(logger.lines.length, 1);
    assert.equal(logger.lines[0]!.fields.code, "ERR_ILLEGAL_TRANSITION");
    const taken = takeIllegalTransitions();
    assert.equal(taken.length, 1);
    assert.match(taken[0]!, /red → amber/);
    assert.deepEqual(takeIllegalTransitions(), [], "taken once");
  });

  describe("in production", () => {
    const saved = { context: process.env.NODE_TEST_CONTEXT, env: process.env.NODE_ENV };
    beforeEach(() => {
      delete process.env.NODE_TEST_CONTEXT;
      process.env.NODE_ENV = "production";
    });
    afterEach(() => {
      if (saved.context === undefined) delete process.env.NODE_TEST_CONTEXT;
      else process.env.NODE_TEST_CONTEXT = saved.context;
      if (saved.env === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = saved.env;
    });

    test("an illegal change is logged at error level, not recorded", () => {
      assert.equal(underTest(), false);
      const logger = recorder();
      assert.doesNotThrow(() => checkTransition(LIGHTS, "green", "red", logger as never));
      assert.deepEqual(takeIllegalTransitions(), []);
      assert.equal(logger.lines.length, 1);
      assert.deepEqual([logger.lines[0]!.fields.from, logger.lines[0]!.fields.to], ["green", "red"]);
      assert.match(logger.lines[0]!.message, /green → red/);
    });

    test("NODE_ENV=test alone counts as a test run", () => {
      process.env.NODE_ENV = "test";
      checkTransition(LIGHTS, "green", "red", recorder() as never);
      assert.equal(takeIllegalTransitions().length, 1);
    });
  });
});

describe("LINK_TRANSITIONS", () => {
  test("the table has a row for every link state and names only link states", () => {
    assert.deepEqual(Object.keys(LINK_TRANSITIONS).sort(), [...LINK_STATES].sort());
    for (const targets of Object.values(LINK_TRANSITIONS)) {
      for (const to of targets) assert.ok(LINK_STATES.includes(to), to);
    }
  });

  // What UpstreamLink does (link.ts #setState callers), from → to.
  const MADE_BY_THE_LINK: [LinkState, LinkState][] = [
    ["idle", "connecting"], // a start: the client is created
    ["idle", "lost"], // the client PKI cannot be set up at the first start
    ["idle", "stopped"], // stop() after its disconnect
    ["connecting", "connected"], // the first status query answered
    ["connecting", "lost"], // a failed attempt, a lost connection, a failed probe, a refused certificate
    ["connecting", "idle"], // a disconnect while connecting
    ["connected", "lost"],
    ["connected", "idle"],
    ["lost", "connected"], // node-opcua reconnected, the status query answers
    ["lost", "connecting"], // a fresh start after the PKI failed
    ["lost", "idle"], // a disconnect, a stalled reconnect, a refused certificate
  ];

  test("every change the link makes is accepted", () => {
    for (const [from, to] of MADE_BY_THE_LINK) {
      assert.doesNotThrow(
        () => checkTransition(LINK_TRANSITIONS, from, to, recorder() as never),
        `${from} → ${to}`,
      );
    }
  });

  test("the table allows nothing else", () => {
    const allowed = new Set(MADE_BY_THE_LINK.map(([from, to]) => `${from}→${to}`));
    for (const from of LINK_STATES) {
      for (const to of LINK_STATES) {
        if (from === to) continue;
        assert.equal(
          isLegalTransition(LINK_TRANSITIONS, from, to),
          allowed.has(`${from}→${to}`),
          `${from} → ${to}`,
        );
      }
    }
  });

  test("clearly illegal changes are rejected: connected without connecting, leaving stopped", () => {
    for (const [from, to] of [
      ["idle", "connected"],
      ["stopped", "connecting"],
      ["connected", "stopped"],
    ] as [LinkState, LinkState][]) {
      assert.equal(isLegalTransition(LINK_TRANSITIONS, from, to), false, `${from} → ${to}`);
    }
  });
});

describe("PAIR_TRANSITIONS", () => {
  const MADE_BY_THE_PAIR: [PairState, PairState][] = [
    ["starting", "active"], // the first switch
    ["starting", "allLost"], // every server failed at start
    ["starting", "stopped"],
    ["active", "allLost"], // no server left
    ["active", "stopped"],
    ["allLost", "active"], // a server recovered
    ["allLost", "stopped"],
  ];
  const PAIR_STATES = Object.keys(PAIR_TRANSITIONS) as PairState[];

  test("every change RedundantClient and PairEngine make is accepted, nothing else", () => {
    const allowed = new Set(MADE_BY_THE_PAIR.map(([from, to]) => `${from}→${to}`));
    for (const from of PAIR_STATES) {
      for (const to of PAIR_STATES) {
        if (from === to) continue;
        assert.equal(
          isLegalTransition(PAIR_TRANSITIONS, from, to),
          allowed.has(`${from}→${to}`),
          `${from} → ${to}`,
        );
      }
    }
    takeIllegalTransitions();
    for (const [from, to] of MADE_BY_THE_PAIR)
      checkTransition(PAIR_TRANSITIONS, from, to, recorder() as never);
    assert.deepEqual(takeIllegalTransitions(), []);
  });

  test("clearly illegal changes are rejected: back to starting, leaving stopped", () => {
    assert.equal(isLegalTransition(PAIR_TRANSITIONS, "active", "starting"), false);
    assert.equal(isLegalTransition(PAIR_TRANSITIONS, "stopped", "active"), false);
  });
});
