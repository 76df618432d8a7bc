/**
 * Several gateway instances (issue 19): the `redundantSet` configuration checks, which pairs an
 * instance serves (peers[].pairs, --only-pairs), each pair's set, and the instance ServiceLevel.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PairStatus, ServerStatus } from "../../src/client/types.ts";
import { loadConfigFile, parseGatewayConfig } from "../../src/config/load.ts";
import { instanceServiceLevel } from "../../src/gateway/instance-service-level.ts";
import { pairSetView, selectInstancePairs, selfPeer } from "../../src/gateway/redundant-set.ts";
import { assertIssue, gatewayPair, issuesOf, root } from "../helpers/config-issues.ts";

const pairs = [gatewayPair("line1", 4841), gatewayPair("line2", 4842), gatewayPair("line3", 4843)];
const peers = [
  {
    name: "gw-a",
    applicationUri: "urn:gw-a:opcua-redundancy",
    host: "gw-a.plant",
    statusUrl: "http://gw-a.plant:8080",
  },
  {
    name: "gw-b",
    applicationUri: "urn:gw-b:opcua-redundancy",
    host: "gw-b.plant",
    endpoints: { line2: "opc.tcp://gw-b.plant:5842" },
  },
  { name: "gw-c", applicationUri: "urn:gw-c:opcua-redundancy", host: "gw-c.plant", pairs: ["line3"] },
];

describe("redundantSet configuration", () => {
  it("reports every problem with its path", () => {
    const issues = issuesOf(() =>
      parseGatewayConfig({
        pairs,
        redundantSet: {
          support: "cold",
          self: "gw-x",
          peers: [
            { name: "gw-a", applicationUri: "urn:same", host: "a" },
            {
              name: "gw-a",
              applicationUri: "urn:same",
              endpoints: { line9: "opc.tcp://b:1", line1: "http://b" },
            },
            { name: "gw-c", applicationUri: "urn:c", pairs: ["line9"], statusUrl: "ftp://c" },
          ],
        },
      }),
    );
    assertIssue(issues, "redundantSet.support", /expected "hot", got "cold"/);
    assertIssue(issues, "redundantSet.self", /no peer named "gw-x"/);
    assertIssue(
      issues,
      "redundantSet.peers[1].name",
      /duplicate name "gw-a" \(also at redundantSet\.peers\[0\]\.name\)/,
    );
    assertIssue(issues, "redundantSet.peers[1].applicationUri", /duplicate applicationUri/);
    assertIssue(issues, "redundantSet.peers[1].endpoints.line9", /no pair named "line9"/);
    assertIssue(issues, "redundantSet.peers[1].endpoints.line1", /expected opc\.tcp:\/\/host:port/);
    assertIssue(
      issues,
      "redundantSet.peers[1]",
      /no endpoint for pair "line2": give host .* or endpoints\.line2/,
    );
    assertIssue(issues, "redundantSet.peers[2].pairs[0]", /no pair named "line9"/);
    assertIssue(issues, "redundantSet.peers[2].statusUrl", /expected http\(s\):\/\/host:port/);
  });

  it("loads examples/redundant-set.yaml: each instance its share of the pairs", async () => {
    const config = await loadConfigFile(`${root}examples/redundant-set.yaml`);
    const served = (name: string) => selectInstancePairs(config, { name }).pairs.map((p) => p.name);
    assert.deepEqual(["gw-a", "gw-b", "gw-c"].map(served), [
      ["line1", "line2"],
      ["line1", "line2"],
      ["line3"],
    ]);
    const line2 = pairSetView(config.redundantSet, selfPeer(config, { name: "gw-a" }), config.pairs[1]!, [
      "line1",
      "line2",
      "line3",
    ]);
    assert.deepEqual(
      line2?.members.map((m) => m.endpointUrl),
      ["opc.tcp://gw-a.plant.local:4842", "opc.tcp://gw-b-line2.plant.local:4842"],
    );
  });

  it("reports a pair that no instance serves", () => {
    const issues = issuesOf(() =>
      parseGatewayConfig({
        pairs,
        redundantSet: { peers: [{ name: "a", applicationUri: "urn:a", host: "a", pairs: ["line1"] }] },
      }),
    );
    assertIssue(issues, "pairs[1].name", /no instance of redundantSet\.peers serves this pair/);
    assertIssue(issues, "pairs[2].name", /no instance/);
  });

  it("gives each pair the set of instances serving it, in preference order, with per-pair endpoints", () => {
    const config = parseGatewayConfig({ pairs, redundantSet: { self: "gw-b", peers } });
    const self = selfPeer(config);
    assert.equal(self?.name, "gw-b");
    const names = config.pairs.map((p) => p.name);
    assert.deepEqual(pairSetView(config.redundantSet, self, config.pairs[1]!, names), {
      members: [
        {
          name: "gw-a",
          applicationUri: "urn:gw-a:opcua-redundancy:line2",
          endpointUrl: "opc.tcp://gw-a.plant:4842",
        },
        {
          name: "gw-b",
          applicationUri: "urn:gw-b:opcua-redundancy:line2",
          endpointUrl: "opc.tcp://gw-b.plant:5842",
        },
      ],
      selfIndex: 1,
    });
    const c = selfPeer(config, { name: "gw-c" });
    const line3 = pairSetView(config.redundantSet, c, config.pairs[2]!, names);
    assert.deepEqual(
      line3?.members.map((m) => m.name),
      ["gw-a", "gw-b", "gw-c"],
    );
    assert.equal(line3?.selfIndex, 2);
    // gw-c alone does not serve line1: no set for it there (and it does not run it).
    assert.equal(pairSetView(config.redundantSet, c, config.pairs[0]!, names), null);
    assert.deepEqual(
      selectInstancePairs(config, { name: "gw-c" }).pairs.map((p) => p.name),
      ["line3"],
    );
  });

  it("selects an instance's pairs: --instance, --only-pairs, and refuses unknown names", () => {
    const config = parseGatewayConfig({ pairs, redundantSet: { peers } });
    assert.throws(() => selectInstancePairs(config), /redundantSet\.self or start --instance NAME/);
    assert.throws(() => selectInstancePairs(config, { name: "gw-z" }), /no peer named "gw-z"/);
    assert.deepEqual(
      selectInstancePairs(config, { name: "gw-a", onlyPairs: ["line2"] }).pairs.map((p) => p.name),
      ["line2"],
    );
    assert.throws(
      () => selectInstancePairs(config, { name: "gw-c", onlyPairs: ["line1"] }),
      /no pair "line1" served by instance gw-c/,
    );
    const plain = parseGatewayConfig({ pairs });
    assert.deepEqual(
      selectInstancePairs(plain, { onlyPairs: ["line3", "line1"] }).pairs.map((p) => p.name),
      ["line1", "line3"],
    );
    assert.equal(selectInstancePairs(plain), plain, "no selection: the configuration as it is");
    assert.throws(
      () => selectInstancePairs(plain, { onlyPairs: ["nope"] }),
      /no pair "nope" in the configuration/,
    );
    assert.throws(() => selectInstancePairs(plain, { name: "gw-a" }), /--instance needs a redundantSet/);
  });
});

const server = (state: ServerStatus["state"], serviceLevel: number | null = 255): ServerStatus => ({
  url: "opc.tcp://x:1",
  name: "x",
  state,
  role: "full",
  active: false,
  serverState: state === "connected" ? "Running" : null,
  serviceLevel,
  lastError: null,
  lastErrorAt: null,
  lastErrorCurrent: false,
  publishingIntervalMs: 100,
  clock: { offsetMs: null, rttMs: null, steps: 0, lastStep: null, timeRegressions: 0 },
  monitoredItems: 0,
  recovery: {} as ServerStatus["recovery"],
  monitors: [],
});
const pair = (servers: ServerStatus[], activeIndex: number | null): PairStatus => ({
  name: "line1",
  mode: "hot",
  state: activeIndex === null ? "allLost" : "active",
  active: activeIndex === null ? null : servers[activeIndex]!.url,
  activeIndex,
  failovers: 0,
  lastFailover: null,
  hotBufferOverflows: 0,
  monitoredItems: 0,
  monitorsFailingEverywhere: false,
  servers,
});

describe("instance ServiceLevel", () => {
  const healthy = pair([server("connected"), server("connected")], 0);
  it("is Maintenance while starting or shutting down, whatever the upstream", () => {
    assert.equal(instanceServiceLevel("starting", healthy, 0), 0);
    assert.equal(instanceServiceLevel("stopping", healthy, 0), 0);
  });
  it("is NoData when every upstream is lost or the active one has no data", () => {
    assert.equal(instanceServiceLevel("running", pair([server("lost"), server("lost")], null), 0), 1);
    assert.equal(instanceServiceLevel("running", pair([server("connected", 1), server("lost")], 0), 0), 1);
  });
  it("ranks by upstream redundancy left, then by preference, within the active upstream's sub-range", () => {
    const primary = instanceServiceLevel("running", healthy, 0);
    const secondary = instanceServiceLevel("running", healthy, 1);
    const primaryOneLost = instanceServiceLevel("running", pair([server("connected"), server("lost")], 0), 0);
    assert.deepEqual([primary, secondary, primaryOneLost], [255, 254, 245]);
    assert.ok(secondary > primaryOneLost, "the instance that still has both upstreams ranks first");
    const many = pair([server("connected", 205), ...Array.from({ length: 4 }, () => server("lost"))], 0);
    assert.equal(instanceServiceLevel("running", many, 3), 200, "Healthy stays Healthy");
    const degraded = pair([server("connected", 12), server("lost")], 0);
    assert.equal(instanceServiceLevel("running", degraded, 5), 2, "Degraded stays Degraded");
  });
});
