/**
 * The short chaos soak (issue 13): the same run and the same assertions as `npm run soak`, for
 * 2 minutes (allowed beyond the usual test budget: up to 180 s on its own). Named to sort first:
 * the test runner starts files in path order, and the longest one started last would be the
 * whole suite's tail.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runSoak, soakProblems } from "../bench/lib/soak.ts";

test("chaos soak, 2 minutes: no regression, hot gap-free, writes on the active server only, no session or fd growth", {
  timeout: 300_000,
}, async (t) => {
  const report = await runSoak({ durationMs: 120_000, seed: 13, log: (line) => t.diagnostic(line) });
  const { samples, ...memory } = report.memory;
  t.diagnostic(
    JSON.stringify({
      ...report,
      faults: report.faults.length,
      memory: { ...memory, samples: samples.length },
    }),
  );
  assert.ok(report.faults.length >= 4, `faults applied: ${report.faults.length}`);
  assert.ok(report.writes.good > 10, `writes through the gateway: ${JSON.stringify(report.writes)}`);
  assert.deepEqual(soakProblems(report), []);
});
