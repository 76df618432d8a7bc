/**
 * Recovery benchmark (OPC UA Part 4 §6.7): one server, Counter at a 20 ms tick, the network cut
 * (fault proxy blackhole) for 1 s, 5 s and longer than the session timeout. For each cut: the
 * values published meanwhile, how many the client got back (Republish, or nothing to get back once
 * the session and subscription are gone), how many were lost, and the time from the restore to the
 * first value and to being caught up with the live value.
 *
 *   npm run bench:recovery -- [--cuts 1000,5000,15000] [--session-timeout-ms 10000] [--mode hot]
 */
import { parseArgs } from "node:util";
import { setErrorLogger, setWarningLogger } from "node-opcua";
import type { GapEvent } from "../src/client/types.ts";
import type { Mode } from "../src/redundancy/types.ts";
import { startRig } from "../test/helpers/pair-rig.ts";
import { waitFor } from "../test/helpers/wait.ts";
import { markdownTable } from "./lib/markdown.ts";

const TICK_MS = 20;

const { values } = parseArgs({
  options: {
    cuts: { type: "string", default: "1000,5000,15000" },
    "session-timeout-ms": { type: "string", default: "10000" },
    mode: { type: "string", default: "hot" },
  },
});
const cuts = values.cuts.split(",").map(Number);
const sessionTimeoutMs = Number(values["session-timeout-ms"]);
const mode = values.mode as Mode;
setWarningLogger(() => undefined);
setErrorLogger(() => undefined);

interface Row {
  cutMs: number;
  published: number;
  republished: number;
  delivered: number;
  lost: number;
  duplicates: number;
  gaps: string;
  firstValueMs: number;
  caughtUpMs: number;
}

async function measure(cutMs: number): Promise<Row> {
  const rig = await startRig({
    mode,
    servers: 1,
    tickMs: TICK_MS,
    pair: { session: { timeoutMs: sessionTimeoutMs } },
  });
  try {
    const gaps: GapEvent[] = [];
    rig.client.on("gap", (g) => gaps.push(g));
    await rig.counter.waitForMore(25, 10_000, "values before the cut");
    const before = rig.client.status().servers[0]!.recovery;
    // Counter is Int32 (it wraps): compare by source time, one value per tick.
    const lastBefore = rig.counter.values.at(-1)!.sourceTime;
    const startIndex = rig.counter.count - 1;
    const cutAt = Date.now();
    rig.proxies[0]!.setMode("blackhole");
    await waitFor(() => Date.now() - cutAt >= cutMs, cutMs + 5000, "the cut");
    rig.proxies[0]!.setMode("pass");
    const restoredAt = Date.now();
    const first = await rig.counter.firstAfter(restoredAt, 60_000);
    const upTo = restoredAt - (restoredAt % TICK_MS);
    const caughtUp = await waitFor(
      () => rig.counter.values.find((v) => v.sourceTime >= upTo),
      60_000,
      "caught up",
    );
    const report = rig.counter.report(startIndex);
    const after = rig.client.status().servers[0]!.recovery;
    const published = Math.round((upTo - lastBefore) / TICK_MS);
    const delivered = rig.counter.values.filter(
      (v) => v.sourceTime > lastBefore && v.sourceTime <= upTo,
    ).length;
    return {
      cutMs,
      published,
      republished: after.republishedValues - before.republishedValues,
      delivered,
      lost: published - delivered,
      duplicates: report.duplicates,
      gaps: gaps.map((g) => `${g.cause}/${g.recovered}`).join(" ") || "none",
      firstValueMs: first.receivedAt - restoredAt,
      caughtUpMs: caughtUp.receivedAt - restoredAt,
    };
  } finally {
    await rig.dispose();
  }
}

const rows: Row[] = [];
for (const cutMs of cuts) {
  process.stderr.write(`cut ${cutMs} ms...\n`);
  rows.push(await measure(cutMs));
}
process.stdout.write(
  `\nRecovery, one server, ${mode} mode, ${TICK_MS} ms tick, session timeout ${sessionTimeoutMs} ms, blackhole:\n\n`,
);
process.stdout.write(
  markdownTable(
    [
      "cut",
      "values published",
      "in Republish answers",
      "delivered",
      "lost",
      "duplicates",
      "gap events",
      "restore → first value",
      "restore → caught up",
    ],
    rows.map((r) => [
      `${r.cutMs / 1000} s`,
      String(r.published),
      String(r.republished),
      String(r.delivered),
      String(r.lost),
      String(r.duplicates),
      r.gaps,
      `${r.firstValueMs} ms`,
      `${r.caughtUpMs} ms`,
    ]),
  ),
);
process.exit(0);
