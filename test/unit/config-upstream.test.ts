import assert from "node:assert/strict";
import { test } from "node:test";
import { parsePairConfig } from "../../src/config/load.ts";
import { upstreamSettings } from "../../src/config/schema-upstream.ts";
import { assertIssue, issuesOf, minimalPair } from "../helpers/config-issues.ts";

test("a server's session and subscription overrides win over the pair's, the rest is inherited", () => {
  const pair = parsePairConfig({
    ...minimalPair,
    session: { timeoutMs: 30_000 },
    servers: [
      { url: "opc.tcp://127.0.0.1:48401" },
      {
        url: "opc.tcp://127.0.0.1:48402",
        session: { timeoutMs: 120_000 },
        subscription: { publishingIntervalMs: 250, lifetimeCount: 600, queueSize: 5000 },
      },
    ],
  });
  assert.deepEqual(upstreamSettings(pair, pair.servers[0]!), {
    session: { timeoutMs: 30_000 },
    subscription: { publishingIntervalMs: 100, keepAliveCount: 10, lifetimeCount: 300, queueSize: 1000 },
  });
  assert.deepEqual(upstreamSettings(pair, pair.servers[1]!), {
    session: { timeoutMs: 120_000 },
    subscription: { publishingIntervalMs: 250, keepAliveCount: 10, lifetimeCount: 600, queueSize: 5000 },
  });
});

test("overrides are checked with their path, lifetime against the effective keep-alive", () => {
  const issues = issuesOf(() =>
    parsePairConfig({
      ...minimalPair,
      servers: [
        { url: "opc.tcp://127.0.0.1:48401", session: { timeoutMs: 10 }, subscription: { lifetimeCount: 20 } },
        {
          url: "opc.tcp://127.0.0.1:48402",
          subscription: { keepAliveCount: 200, queueSize: 0, samplingIntervalMs: 5 } as never,
        },
      ],
    }),
  );
  assertIssue(issues, "servers[0].session.timeoutMs", /expected an integer >= 1000/);
  assertIssue(issues, "servers[0].subscription.lifetimeCount", /at least 3 × keepAliveCount \(30\), got 20/);
  assertIssue(issues, "servers[1].subscription.queueSize", /expected an integer >= 1, got 0/);
  assertIssue(issues, "servers[1].subscription.samplingIntervalMs", /unknown key/);
  assertIssue(
    issues,
    "servers[1].subscription.lifetimeCount",
    /at least 3 × keepAliveCount \(600\), got 300/,
  );
});

test("reverseConnect: a listen URL opc.tcp://host:port and an optional serverUri", () => {
  const pair = parsePairConfig({
    ...minimalPair,
    servers: [
      {
        url: "opc.tcp://127.0.0.1:48401",
        reverseConnect: { listen: "opc.tcp://0.0.0.0:4999", serverUri: "urn:plc-a" },
      },
    ],
  });
  assert.deepEqual(pair.servers[0]!.reverseConnect, {
    listen: "opc.tcp://0.0.0.0:4999",
    serverUri: "urn:plc-a",
  });
  const issues = issuesOf(() =>
    parsePairConfig({
      ...minimalPair,
      servers: [
        { url: "opc.tcp://127.0.0.1:48401", reverseConnect: { listen: "http://x:1", port: 3 } as never },
      ],
    }),
  );
  assertIssue(issues, "servers[0].reverseConnect.listen", /opc\.tcp:\/\/host:port/);
  assertIssue(issues, "servers[0].reverseConnect.port", /unknown key/);
});
