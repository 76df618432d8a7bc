/** Unit tests of the HTTP side's pure parts: config, auth, reload plan, event log adapter, log format. */
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseGatewayConfig, parsePairConfig } from "../../src/config/load.ts";
import { planReload } from "../../src/gateway/reload-plan.ts";
import { authorize, resolveToken } from "../../src/http/auth.ts";
import { formatLogLine } from "../../src/log-pretty.ts";
import { assertIssue, gatewayPair, issuesOf } from "../helpers/config-issues.ts";

const TOKEN = "0123456789abcdef-token";
const withHttp =
  (http: unknown, extra: Record<string, unknown> = {}) =>
  () =>
    parseGatewayConfig({ pairs: [gatewayPair("line1", 4841)], http, ...extra });

describe("http configuration", () => {
  it("defaults: loopback, no auth, no TLS, shutdown delay 3 s", () => {
    const config = withHttp({ port: 8080 })();
    assert.deepEqual(config.http, { port: 8080, host: "127.0.0.1" });
    assert.deepEqual(config.shutdown, { delayMs: 3000 });
  });
  it("auth needs exactly one token source", () => {
    assertIssue(
      issuesOf(withHttp({ port: 8080, auth: {} })),
      "http.auth",
      /exactly one of token, tokenEnv, tokenFile, got 0/,
    );
    assertIssue(
      issuesOf(withHttp({ port: 8080, auth: { token: TOKEN, tokenEnv: "X" } })),
      "http.auth",
      /exactly one .* got 2/,
    );
    assertIssue(
      issuesOf(withHttp({ port: 8080, auth: { token: "short" } })),
      "http.auth.token",
      /at least 16/,
    );
    assert.equal(withHttp({ port: 8080, auth: { tokenEnv: "GW_TOKEN" } })().http?.auth?.tokenEnv, "GW_TOKEN");
  });
  it("a short token is never echoed in the problem", () => {
    const issues = issuesOf(withHttp({ port: 8080, auth: { token: "secret-value" } }));
    assert.ok(
      issues.every((line) => !line.includes("secret-value")),
      issues.join("\n"),
    );
  });
  it("TLS needs certFile and keyFile; unknown keys and bad delays are reported with their path", () => {
    assertIssue(issuesOf(withHttp({ port: 8080, tls: { certFile: "c.pem" } })), "http.tls.keyFile", /./);
    assertIssue(issuesOf(withHttp({ port: 8080, bogus: 1 })), "http.bogus", /unknown key/);
    assertIssue(issuesOf(withHttp({ port: 70000 })), "http.port", /from 1 to 65535, got 70000/);
    assertIssue(
      issuesOf(withHttp({ port: 8080 }, { shutdown: { delayMs: -1 } })),
      "shutdown.delayMs",
      /got -1/,
    );
  });
});

describe("resolveToken and authorize", () => {
  it("reads the token from the configuration, an environment variable or a file", async () => {
    assert.equal(await resolveToken(undefined), null);
    assert.equal(await resolveToken({ token: TOKEN }), TOKEN);
    process.env.HTTP_SIDE_TEST_TOKEN = TOKEN;
    assert.equal(await resolveToken({ tokenEnv: "HTTP_SIDE_TEST_TOKEN" }), TOKEN);
    await assert.rejects(resolveToken({ tokenEnv: "HTTP_SIDE_TEST_UNSET" }), { code: "ERR_CONFIG_INVALID" });
    const file = join(await mkdtemp(join(tmpdir(), "token-")), "token");
    await writeFile(file, `  ${TOKEN}\n`);
    assert.equal(await resolveToken({ tokenFile: file }), TOKEN);
    await assert.rejects(resolveToken({ tokenFile: `${file}.missing` }), { code: "ERR_CONFIG_UNREADABLE" });
  });
  it("Bearer or Basic (password = token); wrong, missing or unconfigured are told apart", () => {
    const request = (authorization?: string) =>
      ({ headers: { authorization } }) as unknown as IncomingMessage;
    const basic = (user: string, password: string) =>
      `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
    assert.equal(authorize(request(`Bearer ${TOKEN}`), TOKEN), "ok");
    assert.equal(authorize(request(basic("operator", TOKEN)), TOKEN), "ok");
    assert.equal(authorize(request(`Bearer ${TOKEN}x`), TOKEN), "denied");
    assert.equal(authorize(request(basic(TOKEN, "x")), TOKEN), "denied");
    assert.equal(authorize(request(), TOKEN), "missing");
    assert.equal(authorize(request("Digest abc"), TOKEN), "missing");
    assert.equal(authorize(request(`Bearer ${TOKEN}`), null), "disabled");
  });
});

describe("planReload", () => {
  const pair = (name: string, port: number, url: string, extra: Record<string, unknown> = {}) =>
    parsePairConfig({ name, listen: { port }, servers: [{ url }], ...extra });
  it("matches pairs by name: added, removed, reconfigured, restarted (other endpoint), unchanged", () => {
    const running = [
      pair("a", 4841, "opc.tcp://h:1"),
      pair("b", 4842, "opc.tcp://h:2"),
      pair("c", 4843, "opc.tcp://h:3"),
      pair("d", 4844, "opc.tcp://h:4"),
    ];
    const next = [
      pair("a", 4841, "opc.tcp://h:1"),
      pair("b", 4842, "opc.tcp://other:2"),
      pair("c", 4853, "opc.tcp://h:3"),
      pair("e", 4845, "opc.tcp://h:5"),
    ];
    const plan = planReload(running, next);
    assert.deepEqual(plan.unchanged, ["a"]);
    assert.deepEqual(
      plan.reconfigure.map((p) => p.name),
      ["b"],
    );
    assert.deepEqual(
      plan.restart.map((p) => p.name),
      ["c"],
    );
    assert.deepEqual(
      plan.add.map((p) => p.name),
      ["e"],
    );
    assert.deepEqual(plan.remove, ["d"]);
  });
  it("another setting than the servers (mode) also reconfigures", () => {
    const plan = planReload(
      [pair("a", 1, "opc.tcp://h:1")],
      [pair("a", 1, "opc.tcp://h:1", { mode: "warm" })],
    );
    assert.deepEqual(
      plan.reconfigure.map((p) => p.name),
      ["a"],
    );
  });
});

describe("formatLogLine", () => {
  it("shows time, level, pair, message and the other fields", () => {
    const line = JSON.stringify({
      level: 40,
      time: Date.UTC(2026, 0, 1, 12, 0, 1, 234),
      pid: 1,
      hostname: "h",
      name: "opcua-redundancy",
      pair: "line1",
      msg: "pair state",
      from: "active",
      to: "allLost",
    });
    assert.equal(
      formatLogLine(line, false),
      "12:00:01.234 WARN  [line1] pair state from=active to=allLost\n",
    );
    assert.equal(formatLogLine("not json", false), "not json");
  });
});
