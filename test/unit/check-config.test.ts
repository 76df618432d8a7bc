import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { root } from "../helpers/config-issues.ts";

function runCli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { cwd: root });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("check-config command", () => {
  it("exits 0 and prints a summary for a valid file", async () => {
    const { code, stdout } = await runCli("check-config", "examples/gateway.yaml");
    assert.equal(code, 0);
    assert.match(stdout, /line1: mode hot, listen 0\.0\.0\.0:4841/);
    assert.match(stdout, /line2: mode warm/);
  });

  it("exits 78 and prints every problem with its path", async () => {
    const { code, stderr } = await runCli("check-config", "examples/invalid.yaml");
    assert.equal(code, 78);
    for (const path of [
      "pairs[0].mode",
      "pairs[0].servers[1].url",
      "pairs[0].statusQuery.intervalMs",
      "pairs[0].monitors[0].noChangeMs",
      "pairs[0].monitors[1].value.value",
      "pairs[0].failureCount",
      "pairs[1].name",
      "pairs[1].listen.port",
      "pairs[1].colour",
    ]) {
      assert.ok(stderr.includes(`${path}: `), `missing ${path} in:\n${stderr}`);
    }
  });

  it("exits 66 for an unreadable file and 64 without an argument", async () => {
    assert.equal((await runCli("check-config", "examples/missing.yaml")).code, 66);
    assert.equal((await runCli("check-config")).code, 64);
  });
});
