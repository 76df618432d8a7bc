/**
 * Configuration reload without downtime (POST /api/reload, as `opcua-redundancy reload` and
 * SIGHUP do): a pair whose servers changed moves to the new machines and keeps its downstream
 * session and subscription; an added pair starts; a removed pair stops; untouched pairs are not
 * disturbed; an invalid file is rejected with its problems and the running configuration stays.
 */
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { AttributeIds } from "node-opcua";
import { stringify } from "yaml";
import { loadConfigFile } from "../../src/config/load.ts";
import { Gateway } from "../../src/gateway/gateway.ts";
import { silentLogger } from "../../src/log.ts";
import type { LinkStateChange } from "../../src/upstream/link.ts";
import { routeNodeOpcuaLogs } from "../../src/upstream/opcua-logs.ts";
import { connectDownstream, type Downstream } from "../helpers/gateway-rig.ts";
import { testStatusQuery } from "../helpers/pair-rig.ts";
import { freePort } from "../helpers/ports.ts";
import { type SimProcess, spawnSimulator } from "../helpers/sim-process.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

const TOKEN = "reload-test-token-0123456789";
const opts = { timeout: INTEGRATION_TEST_TIMEOUT_MS };
let sims: SimProcess[] = [];
let gateway: Gateway;
let file: string;
let httpPort: number;
const ports: Record<string, number> = {};
const downstreams: Downstream[] = [];

function pair(name: string, servers: SimProcess[]) {
  return {
    name,
    listen: { port: ports[name], host: "127.0.0.1" },
    mode: "hot",
    servers: servers.map((s) => ({ url: s.endpointUrl })),
    statusQuery: testStatusQuery,
    failback: { policy: "auto", holdMs: 1000 },
    minDwellMs: 500,
    // the test client connects without security
    security: { allowNone: true, anonymous: true },
  };
}

async function writeConfig(pairs: unknown[]): Promise<void> {
  const http = { port: httpPort, host: "127.0.0.1", auth: { token: TOKEN } };
  await writeFile(file, stringify({ pairs, http, shutdown: { delayMs: 0 } }));
}

async function reload(): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`http://127.0.0.1:${httpPort}/api/reload`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const named = (name: string) => gateway.pairs.find((p) => p.config.name === name);

before(async () => {
  routeNodeOpcuaLogs(silentLogger);
  sims = await Promise.all(
    Array.from({ length: 4 }, () => spawnSimulator({ tickMs: 20, sharedClock: true })),
  );
  for (const name of ["pair1", "pair2", "pair3"]) ports[name] = await freePort();
  httpPort = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "reload-test-"));
  file = join(dir, "gateway.yaml");
  await writeConfig([pair("pair1", [sims[0]!, sims[1]!]), pair("pair2", [sims[2]!, sims[3]!])]);
  gateway = new Gateway({
    config: await loadConfigFile(file),
    logger: silentLogger,
    dataDir: dir,
    configFile: file,
  });
  await gateway.start();
  await waitFor(
    () => gateway.pairs.every((p) => p.status().activeIndex === 0 && p.mirrored),
    30_000,
    "both pairs active on their primary and mirrored",
  );
});

after(async () => {
  for (const d of downstreams) await d.close().catch(() => undefined);
  await gateway?.stop();
  await Promise.all(sims.map((s) => s.dispose()));
});

test(
  "servers changed: the pair moves to the new machines, its downstream session and subscription go on; the other pair is not disturbed",
  opts,
  async () => {
    const d1 = await connectDownstream(named("pair1")!.endpointUrl);
    const d2 = await connectDownstream(named("pair2")!.endpointUrl);
    downstreams.push(d1, d2);
    let lost = 0;
    d1.client.on("connection_lost", () => lost++);
    d2.client.on("connection_lost", () => lost++);
    const r1 = await d1.record("ns=1;s=Counter");
    const r2 = await d2.record("ns=1;s=Counter");
    await r1.waitForMore(10, 10_000);
    await r2.waitForMore(10, 10_000);
    const pair2 = named("pair2")!;
    const pair2Links: LinkStateChange[] = [];
    pair2.client.on("linkStateChanged", (change) => pair2Links.push(change));
    const pair1Server = named("pair1")!;

    // pair1 moves from sims 0 and 1 to sims 2 and 3 (the machines pair2 also reads).
    await writeConfig([pair("pair1", [sims[2]!, sims[3]!]), pair("pair2", [sims[2]!, sims[3]!])]);
    const reloadStarted = Date.now();
    const answer = await reload();
    process.stdout.write(`# reload with new servers took ${Date.now() - reloadStarted} ms\n`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body, {
      ok: true,
      added: [],
      removed: [],
      reconfigured: ["pair1"],
      unchanged: ["pair2"],
    });
    const status = named("pair1")!.status();
    assert.deepEqual(
      status.servers.map((s) => s.url),
      [sims[2]!.endpointUrl, sims[3]!.endpointUrl],
    );
    assert.equal(status.active, sims[2]!.endpointUrl);
    assert.equal(named("pair1"), pair1Server, "same pair server: the endpoint stayed");

    // The downstream subscription goes on with values from the new servers, without reconnecting.
    const afterReload = r1.count;
    await r1.waitForMore(20, 10_000, "Counter values after the reload");
    const report = r1.report(afterReload);
    assert.equal(report.regressions, 0);
    assert.equal(report.duplicates, 0);
    assert.deepEqual(r1.bad, []);
    const [counter] = await d1.session.read([{ nodeId: "ns=1;s=Counter", attributeId: AttributeIds.Value }]);
    assert.equal(counter!.statusCode.name, "Good");
    process.stdout.write(`# values missed across the server change: ${r1.report().lost}\n`);
    assert.equal(r1.report().lost, 0, "no value lost across the server change (the servers share one clock)");

    // pair2 untouched.
    assert.deepEqual(pair2Links, []);
    assert.equal(named("pair2"), pair2);
    assert.equal(r2.report().lost, 0);
    assert.deepEqual(r2.bad, []);
    assert.equal(lost, 0, "no downstream client lost its connection");
  },
);

test("pair added: it starts on its own endpoint; pair removed: its endpoint closes", opts, async () => {
  const pairs = [pair("pair1", [sims[2]!, sims[3]!]), pair("pair2", [sims[2]!, sims[3]!])];
  await writeConfig([...pairs, pair("pair3", [sims[0]!, sims[1]!])]);
  const added = await reload();
  assert.equal(added.status, 200, JSON.stringify(added.body));
  assert.deepEqual(added.body.added, ["pair3"]);
  assert.deepEqual(added.body.unchanged, ["pair1", "pair2"]);
  const pair3 = named("pair3")!;
  await waitFor(
    () => pair3.status().activeIndex === 0 && pair3.mirrored,
    30_000,
    "pair3 active and mirrored",
  );
  const d3 = await connectDownstream(pair3.endpointUrl);
  const [counter] = await d3.session.read([{ nodeId: "ns=1;s=Counter", attributeId: AttributeIds.Value }]);
  assert.equal(counter!.statusCode.name, "Good");
  await d3.close();
  const status = (await (await fetch(`http://127.0.0.1:${httpPort}/api/status`)).json()) as {
    pairs: { name: string }[];
  };
  assert.deepEqual(
    status.pairs.map((p) => p.name),
    ["pair1", "pair2", "pair3"],
  );

  await writeConfig(pairs);
  const removed = await reload();
  assert.equal(removed.status, 200, JSON.stringify(removed.body));
  assert.deepEqual(removed.body.removed, ["pair3"]);
  assert.equal(named("pair3"), undefined);
  assert.equal(pair3.status().state, "stopped");
  const refused = await new Promise<boolean>((resolve) => {
    const socket = connect(ports.pair3!, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
  assert.ok(refused, "the removed pair's port is closed");
});

test("invalid file: rejected with its problems, the running configuration stays", opts, async () => {
  const before = gateway.pairs.slice();
  const running = gateway.config;
  await writeFile(
    file,
    "pairs:\n  - name: pair1\n    listen: { port: 70000 }\n    servers: []\n    bogus: 1\n",
  );
  const answer = await reload();
  assert.equal(answer.status, 422);
  assert.equal(answer.body.code, "ERR_CONFIG_INVALID");
  const issues = answer.body.issues as { path: string; message: string }[];
  const paths = issues.map((i) => i.path);
  for (const path of ["pairs[0].listen.port", "pairs[0].servers", "pairs[0].bogus"])
    assert.ok(paths.includes(path), `${path} in ${paths.join(", ")}`);
  assert.equal(gateway.config, running);
  assert.deepEqual(gateway.pairs, before);
  assert.ok(gateway.pairs.every((p) => p.status().state === "active"));
  const events = (await (await fetch(`http://127.0.0.1:${httpPort}/api/events?kind=config`)).json()) as {
    events: { message: string }[];
  };
  assert.match(events.events.at(-1)!.message, /rejected/);

  const unauthenticated = await fetch(`http://127.0.0.1:${httpPort}/api/reload`, { method: "POST" });
  assert.equal(unauthenticated.status, 401);
});
