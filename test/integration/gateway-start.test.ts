/** Starting the gateway: from the address-space cache with every upstream down, and as a CLI service. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { AttributeIds } from "node-opcua";
import { parseGatewayConfig } from "../../src/config/load.ts";
import { Gateway } from "../../src/gateway/gateway.ts";
import type { AddressSnapshot } from "../../src/gateway/snapshot.ts";
import { silentLogger } from "../../src/log.ts";
import { connectDownstream, startGatewayRig } from "../helpers/gateway-rig.ts";
import { testStatusQuery } from "../helpers/pair-rig.ts";
import { freePort } from "../helpers/ports.ts";
import { type SimProcess, spawnSimulator } from "../helpers/sim-process.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor, waitForAsync } from "../helpers/wait.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

test("started while every upstream is down: the cached address space is served, values come when a server does", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  // A first run fills the cache.
  const first = await startGatewayRig({ pairs: [{ mode: "warm" }] });
  const dataDir = first.dataDir;
  await first.dispose();
  // The upstream has gained a device since the cache was written: it must appear once a server answers.
  const cacheFile = join(dataDir, "address-space", "pair1.json");
  const cache = JSON.parse(await readFile(cacheFile, "utf8")) as AddressSnapshot;
  cache.nodes = cache.nodes.filter((n) => !n.nodeId.includes("Pump1"));
  cache.references = [];
  await writeFile(cacheFile, JSON.stringify(cache));

  const ports = [await freePort(), await freePort()];
  const config = parseGatewayConfig({
    pairs: [
      {
        name: "pair1",
        listen: { port: await freePort(), host: "127.0.0.1" },
        mode: "warm",
        servers: ports.map((port) => ({ url: `opc.tcp://127.0.0.1:${port}` })),
        statusQuery: testStatusQuery,
        reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
        security: { allowNone: true, anonymous: true },
      },
    ],
  });
  const gateway = new Gateway({ config, logger: silentLogger, dataDir });
  const sims: SimProcess[] = [];
  await gateway.start();
  const downstream = await connectDownstream(gateway.pairs[0]!.endpointUrl);
  try {
    assert.equal(gateway.pairs[0]!.mirrored, true, "mirrored from the cache");
    const objects = (await downstream.session.browse("i=85")).references!.map((r) => r.browseName.name);
    assert.ok(objects.includes("Simulation"), objects.join(", "));
    await waitFor(() => gateway.pairs[0]!.status().state === "allLost", 10_000, "every server lost");
    const [counter, serviceLevel] = await downstream.session.read([
      { nodeId: "ns=1;s=Counter", attributeId: AttributeIds.Value },
      { nodeId: "i=2267", attributeId: AttributeIds.Value },
    ]);
    assert.equal(counter!.statusCode.name, "BadServerNotConnected");
    assert.equal(serviceLevel!.value.value, 1);
    const recorder = await downstream.record("ns=1;s=Counter");
    await waitFor(() => recorder.bad.length > 0, 5000, "a Bad value for the monitored item");

    assert.equal(
      (await downstream.session.read({ nodeId: "ns=1;s=Pump1.Speed", attributeId: AttributeIds.Value }))
        .statusCode.name,
      "BadNodeIdUnknown",
      "not in the cache",
    );
    sims.push(await spawnSimulator({ port: ports[0], tickMs: 20, sharedClock: true }));
    await recorder.waitForMore(10, 20_000, "values once the primary is up");
    const level = await downstream.session.read({ nodeId: "i=2267", attributeId: AttributeIds.Value });
    assert.equal(level.value.value, 255);
    const speed = await waitForAsync(
      async () => {
        const dv = await downstream.session.read({
          nodeId: "ns=1;s=Pump1.Speed",
          attributeId: AttributeIds.Value,
        });
        return dv.statusCode.isGood() ? dv : undefined;
      },
      20_000,
      "the node the upstream gained, served once the upstream's address space is read",
    );
    assert.equal(speed.value.value, 1450.5);
  } finally {
    await downstream.close();
    await gateway.stop();
    await Promise.all(sims.map((s) => s.dispose()));
  }
});

test("opcua-redundancy start: serves the pair, /health and /api/status, stops on SIGTERM", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  const sims = await Promise.all([spawnSimulator({ tickMs: 50 }), spawnSimulator({ tickMs: 50 })]);
  const dir = await mkdtemp(join(tmpdir(), "gateway-cli-"));
  const [opcPort, httpPort] = [await freePort(), await freePort()];
  const file = join(dir, "gateway.yaml");
  await writeFile(
    file,
    [
      "pairs:",
      "  - name: line1",
      `    listen: { port: ${opcPort}, host: 127.0.0.1 }`,
      "    mode: hot",
      "    security: { allowNone: true, anonymous: true }",
      "    servers:",
      ...sims.map((s) => `      - url: ${s.endpointUrl}`),
      `http: { port: ${httpPort}, host: 127.0.0.1 }`,
      "logLevel: warn",
    ].join("\n"),
  );
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "src/cli/main.ts", "start", "--config", file, "--data-dir", dir],
    {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  try {
    const base = `http://127.0.0.1:${httpPort}`;
    const health = await waitForAsync(
      async () => (await fetch(`${base}/health`).catch(() => undefined))?.ok,
      30_000,
      "/health",
    );
    assert.equal(health, true);
    const status = await waitForAsync(
      async () => {
        const body = (await (await fetch(`${base}/api/status`)).json()) as {
          pairs: {
            active: string | null;
            failovers: number;
            lastFailover: unknown;
            addressSpace: string;
            pairCheck: unknown;
            monitoredItems: number;
            servers: {
              state: string;
              monitoredItems: number;
              clock: { offsetMs: number | null; rttMs: number | null };
            }[];
          }[];
        };
        const pair = body.pairs[0];
        // On a loaded machine the secondary may answer first: the primary returns after holdMs.
        const onPrimary = pair?.active === sims[0]!.endpointUrl;
        const ready = pair?.addressSpace === "mirrored" && pair.servers.every((s) => s.state === "connected");
        return onPrimary && ready ? body : undefined;
      },
      30_000,
      "the primary active, the address space mirrored and both servers connected in /api/status",
    );
    assert.ok(status.pairs[0]!.failovers <= 1, "at most the return from a secondary that answered first");
    assert.deepEqual(status, {
      pairs: [
        {
          name: "line1",
          mode: "hot",
          state: "active",
          active: sims[0]!.endpointUrl,
          activeIndex: 0,
          // 0, or 1 when the pair started on the secondary and returned to the primary
          failovers: status.pairs[0]!.failovers,
          lastFailover: status.pairs[0]!.lastFailover,
          addressSpace: "mirrored",
          serviceLevel: 255,
          phase: "running",
          monitoredItems: status.pairs[0]!.monitoredItems,
          hotBufferOverflows: 0,
          // null until the background pair check has run, then its result (pair-check-gateway.test.ts)
          pairCheck: status.pairs[0]!.pairCheck,
          servers: sims.map((s, i) => ({
            url: s.endpointUrl,
            name: `127.0.0.1:${s.port}`,
            state: "connected",
            role: "full",
            active: i === 0,
            serverState: "Running",
            serviceLevel: 255,
            lastError: null,
            lastErrorAt: null,
            lastErrorCurrent: false,
            monitoredItems: status.pairs[0]!.servers[i]!.monitoredItems,
            publishingIntervalMs: 100, // the default; nothing follows the downstream here
            // measured by the status query (offset and round trip vary; the shape and no step do not)
            clock: {
              offsetMs: status.pairs[0]!.servers[i]!.clock.offsetMs,
              rttMs: status.pairs[0]!.servers[i]!.clock.rttMs,
              steps: 0,
              lastStep: null,
              timeRegressions: 0,
            },
          })),
        },
      ],
      // no storage problem (README "Storage faults")
      storage: [],
    });
    const downstream = await connectDownstream(`opc.tcp://127.0.0.1:${opcPort}`);
    const counter = await downstream.record("ns=1;s=Counter");
    await counter.waitForMore(5, 10_000, `Counter values (Bad ones seen: ${counter.bad.length})`);
    await downstream.close();
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    assert.equal(code, 0, output);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    await Promise.all(sims.map((s) => s.dispose()));
  }
});
