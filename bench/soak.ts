/**
 * `npm run soak -- --minutes N [--seed S] [--out FILE] [--heap-snapshots M,M…]`: the chaos soak
 * (bench/lib/soak.ts). Prints the fault schedule as it goes, then the JSON report (also written to
 * FILE, default bench/results/soak-<date>.json); exits 1 when a measure is beyond its bound.
 * --heap-snapshots writes V8 heap snapshots at those minutes next to the report, to compare with
 * `node --import tsx bench/heap-diff.ts A B` (what grew, and who holds it).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { setErrorLogger, setWarningLogger } from "node-opcua";
import { runSoak, soakProblems } from "./lib/soak.ts";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "60" },
    seed: { type: "string", default: "13" },
    out: { type: "string" },
    "heap-snapshots": { type: "string" },
  },
});
const minutes = Number(values.minutes);
const snapshotMinutes = values["heap-snapshots"]?.split(",").map(Number) ?? [];
const seed = Number(values.seed);
if (!(minutes > 0) || !Number.isInteger(seed) || snapshotMinutes.some((m) => !(m >= 0))) {
  process.stderr.write(
    "usage: npm run soak -- --minutes N [--seed S] [--out FILE] [--heap-snapshots M,M…]\n",
  );
  process.exit(64);
}
// node-opcua's warnings about the faults the soak causes on purpose would drown the schedule
setWarningLogger(() => undefined);
setErrorLogger(() => undefined);
const out =
  values.out ??
  join(
    dirname(fileURLToPath(import.meta.url)),
    "results",
    `soak-${new Date().toISOString().replace(/[:.]/g, "-")}.json`,
  );
await mkdir(dirname(out), { recursive: true });
const report = await runSoak({
  heapSnapshotsAtMinutes: snapshotMinutes,
  heapSnapshotDir: dirname(out),
  durationMs: minutes * 60_000,
  seed,
  log: (line) => process.stdout.write(`${line}\n`),
});
const problems = soakProblems(report);
const { samples, ...memory } = report.memory;
process.stdout.write(
  `${JSON.stringify({ ...report, memory: { ...memory, samples: samples.length }, problems }, null, 2)}\n`,
);
await writeFile(out, `${JSON.stringify({ ...report, problems }, null, 2)}\n`);
process.stdout.write(`report written to ${out}\n`);
process.exit(problems.length === 0 ? 0 : 1);
