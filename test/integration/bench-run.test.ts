/**
 * `npm run bench` end to end, tiny: one run of bench/run.ts with every section at toy sizes, as a
 * child process like the npm script. The report must hold the three answers and the JSON file the
 * figures (named with their units) and the run's meta, so that scripts and the README can use them.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const RUN_TIMEOUT_MS = 300_000;

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join("bench", "run.ts"), ...args], {
      cwd: projectRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test("npm run bench: one report with the three answers and a JSON file with units and meta", {
  timeout: RUN_TIMEOUT_MS + 30_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), "bench-run-test-"));
  try {
    const out = join(dir, "latest.json");
    const run = await runBench([
      ...["--mode", "hot", "--fault", "sigkill", "--reps", "1", "--no-baseline"],
      ...["--sizes", "200", "--window-ms", "1000", "--warmup-ms", "0"],
      ...["--scale-sizes", "300", "--scale-window-ms", "500", "--out", out],
    ]);
    assert.equal(run.code, 0, `bench exited ${run.code}; stderr:\n${run.stderr.slice(-3000)}`);
    for (const heading of ["## 1. Failover", "## 2. Overhead", "## 3. Scale", "## 4. Hot spots"]) {
      assert.ok(run.stdout.includes(heading), `report has "${heading}":\n${run.stdout}`);
    }

    const json = JSON.parse(await readFile(out, "utf8"));
    assert.match(json.meta.git.commit, /^[0-9a-f]{40}$/);
    assert.ok(json.meta.machine.cores > 0 && json.meta.machine.cpuModel);
    assert.equal(json.meta.loadAverageAtStart.length, 3);
    assert.match(json.meta.nodeVersion, /^v22\./);

    const failover = json.failover.summary[0];
    assert.equal(failover.mode, "hot");
    assert.equal(failover.failedReps, 0, JSON.stringify(json.failover.runs[0]));
    assert.ok(failover.firstValueMsMedian > 0 && failover.firstValueMsMedian < 5000);
    assert.equal(failover.lostValuesMedian, 0, "hot mode loses nothing on SIGKILL");

    const overhead = json.overhead.summary[0];
    assert.equal(overhead.items, 200);
    assert.ok(
      overhead.throughputRatio > 0.5,
      `throughput ratio ${overhead.throughputRatio}: ${overhead.error ?? ""}`,
    );
    assert.ok(overhead.gatewayLatencyMsP99 >= overhead.gatewayLatencyMsP50);

    const scale = json.scale.results[0];
    assert.equal(scale.error, undefined);
    assert.ok(scale.mirrorMs > 0 && scale.allValuesMs > 0 && scale.heapBytesPerItem !== undefined);
    assert.ok(scale.direct.oneByOneAllValuesMs > 0 && scale.direct.batchedAllValuesMs > 0);
    assert.equal(scale.cold.itemsBack, 300, `cold failover: ${JSON.stringify(scale.cold)}`);
    assert.ok(scale.cold.allItemsBackMs > 0);

    const hot = json.scale.hotSpots[0];
    assert.ok(hot.busyMs > 0 && hot.topFunctions.length > 0 && hot.srcInclusive.length > 0);
    assert.ok(hot.allocations.allocatedBytes > 0 && hot.allocations.topAreas.length > 0);
    assert.ok(existsSync(join(dir, "scale-300.cpuprofile")), "the raw profile next to the JSON file");
    assert.ok(existsSync(join(dir, "scale-300.heapprofile")), "the raw allocation profile too");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
