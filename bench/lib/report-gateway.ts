/**
 * Markdown tables of the gateway's overhead (same items directly and through the gateway) and of
 * address-space mirroring, shared by `npm run bench` and `npm run bench:gateway`.
 */
import type { MirroringResult } from "./gateway-mirroring.ts";
import type { OverheadResult, PathResult } from "./gateway-overhead.ts";
import { markdownTable, mb, n0 } from "./markdown.ts";
import { present } from "./stats.ts";

function overheadRows(r: OverheadResult): (string | number)[][] {
  const rows: (string | number)[][] = [];
  const paths: [PathResult | undefined, string][] = [
    [r.direct, "direct"],
    [r.gateway, "gateway"],
  ];
  for (const [p, name] of paths) {
    const scenario = `${r.items} × ${r.tickMs} ms`;
    if (!p) {
      rows.push([scenario, name, "FAILED", "", "", "", "", "", "", "", "", "", "", "", ""]);
      continue;
    }
    const windowS = p.usage.durationMs / 1000;
    const simsCpu = present(p.usage.childCpuMs);
    rows.push([
      scenario,
      name,
      `${n0(p.perSecond)} (of ${n0(p.expectedPerSecond)})`,
      name === "gateway" && r.ratio !== undefined ? r.ratio.toFixed(3) : "",
      `${p.latencyMs.p50 ?? "–"} / ${p.latencyMs.p99 ?? "–"} / ${p.latencyMs.max ?? "–"}`,
      `${p.lost} (${p.itemsWithGaps} items)`,
      `${p.duplicates} / ${p.regressions}`,
      `${p.usage.cpuPercent.toFixed(0)} (${n0(p.usage.cpuUserMs + p.usage.cpuSystemMs)} ms)`,
      simsCpu.map((ms) => ((ms / 1000 / windowS) * 100).toFixed(0)).join(" + "),
      `${mb(p.usage.rssMeanBytes)} / ${mb(p.usage.rssMaxBytes)}`,
      `${n0(p.usage.eventLoopDelayP99Ms)} / ${n0(p.usage.eventLoopDelayMaxMs)}`,
      p.refusedItems > 0
        ? `${n0(p.createItemsMs)} (${p.refusedItems} refused: ${p.refusedStatus})`
        : n0(p.createItemsMs),
      name === "gateway" ? `${p.gatewayEventsSetup.length} / ${p.gatewayEventsWindow.length}` : "",
      `${p.beforeWindow.lost} / ${p.beforeWindow.badValues} / ${p.beforeWindow.duplicates + p.beforeWindow.regressions}`,
      n0((p.unknownItemNotifications * 1000) / p.usage.durationMs),
    ]);
  }
  return rows;
}

export function overheadTable(results: OverheadResult[]): string {
  return markdownTable(
    [
      "items × tick",
      "path",
      "value changes/s",
      "gateway/direct",
      "latency ms p50 / p99 / max",
      "lost values",
      "dup / regr",
      "CPU this process % core (ms)",
      "simulators CPU % core",
      "RSS MB mean / max",
      "event-loop delay ms p99 / max",
      "create items ms",
      "gateway link events setup / window",
      "before window: lost / Bad / dup+regr",
      "unknown-item notifications/s",
    ],
    results.flatMap(overheadRows),
  );
}

export function mirroringTable(results: MirroringResult[]): string {
  return markdownTable(
    [
      "bulk variables",
      "start → mirrored ms",
      "all served",
      "RSS increase MB",
      "heap increase MB",
      "cache file MB",
      "cache nodes",
      "mirrored → cache written ms",
      "restart from cache ms",
    ],
    results.map((r) => [
      r.bulk,
      r.error && r.startToMirroredMs === undefined ? "FAILED" : n0(r.startToMirroredMs),
      r.allBulkMirrored === undefined ? "–" : r.allBulkMirrored ? "yes" : "NO",
      mb(r.rssIncreaseBytes),
      mb(r.heapIncreaseBytes),
      r.cacheFileBytes === undefined ? "–" : (r.cacheFileBytes / 2 ** 20).toFixed(2),
      r.cacheNodes ?? "–",
      n0(r.cacheWrittenAfterMs),
      r.restartFromCacheMs === undefined
        ? "–"
        : `${n0(r.restartFromCacheMs)}${r.restartAllBulkMirrored === false ? " (INCOMPLETE)" : ""}`,
    ]),
  );
}
