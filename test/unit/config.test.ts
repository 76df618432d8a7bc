import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ConfigError,
  loadConfigFile,
  parseConfigText,
  parseGatewayConfig,
  parsePairConfig,
} from "../../src/config/load.ts";
import { assertIssue, gatewayPair, issuesOf, minimalPair, root } from "../helpers/config-issues.ts";

describe("config: defaults", () => {
  it("applies every default to a minimal pair", () => {
    const pair = parsePairConfig(minimalPair);
    assert.equal(pair.mode, "hot");
    assert.equal(pair.listen, undefined);
    assert.deepEqual(pair.statusQuery, { intervalMs: 500, timeoutMs: 1000 });
    assert.deepEqual(pair.failback, { policy: "auto", holdMs: 5000 });
    assert.equal(pair.minDwellMs, 1000);
    assert.deepEqual(pair.serviceLevel, { minimum: 0 });
    assert.deepEqual(pair.monitors, []);
    assert.equal(pair.failureCount, 1);
    assert.deepEqual(pair.subscription, {
      publishingIntervalMs: 100,
      keepAliveCount: 10,
      lifetimeCount: 300,
      queueSize: 1000,
      samplingIntervalMs: 0,
    });
    assert.deepEqual(pair.session, { timeoutMs: 60000 });
    assert.deepEqual(pair.reconnect, { initialDelayMs: 100, maxDelayMs: 2000 });
    assert.deepEqual(pair.hot, { bufferSize: 1000, itemSelection: "bestQuality", items: [] });
    assert.deepEqual(pair.ordering, { maxRegressionMs: 5000, clockStepMs: 1000 });
    assert.equal(pair.servers[0]?.name, "127.0.0.1:48401");
  });

  it("fills the defaults of partly given objects and of the gateway", () => {
    const config = parseGatewayConfig({
      pairs: [{ ...gatewayPair("a", 4841), statusQuery: { intervalMs: 200 } }],
      http: { port: 8080 },
      diagnostics: {},
    });
    const pair = config.pairs[0]!;
    assert.deepEqual(pair.statusQuery, { intervalMs: 200, timeoutMs: 1000 });
    assert.deepEqual(pair.listen, { port: 4841, host: "0.0.0.0" });
    assert.deepEqual(config.http, { port: 8080, host: "127.0.0.1" });
    assert.deepEqual(config.diagnostics, { maxEvents: 10000 });
    assert.equal(config.logLevel, "info");
  });

  it("deep-freezes the result", () => {
    const config = parseGatewayConfig({
      pairs: [{ ...gatewayPair("a", 4841), monitors: [{ nodeId: "i=2258", badQuality: true }] }],
    });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.pairs));
    assert.ok(Object.isFrozen(config.pairs[0]!.servers[0]));
    assert.ok(Object.isFrozen(config.pairs[0]!.monitors[0]));
    assert.throws(() => {
      (config.pairs[0]!.statusQuery as { intervalMs: number }).intervalMs = 1;
    }, TypeError);
  });
});

describe("config: examples", () => {
  it("parses the DESIGN §6 example", () => {
    const text = `
pairs:
  - name: line1
    listen: { port: 4841 }
    mode: hot
    servers:
      - url: opc.tcp://127.0.0.1:48401
      - url: opc.tcp://127.0.0.1:48402
    statusQuery: { intervalMs: 500, timeoutMs: 1000 }
    failback: { policy: auto, holdMs: 5000 }
    monitors:
      - { nodeId: "ns=2;s=Line1.Heartbeat", noChangeMs: 5000 }
      - { nodeId: "ns=2;s=Line1.LinkOk", value: { op: "==", value: false } }
      - { nodeId: "ns=2;s=Line1.Temp", badQuality: true }
    failureCount: 1
http: { port: 8080 }
diagnostics: { file: ./data/events.jsonl, maxEvents: 10000 }
notifications:
  smtp: [{ host: smtp1.example.com }, { host: smtp2.example.com, port: 465, secure: true }]
  from: gateway@example.com
  recipients: [{ address: oncall@example.com, kinds: [failover, allLost] }]
`;
    const config = parseConfigText(text, "design.yaml");
    assert.equal(config.pairs.length, 1);
    assert.equal(config.pairs[0]!.servers.length, 2);
    assert.deepEqual(config.pairs[0]!.monitors[1], {
      nodeId: "ns=2;s=Line1.LinkOk",
      value: { op: "==", value: false },
    });
    assert.equal(config.diagnostics?.file, "./data/events.jsonl");
    assert.equal(config.notifications?.smtp[0]?.host, "smtp1.example.com");
    assert.equal(config.notifications?.digest.maxPerWindow, 5);
  });

  it("loads examples/gateway.yaml", async () => {
    const config = await loadConfigFile(`${root}examples/gateway.yaml`);
    assert.deepEqual(
      config.pairs.map((p) => [p.name, p.mode, p.listen?.port]),
      [
        ["line1", "hot", 4841],
        ["line2", "warm", 4842],
      ],
    );
  });

  it("accepts JSON", () => {
    const config = parseConfigText(JSON.stringify({ pairs: [gatewayPair("a", 4841)] }), "config.json");
    assert.equal(config.pairs[0]!.name, "a");
  });
});

describe("config: problems are reported with their paths", () => {
  it("reports several wrong fields at once", () => {
    const issues = issuesOf(() =>
      parseGatewayConfig({
        pairs: [
          {
            ...gatewayPair("line 1", 4841),
            mode: "lukewarm",
            servers: [{ url: "http://host:1" }],
            statusQuery: { intervalMs: 20, timeoutMs: 1.5 },
            failback: { policy: "sometimes" },
            serviceLevel: { minimum: 256 },
            hot: { bufferSize: 0, itemSelection: "best" },
            ordering: { maxRegressionMs: 50, clockStepMs: "1s" },
          },
        ],
        http: { port: 70000 },
        logLevel: "verbose",
      }),
    );
    assertIssue(issues, "pairs[0].name", /"line 1"/);
    assertIssue(
      issues,
      "pairs[0].mode",
      /^pairs\[0\]\.mode: expected one of cold, warm, hot, got "lukewarm"$/,
    );
    assertIssue(issues, "pairs[0].servers[0].url", /expected opc\.tcp:\/\/host:port/);
    assertIssue(issues, "pairs[0].statusQuery.intervalMs", /integer >= 50 .*got 20/);
    assertIssue(issues, "pairs[0].statusQuery.timeoutMs", /integer .*got 1\.5/);
    assertIssue(issues, "pairs[0].failback.policy", /auto, manual.*"sometimes"/);
    assertIssue(issues, "pairs[0].serviceLevel.minimum", /0 to 255.*256/);
    assertIssue(issues, "pairs[0].hot.bufferSize", /1 to 100000.*got 0/);
    assertIssue(issues, "pairs[0].hot.itemSelection", /one of active, bestQuality, got "best"/);
    assertIssue(issues, "pairs[0].ordering.maxRegressionMs", />= 100.*got 50/);
    assertIssue(issues, "pairs[0].ordering.clockStepMs", /integer >= 100.*got "1s"/);
    assertIssue(issues, "http.port", /1 to 65535.*70000/);
    assertIssue(issues, "logLevel", /"verbose"/);
    assert.equal(issues.length, 13, issues.join("\n"));
  });

  it("lists every issue on its own line of the message, prefixed by the source", () => {
    try {
      parseConfigText("pairs: []\nlogLevel: loud\n", "plant.yaml");
      assert.fail("expected a ConfigError");
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.message.split("\n"), [
        "plant.yaml: pairs: expected at least 1 entry, got 0 entries",
        'plant.yaml: logLevel: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
      ]);
    }
  });

  it("reports missing required fields and a wrong document type", () => {
    assertIssue(
      issuesOf(() => parsePairConfig({ name: "a" })),
      "servers",
      /required/,
    );
    assertIssue(
      issuesOf(() => parseGatewayConfig({})),
      "pairs",
      /required/,
    );
    assertIssue(
      issuesOf(() => parseGatewayConfig([1])),
      "",
      /expected an object, got a list/,
    );
    assertIssue(
      issuesOf(() => parseConfigText("", "empty.yaml")),
      "",
      /empty/,
    );
  });

  it("rejects unknown keys, at every level", () => {
    const issues = issuesOf(() =>
      parseGatewayConfig({
        pairs: [{ ...gatewayPair("a", 4841), statusQuery: { intervalMS: 100 }, colour: "blue" }],
        extra: 1,
      }),
    );
    assertIssue(issues, "extra", /^extra: unknown key 'extra'/);
    assertIssue(issues, "pairs[0].colour", /unknown key 'colour'/);
    assertIssue(
      issues,
      "pairs[0].statusQuery.intervalMS",
      /unknown key 'intervalMS' \(did you mean 'intervalMs'\?\)/,
    );
  });

  it("reports YAML syntax errors with line and column", () => {
    const issues = issuesOf(() => parseConfigText("pairs:\n  - name: a\n    mode: [hot\n", "bad.yaml"));
    assert.ok(issues.length >= 1);
    assert.match(issues[0]!, /^: YAML syntax error at line \d+:\d+: /);
    const duplicate = issuesOf(() => parseConfigText("logLevel: info\nlogLevel: debug\n", "dup.yaml"));
    assert.match(duplicate[0]!, /line 2:1: .*unique/);
  });

  it("never echoes whole objects", () => {
    const issues = issuesOf(() =>
      parsePairConfig({
        ...minimalPair,
        mode: { password: "hunter2" },
        monitors: [{ nodeId: "i=1", value: { op: "==", value: { secret: "hunter2" } } }],
      }),
    );
    assert.ok(issues.length >= 2);
    for (const line of issues) assert.doesNotMatch(line, /hunter2/);
    assertIssue(issues, "mode", /got an object/);
  });
});

describe("config: loading files", () => {
  it("reports an unreadable file with its own code", async () => {
    await assert.rejects(loadConfigFile(`${root}examples/does-not-exist.yaml`), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.code, "ERR_CONFIG_UNREADABLE");
      assert.match(error.message, /does-not-exist\.yaml: .*ENOENT/);
      return true;
    });
  });
});
