/**
 * UpstreamLink.stop() ends the OPC UA client for good: a client stopped while its server is
 * unreachable leaves nothing running, so its process exits by itself.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { startFaultProxy } from "../helpers/fault-proxy.ts";
import { spawnSimulator } from "../helpers/sim-process.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

for (const fault of ["blackhole", "refuse", "blackhole before the first connection"] as const) {
  test(`a client stopped while its server is unreachable (${fault}) lets its process exit`, {
    timeout: INTEGRATION_TEST_TIMEOUT_MS,
  }, async () => {
    const sim = await spawnSimulator({ tickMs: 100 });
    const proxy = await startFaultProxy({ port: sim.port });
    const fromStart = fault === "blackhole before the first connection";
    if (fromStart) proxy.setMode("blackhole");
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join("test", "helpers", "stop-child.ts"), proxy.url],
      {
        cwd: root,
        stdio: ["pipe", "pipe", "pipe"],
        env: { ...process.env, OPCUA_REDUNDANCY_LOG_LEVEL: "silent" },
      },
    );
    let out = "";
    let exit: { code: number | null; signal: string | null } | undefined;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
    });
    child.stderr.resume();
    child.once("exit", (code, signal) => {
      exit = { code, signal };
    });
    try {
      await waitFor(() => out.includes("ready"), 30_000, "the child connected");
      if (!fromStart) {
        proxy.setMode(fault);
        if (fault === "refuse") proxy.setMode("reset"); // drop the open connection, refuse new ones
        await waitFor(() => out.includes("lost"), 15_000, "the child's link lost");
      }
      child.stdin.write("stop\n");
      await waitFor(() => out.includes("stopped"), 10_000, "stop() to resolve");
      const stoppedAt = Date.now();
      await waitFor(() => exit, 10_000, "the child to exit by itself after stop()");
      assert.equal(exit?.code, 0);
      assert.ok(Date.now() - stoppedAt < 10_000);
    } finally {
      if (!exit) child.kill("SIGKILL");
      await proxy.close();
      await sim.dispose();
    }
  });
}
