/**
 * The HTTP API against a running gateway (real simulators, real downstream client): status,
 * readiness, events with filters, authenticated operator failover, and Prometheus metrics.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { EVENT_KINDS } from "../../src/diagnostics/event.ts";
import {
  connectDownstream,
  type Downstream,
  type GatewayRig,
  startGatewayRig,
} from "../helpers/gateway-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor, waitForAsync } from "../helpers/wait.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked field by field by the assertions
type Json = any;

const TOKEN = "test-token-0123456789abcdef";
let rig: GatewayRig;
let base: string;
let downstream: Downstream;

before(async () => {
  rig = await startGatewayRig({ pairs: [{ mode: "hot" }], http: { auth: { token: TOKEN } } });
  base = rig.gateway.httpUrl!;
  downstream = await connectDownstream(rig.endpoints[0]!);
});

after(async () => {
  await downstream?.close();
  await rig?.dispose();
});

async function get(path: string): Promise<{ status: number; body: Json; text: string; type: string | null }> {
  const response = await fetch(`${base}${path}`);
  const text = await response.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, body, text, type: response.headers.get("content-type") };
}

function post(path: string, body: unknown, authorization?: string) {
  return fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(body),
  });
}

const opts = { timeout: INTEGRATION_TEST_TIMEOUT_MS };

test("GET /health, /ready and /api/status answer with the running pair", opts, async () => {
  assert.deepEqual((await get("/health")).body, { status: "ok" });
  const ready = await get("/ready");
  assert.equal(ready.status, 200);
  assert.equal(ready.body.ready, true);
  const status = await get("/api/status");
  assert.equal(status.status, 200);
  const [pair] = status.body.pairs;
  assert.equal(pair.name, "pair1");
  assert.equal(pair.mode, "hot");
  assert.equal(pair.active, rig.proxies[0]!.url);
  assert.equal(pair.addressSpace, "mirrored");
  assert.equal(pair.servers.length, 2);
  assert.deepEqual(Object.keys(pair.servers[0]).sort(), [
    "active",
    "clock",
    "lastError",
    "lastErrorAt",
    "lastErrorCurrent",
    "monitoredItems",
    "name",
    "publishingIntervalMs",
    "role",
    "serverState",
    "serviceLevel",
    "state",
    "url",
  ]);
  assert.equal(pair.servers[0].serverState, "Running");
  assert.equal(typeof pair.servers[0].serviceLevel, "number");
  // the server's clock against the gateway's (same host: near 0), from the status query
  await waitForAsync(
    async () => {
      const server = (await get("/api/status")).body.pairs[0].servers[0];
      return (
        server.clock.offsetMs !== null && Math.abs(server.clock.offsetMs) < 1000 && server.clock.steps === 0
      );
    },
    10_000,
    "the primary's clock offset in /api/status",
  );
  assert.deepEqual(status.body.storage, [], "every write to the data directory works");
  assert.ok(!status.text.includes(TOKEN));
});

test("POST /api/pairs/{name}/failover needs the token; Bearer and Basic both work", opts, async () => {
  const secondary = rig.proxies[1]!.url;
  const primary = rig.proxies[0]!.url;
  const missing = await post("/api/pairs/pair1/failover", {});
  assert.equal(missing.status, 401);
  assert.match(missing.headers.get("www-authenticate") ?? "", /Bearer/);
  const wrong = await post("/api/pairs/pair1/failover", {}, "Bearer wrong-token-wrong-token");
  assert.equal(wrong.status, 401);
  assert.equal(rig.gateway.pairs[0]!.status().activeIndex, 0, "nothing switched without the token");

  const ok = await post("/api/pairs/pair1/failover", {}, `Bearer ${TOKEN}`);
  assert.equal(ok.status, 200, await ok.clone().text());
  assert.equal(((await ok.json()) as Json).pair.active, secondary);
  assert.equal(rig.gateway.pairs[0]!.status().active, secondary);

  const basic = `Basic ${Buffer.from(`operator:${TOKEN}`).toString("base64")}`;
  await waitForAsync(
    async () => (await post("/api/pairs/pair1/failover", { to: primary }, basic)).status === 200,
    10_000,
    "return to the primary (after the minimum dwell)",
  );
  assert.equal(rig.gateway.pairs[0]!.status().active, primary);

  assert.equal((await post("/api/pairs/nope/failover", {}, `Bearer ${TOKEN}`)).status, 404);
  assert.equal(
    (await post("/api/pairs/pair1/failover", { to: "opc.tcp://elsewhere:1" }, `Bearer ${TOKEN}`)).status,
    400,
  );
  assert.equal((await post("/api/pairs/pair1/failover", { to: 5 }, `Bearer ${TOKEN}`)).status, 400);
  const notJson = await fetch(`${base}/api/pairs/pair1/failover`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}` },
    body: "{",
  });
  assert.equal(notJson.status, 400);
  assert.equal((await fetch(`${base}/api/pairs/pair1/failover`)).status, 405);
});

test("GET /api/events filters by pair, server and kind", opts, async () => {
  const failovers = await get("/api/events?pair=pair1&kind=failover");
  assert.equal(failovers.status, 200);
  assert.ok(failovers.body.events.length >= 2, JSON.stringify(failovers.body));
  for (const event of failovers.body.events) {
    assert.equal(event.kind, "failover");
    assert.equal(event.pair, "pair1");
    assert.equal(typeof event.seq, "number");
    assert.ok(!Number.isNaN(Date.parse(event.at)));
    assert.equal(typeof event.message, "string");
  }
  const manual = failovers.body.events.at(-1);
  assert.equal(manual.details.reason, "manual");
  const server = manual.server as string;
  const byServer = await get(`/api/events?server=${encodeURIComponent(server)}`);
  assert.ok(byServer.body.events.length > 0);
  assert.ok(byServer.body.events.every((e: { server: string }) => e.server === server));
  const seqs = (await get("/api/events")).body.events.map((e: { seq: number }) => e.seq);
  assert.deepEqual(
    seqs,
    [...seqs].sort((a: number, b: number) => a - b),
    "oldest first",
  );
  const last = seqs.at(-1);
  assert.deepEqual((await get(`/api/events?after=${last}`)).body.events, []);
  assert.deepEqual((await get("/api/events?pair=other")).body.events, []);
  assert.equal((await get("/api/events?kind=bogus")).status, 400);
  // the page's kind filter gets the one list of kinds from here
  assert.deepEqual(failovers.body.kinds, [...EVENT_KINDS]);
});

test(
  "GET /metrics: failovers by reason, active server, link state, ServiceLevel, values, durations, sessions",
  opts,
  async () => {
    const recorder = await downstream.record("ns=1;s=Counter");
    await waitFor(() => recorder.values.length > 5, 10_000, "Counter values downstream");
    // An unplanned failover: the primary dies, its outage duration goes into the histogram.
    await rig.sims[0]!.kill();
    await waitFor(
      () => rig.gateway.pairs[0]!.status().activeIndex === 1,
      15_000,
      "failover to the secondary",
    );
    const metrics = await get("/metrics");
    assert.equal(metrics.status, 200);
    assert.match(metrics.type ?? "", /text\/plain/);
    const text = metrics.text;
    const value = (pattern: RegExp) => {
      const match = text.match(pattern);
      assert.ok(match, `${pattern} in\n${text}`);
      return Number(match[1]);
    };
    assert.equal(value(/opcua_redundancy_failovers_total\{pair="pair1",reason="manual"\} (\d+)/), 2);
    assert.equal(value(/opcua_redundancy_failovers_total\{pair="pair1",reason="commLost"\} (\d+)/), 1);
    const secondaryName = rig.gateway.pairs[0]!.status().servers[1]!.name;
    const primaryName = rig.gateway.pairs[0]!.status().servers[0]!.name;
    assert.equal(
      value(
        new RegExp(`opcua_redundancy_active_server\\{pair="pair1",server="${secondaryName}",[^}]*\\} (\\d)`),
      ),
      1,
    );
    assert.equal(
      value(
        new RegExp(`opcua_redundancy_active_server\\{pair="pair1",server="${primaryName}",[^}]*\\} (\\d)`),
      ),
      0,
    );
    assert.equal(
      value(
        new RegExp(
          `opcua_redundancy_link_state\\{pair="pair1",server="${secondaryName}",state="connected"\\} (\\d)`,
        ),
      ),
      1,
    );
    assert.ok(
      value(new RegExp(`opcua_redundancy_service_level\\{pair="pair1",server="${secondaryName}"\\} (\\d+)`)) >
        0,
    );
    assert.ok(value(/opcua_redundancy_values_forwarded_total\{pair="pair1"\} (\d+)/) >= 5);
    assert.equal(value(/opcua_redundancy_failover_duration_seconds_count\{pair="pair1"\} (\d+)/), 1);
    assert.equal(value(/opcua_redundancy_downstream_sessions\{pair="pair1"\} (\d+)/), 1);
    assert.equal(
      value(/opcua_redundancy_hot_buffer_overflows\{pair="pair1"\} (\d+)/),
      rig.gateway.pairs[0]!.status().hotBufferOverflows,
    );
  },
);

test("GET /ready answers 503 while a pair has no active server", opts, async () => {
  await rig.sims[1]!.kill();
  await waitFor(() => rig.gateway.pairs[0]!.status().active === null, 15_000, "every server lost");
  const ready = await get("/ready");
  assert.equal(ready.status, 503);
  assert.deepEqual(ready.body, { ready: false, waiting: ["pair1"] });
  await rig.sims[1]!.restart();
  await waitForAsync(async () => (await get("/ready")).status === 200, 20_000, "ready again");
});
