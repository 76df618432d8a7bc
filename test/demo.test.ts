/**
 * `opcua-redundancy demo` as a newcomer runs it, through the real CLI in a child process with stdin
 * not a terminal (so the scripted tour runs): banner, status lines, a failover when server 1 is
 * stopped, the failback after it restarts, no value lost in hot mode, exit code 0.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  assert.ok(address && typeof address === "object");
  return address.port;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the demo until `done(stdout)` holds, then quits it with SIGINT as a user would (Ctrl-C). */
async function runDemo(args: string[], done: (stdout: string) => boolean, timeoutMs: number): Promise<Run> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "demo", ...args], {
    cwd: root,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1", OPCUA_REDUNDANCY_LOG_LEVEL: "warn" },
  });
  child.stdin.end();
  let stdout = "";
  let stderr = "";
  let quitting = false;
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    if (!quitting && done(stdout)) {
      quitting = true;
      child.kill("SIGINT");
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
    return { code, signal, stdout, stderr };
  } finally {
    clearTimeout(killer);
  }
}

test("demo: scripted tour fails over on a crash, fails back, loses nothing in hot mode", async () => {
  const a = await freePort();
  let b = await freePort();
  while (b === a) b = await freePort();
  const run = await runDemo(
    [
      "--ports",
      `${a},${b}`,
      "--tick-ms",
      "50",
      "--hold-ms",
      "1000",
      "--auto",
      "--auto-interval-ms",
      "2500",
      "--duration-ms",
      "120000",
    ],
    // The tour's first round is complete once a status line follows the failback.
    (out) => /FAILBACK[^\n]*\n(.*\n)*.*active server 1 {2}state active/.test(out),
    150_000,
  );
  const out = run.stdout;
  const context = `\n--- stdout ---\n${out}\n--- stderr ---\n${run.stderr}`;
  assert.equal(run.signal, null, `the demo did not quit cleanly on SIGINT${context}`);
  assert.equal(run.code, 0, `exit code${context}`);

  // banner: both endpoints, the mode, how to get debug logs
  assert.ok(out.includes(`opc.tcp://127.0.0.1:${a}`), `endpoint of server 1${context}`);
  assert.ok(out.includes(`opc.tcp://127.0.0.1:${b}`), `endpoint of server 2${context}`);
  assert.match(out, /mode hot/);
  assert.match(out, /OPCUA_REDUNDANCY_LOG_LEVEL=debug/);

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
  const failover = lines.findIndex((l) =>
    /FAILOVER server 1 -> server 2 {2}reason (commLost|serverState)/.test(l),
  );
  assert.ok(failover > stopped, `failover line after the stop${context}`);
  const restarted = lines.findIndex((l) => l.includes("[auto] restarting server 1"));
  assert.ok(restarted > failover, `the tour restarted server 1${context}`);
  const failback = lines.findIndex((l) => /FAILBACK server 2 -> server 1 {2}reason failback/.test(l));
  assert.ok(failback > restarted, `failback line after the restart${context}`);

  // the running proof, and the verdict at the end
  const summary = lines.find((l) => l.includes("summary:"));
  assert.ok(summary, `summary line${context}`);
  assert.match(summary, /lost 0, duplicates 0, reordered 0/, context);
  assert.match(lines.filter((l) => l.includes("Counter ")).at(-1)!, /lost 0 {2}duplicates 0/, context);
});
