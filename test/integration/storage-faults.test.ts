/**
 * Issue 13 point 4: a full data directory (a tmpfs of 16 KB, filled up): the diagnostics file and
 * the address-space cache cannot be written. Each is one clear error (recorded once, in the status
 * API), and failover, subscriptions and forwarding go on untouched.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { connectDownstream, type GatewayRig, startGatewayRig } from "../helpers/gateway-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor, waitForAsync } from "../helpers/wait.ts";

function mountTmpfs(dir: string): string | null {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=16k", "tmpfs", dir], { stdio: "pipe" });
    return null;
  } catch (error) {
    return (error as Error).message.split("\n")[0] ?? "mount failed";
  }
}

test("a full data directory: one error per file, shown in the status; failover untouched", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "full-data-"));
  const refused = mountTmpfs(dir);
  if (refused) {
    t.skip(`cannot mount a 16 KB tmpfs (needs root with CAP_SYS_ADMIN): ${refused}`);
    await rm(dir, { recursive: true, force: true });
    return;
  }
  let rig: GatewayRig | undefined;
  try {
    await writeFile(join(dir, "filler"), Buffer.alloc(64 * 1024)).catch((error: NodeJS.ErrnoException) => {
      assert.equal(error.code, "ENOSPC"); // the disk is full now
    });
    const eventsFile = join(dir, "events.jsonl");
    rig = await startGatewayRig({
      pairs: [{ mode: "hot" }],
      dataDir: dir,
      http: true,
      config: { diagnostics: { file: eventsFile, maxEvents: 1000 } },
    });
    const gateway = rig.gateway;
    const downstream = await connectDownstream(rig.endpoints[0]!);
    try {
      const counter = await downstream.record("ns=1;s=Counter");
      await counter.waitForMore(20, 15_000, "values through the gateway");
      const status = await waitForAsync(
        async () => {
          const response = await fetch(`${gateway.httpUrl}/api/status`);
          const body = (await response.json()) as {
            storage: { what: string; code: string; message: string }[];
          };
          return body.storage.length >= 2 ? body : undefined;
        },
        15_000,
        "both storage problems in /api/status",
      );
      const whats = status.storage.map((p) => p.what).sort();
      assert.deepEqual(whats, ["addressSpaceCache", "diagnostics"]);
      for (const problem of status.storage) {
        assert.equal(problem.code, "ENOSPC", problem.message);
        assert.match(problem.message, /cannot be written \(ENOSPC\)/);
      }
      const mark = counter.count;
      await rig.sims[0]!.kill();
      await waitFor(() => gateway.pairs[0]!.status().activeIndex === 1, 15_000, "failover after SIGKILL");
      await counter.waitForMore(40, 15_000, "values after the failover");
      const report = counter.report(mark);
      assert.deepEqual({ lost: report.lost, duplicates: report.duplicates }, { lost: 0, duplicates: 0 });
      // one error per file, however many events could not be written since
      const errors = gateway.events
        .list({ kind: "error" })
        .filter((e) => /cannot be written/.test(e.message));
      assert.equal(errors.length, 2, JSON.stringify(errors));
      assert.ok(gateway.events.list({ kind: "failover" }).length >= 1, "the failover is in the (memory) log");
    } finally {
      await downstream.close();
    }
  } finally {
    await rig?.dispose();
    execFileSync("umount", [dir]);
    await rm(dir, { recursive: true, force: true });
  }
});
