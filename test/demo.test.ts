/**
 * `opcua-redundancy demo` as a newcomer runs it, through the real CLI in a child process with stdin
 * not a terminal (so the scripted tour runs): the gateway over two simulators, its endpoint in the
 * banner, status lines, a failover when server 1 is stopped, the failback after it restarts, no
 * value lost THROUGH THE GATEWAY in hot mode, /api/status during the run, exit code 0 on SIGINT.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { freePort } from "./helpers/ports.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Generous: a loaded 2-core machine loads node-opcua slowly and runs four OPC UA parties here. */
const TEST_TIMEOUT_MS = 240_000;

/** `count` different free ports. */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the demo, calling `onOutput(stdout)` on every chunk, until `done(stdout)` holds; then quits
 * it with SIGINT as a user would (Ctrl-C). SIGKILL after `timeoutMs` (the assertions then fail).
 */
async function runDemo(
  args: string[],
  hooks: { onOutput?: (stdout: string) => void; done: (stdout: string) => boolean },
  timeoutMs: number,
): Promise<Run> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "demo", ...args], {
    cwd: root,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1", OPCUA_REDUNDANCY_LOG_LEVEL: "warn" },
  });
  child.stdin.end();
  let stdout = "";
  let stderr = "";
  let quitting = false;
  const check = () => {
    if (!quitting && done()) {
      quitting = true;
      child.kill("SIGINT");
    }
  };
  const done = () => hooks.done(stdout);
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    hooks.onOutput?.(stdout);
    check();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  // `done` may also hold because of something outside stdout (an HTTP answer): look again now and then.
  const poll = setInterval(check, 250);
  const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
    return { code, signal, stdout, stderr };
  } finally {
    clearInterval(poll);
    clearTimeout(killer);
  }
}

/** Restart of server 1 by the tour, then a failback to it, then a status line on it. */
function tourRoundDone(out: string): boolean {
  const restarted = out.indexOf("[auto] restarting server 1");
  if (restarted < 0) return false;
  const failback = out.indexOf("FAILBACK server 2 -> server 1", restarted);
  return failback >= 0 && /active server 1 {2}state active/.test(out.slice(failback));
}

interface ApiStatus {
  pairs: { name: string; mode: string; active: string | null; servers: { url: string; state: string }[] }[];
}

test("demo: the gateway fails over on a crash, fails back, loses nothing through it in hot mode", {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const [a, b, listenPort, httpPort] = (await freePorts(4)) as [number, number, number, number];
  const dataDir = await mkdtemp(join(tmpdir(), "demo-test-"));
  const statusUrl = `http://127.0.0.1:${httpPort}/api/status`;
  let api: ApiStatus | undefined;
  let health: number | undefined;
  let apiError: unknown;
  let asked = false;
  /** Asks /api/status (and /health) once the pair is active: during the run, like an operator. */
  const askStatus = (out: string) => {
    if (asked || !/active server \d+ {2}state active/.test(out)) return;
    asked = true;
    void (async () => {
      try {
        const response = await fetch(statusUrl);
        api = (await response.json()) as ApiStatus;
        health = (await fetch(`http://127.0.0.1:${httpPort}/health`)).status;
      } catch (error) {
        apiError = error;
      }
    })();
  };
  try {
    const run = await runDemo(
      [
        "--ports",
        `${a},${b}`,
        "--listen-port",
        String(listenPort),
        "--listen-host",
        "127.0.0.1",
        "--http-port",
        String(httpPort),
        "--data-dir",
        dataDir,
        "--tick-ms",
        "50",
        "--hold-ms",
        "1000",
        "--auto",
        "--auto-interval-ms",
        "2500",
        "--duration-ms",
        String(TEST_TIMEOUT_MS - 30_000),
      ],
      {
        onOutput: askStatus,
        // The tour's first round is complete once a status line on server 1 follows the failback
        // after the restart (under load, the engine may start on server 2 and fail back before the
        // tour begins), and the status server has answered.
        done: (out) => (api !== undefined || apiError !== undefined) && tourRoundDone(out),
      },
      TEST_TIMEOUT_MS - 15_000,
    );
    const out = run.stdout;
    const context = `\n--- stdout ---\n${out}\n--- stderr ---\n${run.stderr}`;
    assert.equal(run.signal, null, `the demo did not quit cleanly on SIGINT${context}`);
    assert.equal(run.code, 0, `exit code${context}`);

    // banner: the gateway endpoint and its nodes, the status URL, the simulators, the mode
    assert.ok(out.includes(`opc.tcp://127.0.0.1:${listenPort}`), `gateway endpoint${context}`);
    assert.match(out, /ns=1;s=Counter/);
    assert.match(out, /ns=1;s=Status/);
    assert.ok(out.includes(statusUrl), `status URL${context}`);
    assert.ok(out.includes(`opc.tcp://127.0.0.1:${a}`), `endpoint of server 1${context}`);
    assert.ok(out.includes(`opc.tcp://127.0.0.1:${b}`), `endpoint of server 2${context}`);
    assert.match(out, /mode hot/);
    assert.match(out, /OPCUA_REDUNDANCY_LOG_LEVEL=debug/);
    assert.match(out, /downstream OPC UA client connected to opc\.tcp:\/\/127\.0\.0\.1:\d+/, context);

    // /api/status during the run: the demo pair, with an active server among the two simulators
    assert.equal(apiError, undefined, `GET ${statusUrl} failed: ${String(apiError)}${context}`);
    assert.equal(health, 200, `/health${context}`);
    assert.ok(api, `no /api/status answer${context}`);
    assert.equal(api.pairs.length, 1);
    const pair = api.pairs[0]!;
    assert.equal(pair.name, "demo");
    assert.equal(pair.mode, "hot");
    const urls = [`opc.tcp://127.0.0.1:${a}`, `opc.tcp://127.0.0.1:${b}`];
    assert.ok(pair.active !== null && urls.includes(pair.active), `active server ${pair.active}`);
    assert.deepEqual(
      pair.servers.map((s) => s.url),
      urls,
    );

    const lines = out.split("\n");
    // status lines, once per second, with the Counter going up
    const counters = lines
      .map((line) => /active server \d+ {2}state active {2}Counter (\d+)/.exec(line)?.[1])
      .filter((v): v is string => v !== undefined)
      .map(Number);
    assert.ok(counters.length >= 4, `status lines with a Counter value${context}`);
    for (let i = 1; i < counters.length; i++) {
      assert.ok(counters[i]! >= counters[i - 1]!, `Counter went back in the status lines${context}`);
    }
    assert.ok(counters.at(-1)! > counters[0]!, `Counter did not increase${context}`);

    // server 1 stopped: failover on communication loss; restarted: failback
    const stopped = lines.findIndex((l) => l.includes("[auto] stopping server 1"));
    assert.ok(stopped >= 0, `the tour stopped server 1${context}`);
    // A stop closes the server: clients see ServerState Shutdown or the connection drop first.
    const failover = lines.findIndex(
      (l, i) => i > stopped && /FAILOVER server 1 -> server 2 {2}reason (commLost|serverState)/.test(l),
    );
    assert.ok(failover > stopped, `failover line after the stop${context}`);
    const restarted = lines.findIndex((l) => l.includes("[auto] restarting server 1"));
    assert.ok(restarted > failover, `the tour restarted server 1${context}`);
    const failback = lines.findIndex(
      (l, i) => i > restarted && /FAILBACK server 2 -> server 1 {2}reason failback/.test(l),
    );
    assert.ok(failback > restarted, `failback line after the restart${context}`);

    // the running proof through the gateway, and the verdict at the end
    const last = lines.filter((l) => / {2}state \w+ {2}Counter /.test(l)).at(-1)!;
    assert.match(last, /through the gateway: received [1-9]\d*, lost 0, duplicates 0/, context);
    assert.match(last, /engine: received [1-9]\d*, lost 0, duplicates 0/, context);
    assert.match(last, /events [1-9]\d*/, `the simulators' events counted through the gateway${context}`);
    const summary = lines.find((l) => l.includes("summary:"));
    assert.ok(summary, `summary line${context}`);
    assert.match(
      summary,
      /through the gateway: received [1-9]\d*, lost 0, duplicates 0, reordered 0; engine: received \d+, lost 0, duplicates 0, reordered 0: no value lost/,
      context,
    );
    assert.match(
      out,
      /quitting \(SIGINT\): stopping the downstream client, the gateway, then the simulators/,
    );
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
