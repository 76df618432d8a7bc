import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseGatewayConfig, parsePairConfig } from "../../src/config/load.ts";
import {
  assertIssue,
  gatewayPair,
  issuesOf,
  minimalPair,
  pairWithMonitors,
} from "../helpers/config-issues.ts";

describe("config: cross-field checks", () => {
  it("rejects duplicate pair names and listen ports, and an http port in use", () => {
    const issues = issuesOf(() =>
      parseGatewayConfig({
        pairs: [gatewayPair("a", 4841), gatewayPair("a", 4841), gatewayPair("b", 4842)],
        http: { port: 4842 },
      }),
    );
    assertIssue(issues, "pairs[1].name", /duplicate pair name "a" \(also at pairs\[0\]\.name\)/);
    assertIssue(issues, "pairs[1].listen.port", /duplicate port 4841 \(also at pairs\[0\]\.listen\.port\)/);
    assertIssue(issues, "http.port", /pairs\[2\]\.listen\.port/);
  });

  it("requires a listen port for every pair of a gateway", () => {
    assertIssue(
      issuesOf(() => parseGatewayConfig({ pairs: [minimalPair] })),
      "pairs[0].listen",
      /required/,
    );
  });

  it("rejects duplicate URLs within a pair, also when spelled differently", () => {
    const issues = issuesOf(() =>
      parsePairConfig({
        name: "a",
        servers: [{ url: "opc.tcp://Host:4840" }, { url: "opc.tcp://host:4840/" }],
      }),
    );
    assert.deepEqual(issues, [
      'servers[1].url: duplicate URL "opc.tcp://host:4840/" (also at servers[0].url)',
    ]);
  });

  it("checks lifetimeCount, reconnect delays and the status query timeout", () => {
    const issues = issuesOf(() =>
      parsePairConfig({
        ...minimalPair,
        subscription: { keepAliveCount: 200 },
        reconnect: { initialDelayMs: 5000 },
        statusQuery: { timeoutMs: 60000 },
      }),
    );
    assertIssue(issues, "subscription.lifetimeCount", /at least 3 × keepAliveCount \(600\), got 300/);
    assertIssue(issues, "reconnect.initialDelayMs", /at most maxDelayMs \(2000\), got 5000/);
    assertIssue(issues, "statusQuery.timeoutMs", /less than session\.timeoutMs/);
  });

  it("checks subscription.followDownstream: bounds in order, each at least the shortest interval", () => {
    const issues = issuesOf(() =>
      parsePairConfig({
        ...minimalPair,
        subscription: { followDownstream: { minMs: 500, maxMs: 100 } },
      }),
    );
    assertIssue(issues, "subscription.followDownstream.minMs", /at most maxMs \(100\), got 500/);
    const tooFast = issuesOf(() =>
      parsePairConfig({ ...minimalPair, subscription: { followDownstream: { minMs: 1, maxMs: 100 } } }),
    );
    assertIssue(tooFast, "subscription.followDownstream.minMs", /10/);
    const parsed = parsePairConfig({
      ...minimalPair,
      subscription: { followDownstream: { minMs: 20, maxMs: 2000 } },
    });
    assert.deepEqual(parsed.subscription.followDownstream, { minMs: 20, maxMs: 2000 });
    assert.equal(parsePairConfig(minimalPair).subscription.followDownstream, undefined, "off by default");
  });

  it("checks hot.items: a NodeId and a known selection per item", () => {
    const issues = issuesOf(() =>
      parsePairConfig({
        ...minimalPair,
        hot: { items: [{ nodeId: "not a node id", itemSelection: "best" }] },
      }),
    );
    assertIssue(issues, "hot.items[0].nodeId", /./);
    assertIssue(issues, "hot.items[0].itemSelection", /active|bestQuality/);
    const parsed = parsePairConfig({
      ...minimalPair,
      hot: { items: [{ nodeId: "ns=1;s=Sine", itemSelection: "active" }] },
    });
    assert.deepEqual(parsed.hot.items, [{ nodeId: "ns=1;s=Sine", itemSelection: "active" }]);
    assert.deepEqual(parsePairConfig(minimalPair).hot.items, [], "none by default");
  });

  it("still runs cross-field checks when other fields are invalid", () => {
    const issues = issuesOf(() =>
      parsePairConfig({
        ...minimalPair,
        mode: "x",
        statusQuery: { intervalMs: 1.5 },
        monitors: [{ nodeId: "i=1", badQuality: true }],
        failureCount: 2,
      }),
    );
    assertIssue(issues, "mode", /"x"/);
    assertIssue(issues, "failureCount", /at most 1/);
  });
});

describe("config: monitors", () => {
  it("accepts each of the three conditions", () => {
    const pair = parsePairConfig({
      ...minimalPair,
      monitors: [
        { nodeId: "ns=2;s=Line1.Heartbeat", noChangeMs: 10 },
        { nodeId: "i=2258", value: { op: ">=", value: 3.5 } },
        { nodeId: "ns=1;s=Status", value: { op: "!=", value: "ok" } },
        { nodeId: "Server_ServiceLevel", badQuality: true },
      ],
      failureCount: 4,
    });
    assert.equal(pair.monitors.length, 4);
  });

  it("requires exactly one condition", () => {
    assertIssue(
      issuesOf(pairWithMonitors([{ nodeId: "i=1" }])),
      "monitors[0]",
      /exactly one condition.*got none/,
    );
    assertIssue(
      issuesOf(pairWithMonitors([{ nodeId: "i=1", noChangeMs: 100, badQuality: true }])),
      "monitors[0]",
      /exactly one condition.*got noChangeMs and badQuality/,
    );
  });

  it("rejects a noChangeMs below 10 ms, and non-numeric ones", () => {
    assertIssue(
      issuesOf(pairWithMonitors([{ nodeId: "i=1", noChangeMs: 5 }])),
      "monitors[0].noChangeMs",
      /got 5$/,
    );
    assertIssue(
      issuesOf(pairWithMonitors([{ nodeId: "i=1", noChangeMs: "5s" }])),
      "monitors[0].noChangeMs",
      /"5s"/,
    );
  });

  it("requires a number for < <= > >=", () => {
    const issues = issuesOf(pairWithMonitors([{ nodeId: "i=1", value: { op: "<", value: "high" } }]));
    assert.deepEqual(issues, ['monitors[0].value.value: operator "<" needs a number, got "high"']);
  });

  it("rejects list and object values", () => {
    const issues = issuesOf(
      pairWithMonitors([
        { nodeId: "i=1", value: { op: "==", value: [1, 2] } },
        { nodeId: "i=1", value: { op: "==", value: { a: 1 } } },
      ]),
    );
    assertIssue(issues, "monitors[0].value.value", /number, true, false or a string, got a list/);
    assertIssue(issues, "monitors[1].value.value", /got an object/);
  });

  it("rejects a bad NodeId and a bad operator", () => {
    const issues = issuesOf(
      pairWithMonitors([
        { nodeId: "ns=1;i=abc", badQuality: true },
        { nodeId: "", badQuality: true },
        { nodeId: "i=1", value: { op: "=>", value: 1 } },
      ]),
    );
    assertIssue(issues, "monitors[0].nodeId", /expected an OPC UA NodeId.*"ns=1;i=abc"/);
    assertIssue(issues, "monitors[1].nodeId", /expected an OPC UA NodeId/);
    assertIssue(issues, "monitors[2].value.op", /expected one of ==, !=, <, <=, >, >=, got "=>"/);
  });

  it("rejects failureCount greater than the number of monitors", () => {
    assertIssue(
      issuesOf(pairWithMonitors([{ nodeId: "i=1", badQuality: true }], { failureCount: 2 })),
      "failureCount",
      /expected at most 1 \(the number of monitors\), got 2/,
    );
  });
});
