/**
 * The gateway as a service (`opcua-redundancy start` in a child process): the operator commands
 * `status`, `failover` and `reload` over HTTP, SIGHUP reload, and graceful shutdown on SIGTERM
 * (a downstream client sees ServerState Shutdown with SecondsTillShutdown before the endpoint
 * closes). The API token comes from a file and never appears in the logs.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { AttributeIds, type DataValue, TimestampsToReturn } from "node-opcua";
import { stringify } from "yaml";
import { connectDownstream } from "../helpers/gateway-rig.ts";
import { testStatusQuery } from "../helpers/pair-rig.ts";
import { freePort } from "../helpers/ports.ts";
import { type SimProcess, spawnSimulator } from "../helpers/sim-process.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor, waitForAsync } from "../helpers/wait.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const node = join(root, "node_modules", ".bin", "node");
const TOKEN = "service-test-token-0123456789";
const SHUTDOWN_DELAY_MS = 3000;

/** Runs an operator command; resolves with its exit code and output. */
async function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(node, ["--import", "tsx", join("src", "cli", "main.ts"), ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, OPCUA_REDUNDANCY_TOKEN: "" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stdout, stderr };
}

test("service: status, failover and reload commands, SIGHUP, graceful SIGTERM", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  const sims: SimProcess[] = await Promise.all([
    spawnSimulator({ tickMs: 20, sharedClock: true }),
    spawnSimulator({ tickMs: 20, sharedClock: true }),
  ]);
  const dir = await mkdtemp(join(tmpdir(), "service-test-"));
  const file = join(dir, "gateway.yaml");
  const tokenFile = join(dir, "token");
  await writeFile(tokenFile, `${TOKEN}\n`);
  const [opcPort, httpPort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${httpPort}`;
  const config = (holdMs: number) => ({
    pairs: [
      {
        name: "line1",
        listen: { port: opcPort, host: "127.0.0.1" },
        mode: "hot",
        servers: sims.map((s) => ({ url: s.endpointUrl })),
        statusQuery: testStatusQuery,
        failback: { policy: "manual", holdMs },
        minDwellMs: 0,
        security: { allowNone: true, anonymous: true },
      },
    ],
    http: { port: httpPort, host: "127.0.0.1", auth: { tokenFile } },
    shutdown: { delayMs: SHUTDOWN_DELAY_MS },
    logLevel: "debug",
  });
  await writeFile(file, stringify(config(1000)));
  let child: ChildProcess | undefined;
  let output = "";
  try {
    child = spawn(
      node,
      ["--import", "tsx", join("src", "cli", "main.ts"), "start", "--config", file, "--data-dir", dir],
      {
        cwd: root,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    await waitForAsync(
      async () => {
        if (child?.exitCode !== null) throw new Error(`the gateway exited (${child?.exitCode})`);
        return (await fetch(`${base}/ready`).catch(() => undefined))?.ok;
      },
      60_000,
      "/ready",
    ).catch((error: Error) => {
      // what the gateway said, so that a failure on a loaded machine can be read
      throw new Error(
        `${error.message}\n--- gateway output (last 4000 characters) ---\n${output.slice(-4000)}`,
      );
    });
    await waitForAsync(
      async () => {
        const body = (await (await fetch(`${base}/api/status`)).json()) as {
          pairs: { addressSpace: string }[];
        };
        return body.pairs[0]?.addressSpace === "mirrored";
      },
      30_000,
      "the address space mirrored",
    );

    // status: a table with the active server marked.
    const status = await cli(["status", "--url", base]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^PAIR\s+MODE\s+STATE.*\sCLOCK\s/);
    assert.match(status.stdout, /\s[+-]\d+ ms ±\d+\s/, "each server's clock offset");
    assert.match(status.stdout, /line1\s+hot\s+active/);
    assert.equal(status.stdout.split("\n").filter((l) => l.includes("*")).length, 1, status.stdout);

    // failover: refused without the token (77), done with it.
    const refused = await cli(["failover", "line1", "--url", base]);
    assert.equal(refused.code, 77, refused.stderr);
    const active = (await (await fetch(`${base}/api/status`)).json()) as { pairs: { active: string }[] };
    const other = sims.map((s) => s.endpointUrl).find((u) => u !== active.pairs[0]!.active)!;
    const done = await cli(["failover", "line1", "--to", other, "--url", base, "--token-file", tokenFile]);
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout.trim(), `line1: active ${other}`);
    assert.equal((await cli(["failover", "nope", "--url", base, "--token", TOKEN])).code, 1);
    assert.equal((await cli(["status", "--url", "http://127.0.0.1:1"])).code, 69);

    // SIGHUP: the changed file is applied.
    await writeFile(file, stringify(config(2000)));
    child.kill("SIGHUP");
    await waitForAsync(
      async () => {
        const body = (await (await fetch(`${base}/api/events?kind=config`)).json()) as {
          events: { message: string }[];
        };
        return body.events.some((e) => /reloaded.*reconfigured \[line1\]/.test(e.message));
      },
      30_000,
      "the reload after SIGHUP in the event log",
    );
    // reload command: an invalid file is rejected (78) with its problems; the gateway goes on.
    await writeFile(file, "pairs: []\nhttp: { port: 0, bogus: true }\n");
    const invalid = await cli(["reload", "--url", base, "--token", TOKEN]);
    assert.equal(invalid.code, 78, invalid.stderr);
    assert.match(invalid.stderr, /http\.bogus/);
    assert.equal((await fetch(`${base}/ready`)).status, 200);
    await writeFile(file, stringify(config(2000)));
    const valid = await cli(["reload", "--url", base, "--token", TOKEN]);
    assert.equal(valid.code, 0, valid.stderr);
    assert.match(valid.stdout, /unchanged line1/);

    // SIGTERM: the downstream client sees Shutdown with SecondsTillShutdown, then the endpoint closes.
    const downstream = await connectDownstream(`opc.tcp://127.0.0.1:${opcPort}`);
    const states: { state: number; at: number }[] = [];
    const seconds: { value: number; at: number }[] = [];
    const watch = async (nodeId: string, onValue: (v: DataValue) => void) => {
      const item = await downstream.subscription.monitor(
        { nodeId, attributeId: AttributeIds.Value },
        { samplingInterval: 50, queueSize: 10 },
        TimestampsToReturn.Both,
      );
      item.on("changed", onValue);
    };
    await watch("i=2259", (v) => states.push({ state: v.value.value as number, at: Date.now() }));
    await watch("i=2992", (v) => seconds.push({ value: v.value.value as number, at: Date.now() }));
    await waitFor(() => states.some((s) => s.state === 0), 10_000, "ServerState Running downstream");
    const closed = new Promise<number>((resolve) =>
      downstream.client.once("connection_lost", () => resolve(Date.now())),
    );
    const terminated = Date.now();
    child.kill("SIGTERM");
    const shutdown = await waitFor(
      () => states.find((s) => s.state === 4),
      10_000,
      "ServerState Shutdown (4) downstream",
    );
    const countdown = await waitFor(
      () => seconds.find((s) => s.value > 0),
      10_000,
      "SecondsTillShutdown > 0",
    );
    const [code] = (await once(child, "exit")) as [number | null];
    const lostAt = await closed;
    assert.equal(code, 0, output.slice(-3000));
    assert.ok(
      shutdown.at < lostAt && countdown.at < lostAt,
      "Shutdown and the countdown seen before the endpoint closed",
    );
    assert.ok(countdown.value <= SHUTDOWN_DELAY_MS / 1000);
    assert.ok(
      lostAt - terminated >= SHUTDOWN_DELAY_MS - 200,
      `endpoint closed after the delay (${lostAt - terminated} ms)`,
    );
    await downstream.client.disconnect().catch(() => undefined);
    assert.ok(!output.includes(TOKEN), "the token never appears in the logs");
    assert.match(output, /status server listening/);
  } finally {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await Promise.all(sims.map((s) => s.dispose()));
  }
});
