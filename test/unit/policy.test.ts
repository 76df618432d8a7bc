import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  bestServer,
  classifyServiceLevel,
  describeFacts,
  describeServers,
  type PolicyOptions,
  Rank,
  rankServer,
  reasonForLeaving,
  type ServiceLevelClass,
} from "../../src/redundancy/policy.ts";
import type { ServerFacts, SwitchReason } from "../../src/redundancy/types.ts";

const OPTIONS: PolicyOptions = { serviceLevelMinimum: 0, failureCount: 1 };
const UP: ServerFacts = { status: "up", serverState: "Running", serviceLevel: 255, monitorsFailing: 0 };

describe("classifyServiceLevel (Part 4 §6.6.2.4.2 sub-ranges)", () => {
  const cases: [number, ServiceLevelClass][] = [
    [-1, "maintenance"],
    [0, "maintenance"],
    [1, "noData"],
    [2, "degraded"],
    [100, "degraded"],
    [199, "degraded"],
    [200, "healthy"],
    [254, "healthy"],
    [255, "healthy"],
  ];
  for (const [level, expected] of cases) {
    test(`${level} is ${expected}`, () => {
      assert.equal(classifyServiceLevel(level), expected);
    });
  }
});

describe("Rank", () => {
  test("is ordered from unreachable (worst) to healthy (best)", () => {
    const order = [
      Rank.unreachable,
      Rank.notRunning,
      Rank.unusable,
      Rank.monitorsFailing,
      Rank.degraded,
      Rank.healthy,
    ];
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
    );
    assert.equal(new Set(order).size, order.length);
  });
});

describe("rankServer", () => {
  const cases: { name: string; facts: ServerFacts; options?: Partial<PolicyOptions>; rank: Rank }[] = [
    // communication first: nothing else counts without it
    { name: "unknown", facts: { ...UP, status: "unknown" }, rank: Rank.unreachable },
    { name: "connecting", facts: { ...UP, status: "connecting" }, rank: Rank.unreachable },
    { name: "down", facts: { ...UP, status: "down" }, rank: Rank.unreachable },
    { name: "down, nothing else known", facts: { status: "down" }, rank: Rank.unreachable },
    // up, the rest unknown: healthy
    { name: "up, nothing else known", facts: { status: "up" }, rank: Rank.healthy },
    { name: "up and all fine", facts: UP, rank: Rank.healthy },
    // ServerState
    ...["Failed", "NoConfiguration", "Suspended", "Shutdown", "Test", "CommunicationFault", "Unknown"].map(
      (state) => ({ name: `state ${state}`, facts: { ...UP, serverState: state }, rank: Rank.notRunning }),
    ),
    {
      name: "not running outranks every ServiceLevel and monitor problem",
      facts: { status: "up", serverState: "Shutdown", serviceLevel: 0, monitorsFailing: 5 },
      rank: Rank.notRunning,
    },
    // ServiceLevel classes
    { name: "ServiceLevel 0 (Maintenance)", facts: { ...UP, serviceLevel: 0 }, rank: Rank.unusable },
    { name: "ServiceLevel 1 (NoData)", facts: { ...UP, serviceLevel: 1 }, rank: Rank.unusable },
    { name: "ServiceLevel 2", facts: { ...UP, serviceLevel: 2 }, rank: Rank.degraded },
    { name: "ServiceLevel 199", facts: { ...UP, serviceLevel: 199 }, rank: Rank.degraded },
    { name: "ServiceLevel 200", facts: { ...UP, serviceLevel: 200 }, rank: Rank.healthy },
    { name: "ServiceLevel 255", facts: { ...UP, serviceLevel: 255 }, rank: Rank.healthy },
    // configured minimum
    {
      name: "degraded level below the minimum",
      facts: { ...UP, serviceLevel: 99 },
      options: { serviceLevelMinimum: 100 },
      rank: Rank.unusable,
    },
    {
      name: "degraded level at the minimum",
      facts: { ...UP, serviceLevel: 100 },
      options: { serviceLevelMinimum: 100 },
      rank: Rank.degraded,
    },
    {
      name: "healthy level below the minimum",
      facts: { ...UP, serviceLevel: 210 },
      options: { serviceLevelMinimum: 220 },
      rank: Rank.unusable,
    },
    {
      name: "no level reported, whatever the minimum",
      facts: { status: "up" },
      options: { serviceLevelMinimum: 250 },
      rank: Rank.healthy,
    },
    // monitors
    {
      name: "1 monitor failing, failureCount 1",
      facts: { ...UP, monitorsFailing: 1 },
      rank: Rank.monitorsFailing,
    },
    {
      name: "1 monitor failing, failureCount 2",
      facts: { ...UP, monitorsFailing: 1 },
      options: { failureCount: 2 },
      rank: Rank.healthy,
    },
    {
      name: "2 monitors failing, failureCount 2",
      facts: { ...UP, monitorsFailing: 2 },
      options: { failureCount: 2 },
      rank: Rank.monitorsFailing,
    },
    {
      name: "3 monitors failing, failureCount 2",
      facts: { ...UP, monitorsFailing: 3 },
      options: { failureCount: 2 },
      rank: Rank.monitorsFailing,
    },
    {
      name: "no monitor failing never makes a server unfit, even with failureCount 0",
      facts: { ...UP, monitorsFailing: 0 },
      options: { failureCount: 0 },
      rank: Rank.healthy,
    },
    {
      name: "monitors not reported, failureCount 0",
      facts: { status: "up" },
      options: { failureCount: 0 },
      rank: Rank.healthy,
    },
    {
      name: "monitors failing on a degraded server",
      facts: { ...UP, serviceLevel: 150, monitorsFailing: 1 },
      rank: Rank.monitorsFailing,
    },
    {
      name: "an unusable level outranks failing monitors",
      facts: { ...UP, serviceLevel: 1, monitorsFailing: 1 },
      rank: Rank.unusable,
    },
  ];
  for (const { name, facts, options, rank } of cases) {
    test(`${name} → ${rank}`, () => {
      assert.equal(rankServer(facts, { ...OPTIONS, ...options }), rank);
    });
  }
});

describe("reasonForLeaving", () => {
  const cases: [Rank, SwitchReason][] = [
    [Rank.unreachable, "commLost"],
    [Rank.notRunning, "serverState"],
    [Rank.unusable, "serviceLevel"],
    [Rank.monitorsFailing, "monitor"],
    [Rank.degraded, "serviceLevel"],
    [Rank.healthy, "serviceLevel"],
  ];
  for (const [rank, reason] of cases) {
    test(`rank ${rank} → ${reason}`, () => {
      assert.equal(reasonForLeaving(rank), reason);
    });
  }
});

describe("describeFacts / describeServers", () => {
  test("only the status when nothing else is known", () => {
    assert.equal(describeFacts({ status: "down" }), "down");
  });
  test("every known fact, in a fixed order", () => {
    assert.equal(
      describeFacts({ status: "up", serverState: "Running", serviceLevel: 180, monitorsFailing: 2 }),
      "up, state Running, ServiceLevel 180, 2 monitor(s) failing",
    );
  });
  test("no monitor failing is not mentioned; ServiceLevel 0 is", () => {
    assert.equal(describeFacts({ status: "up", serviceLevel: 0, monitorsFailing: 0 }), "up, ServiceLevel 0");
  });
  test("describeServers numbers the servers", () => {
    assert.equal(
      describeServers([{ status: "down" }, { status: "up", serverState: "Shutdown" }]),
      "server 0: down; server 1: up, state Shutdown",
    );
  });
});

describe("bestServer", () => {
  const { unreachable: X, notRunning: N, unusable: U, monitorsFailing: M, degraded: D, healthy: H } = Rank;
  const cases: { ranks: Rank[]; exclude?: number; best: number | null }[] = [
    { ranks: [], best: null },
    { ranks: [X], best: null },
    { ranks: [X, X, X], best: null },
    { ranks: [H], best: 0 },
    { ranks: [H, H], best: 0 },
    { ranks: [X, H], best: 1 },
    { ranks: [D, H], best: 1 },
    { ranks: [H, D], best: 0 },
    { ranks: [N, U, M], best: 2 },
    { ranks: [N, X, X], best: 0 },
    { ranks: [D, H, H], best: 1 },
    { ranks: [M, D, D], best: 1 },
    { ranks: [H, H], exclude: 0, best: 1 },
    { ranks: [H, D], exclude: 0, best: 1 },
    { ranks: [H, X], exclude: 0, best: null },
    { ranks: [H], exclude: 0, best: null },
    { ranks: [D, H, H], exclude: 1, best: 2 },
    { ranks: [H, D], exclude: 5, best: 0 },
  ];
  for (const { ranks, exclude, best } of cases) {
    test(`[${ranks.join(",")}] excluding ${exclude ?? "none"} → ${best}`, () => {
      assert.equal(bestServer(ranks, exclude), best);
    });
  }
});
