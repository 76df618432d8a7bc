/** Markdown tables of the scale section and of the CPU profile's hot spots. */
import { markdownTable, mb, n0, slash } from "./markdown.ts";
import type { ProfileSummary, SteadyLayers } from "./profile.ts";
import type { AllocationSpot, AllocationSummary } from "./profile-alloc.ts";
import type { ScaleResult } from "./scale.ts";
import { present } from "./stats.ts";

const cpuOfSims = (r: ScaleResult): string => {
  const usage = r.usage;
  if (!usage) return "–";
  const seconds = usage.durationMs / 1000;
  return present(usage.childCpuMs)
    .map((ms) => ((ms / 1000 / seconds) * 100).toFixed(0))
    .join(" + ");
};

export function scaleTable(results: ScaleResult[]): string {
  return markdownTable(
    [
      "items × tick",
      "mirror ms",
      "mirror heap B/node",
      "create items ms",
      "every value ms",
      "RSS B/item",
      "heap B/item",
      "gateway own heap B/item (est.)",
      "value changes/s (expected)",
      "window lost / dup / regr",
      "CPU this process % core",
      "CPU ms / 1000 values (gateway own, est.)",
      "simulators CPU % core",
      "RSS max MB",
      "event-loop delay p99 ms: create / steady",
      "cold: SIGKILL → every item back ms",
    ],
    results.map((r) => [
      `${r.items} × ${r.tickMs} ms`,
      r.error && r.mirrorMs === undefined ? "FAILED" : n0(r.mirrorMs),
      n0(r.mirrorHeapBytesPerNode),
      r.refusedItems ? `${n0(r.createItemsMs)} (${r.refusedItems} refused)` : n0(r.createItemsMs),
      n0(r.allValuesMs),
      n0(r.rssBytesPerItem),
      n0(r.heapBytesPerItem),
      n0(r.gatewayOwnHeapBytesPerItemEstimate),
      r.valueChangesPerSecond === undefined
        ? "–"
        : `${n0(r.valueChangesPerSecond)} (${n0(r.expectedPerSecond)})`,
      slash(r.windowLostValues, r.windowDuplicateValues, r.windowRegressionValues),
      r.usage ? r.usage.cpuPercent.toFixed(0) : "–",
      r.cpuMsPer1000ValueChanges === undefined
        ? "–"
        : `${r.cpuMsPer1000ValueChanges.toFixed(1)} (${r.gatewayOwnCpuMsPer1000ValueChangesEstimate?.toFixed(1) ?? "–"})`,
      cpuOfSims(r),
      mb(r.usage?.rssMaxBytes),
      `${n0(r.eventLoopDelayCreateMs?.p99)} / ${n0(r.eventLoopDelaySteadyMs?.p99)}`,
      r.cold?.allItemsBackMs !== undefined
        ? n0(r.cold.allItemsBackMs)
        : r.cold?.error
          ? `FAILED (${r.cold.itemsBack ?? 0} back)`
          : "–",
    ]),
  );
}

export function creationTable(results: ScaleResult[]): string {
  return markdownTable(
    [
      "items",
      "batches of 1000: every value ms",
      "1 item per request, 16 in flight: every value ms",
      "slowdown ×",
      "plain client heap B/item",
      "plain client RSS B/item",
      "plain client CPU ms / 1000 values",
    ],
    results.map((r) => [
      r.items,
      n0(r.direct?.batchedAllValuesMs),
      n0(r.direct?.oneByOneAllValuesMs),
      r.direct?.oneByOneSlowdown === undefined ? "–" : r.direct.oneByOneSlowdown.toFixed(1),
      n0(r.direct?.clientHeapBytesPerItem),
      n0(r.direct?.clientRssBytesPerItem),
      r.direct?.clientCpuMsPer1000ValueChanges?.toFixed(1) ?? "–",
    ]),
  );
}

export function hotSpotTables(profile: ProfileSummary, count = 12): string {
  const rows = (spots: ProfileSummary["topAreas"]) =>
    spots.slice(0, count).map((s) => [s.name, n0(s.selfMs), s.selfPercent.toFixed(1)]);
  return [
    `Profile "${profile.label}": ${n0(profile.durationMs)} ms, ${n0(profile.busyMs)} ms busy (not idle) ` +
      `in this process; raw profile ${profile.file}.`,
    "",
    markdownTable(["area (self time)", "ms", "% of busy"], rows(profile.topAreas)),
    "",
    markdownTable(["function (self time)", "ms", "% of busy"], rows(profile.topFunctions)),
    "",
    markdownTable(
      ["src/ file (inclusive: with what it calls)", "ms", "% of busy"],
      rows(profile.srcInclusive),
    ),
    ...(profile.steadyLayers ? ["", layerTable(profile.steadyLayers)] : []),
    ...(profile.allocations ? ["", allocationTables(profile.allocations, count)] : []),
  ].join("\n");
}

/** The steady state's CPU by layer, per 1000 values delivered downstream. */
function layerTable(s: SteadyLayers): string {
  const per1000 = (ms: number) => (s.values > 0 ? ((ms * 1000) / s.values).toFixed(2) : "–");
  return [
    `Steady state by layer (${n0(s.windowMs)} ms window, ${n0(s.busyMs)} ms busy, ${n0(s.values)} values ` +
      "delivered downstream; each sample charged to the layer its stack works for, see bench/lib/profile-layers.ts):",
    "",
    markdownTable(
      ["layer", "ms", "% of busy", "CPU ms / 1000 values"],
      [
        ...s.layers.map((l) => [l.layer, n0(l.ms), l.percent.toFixed(1), per1000(l.ms)]),
        ["all", n0(s.busyMs), "100.0", per1000(s.busyMs)],
      ],
    ),
  ].join("\n");
}

function allocationTables(a: AllocationSummary, count: number): string {
  const rows = (spots: AllocationSpot[]) =>
    spots.slice(0, count).map((s) => [s.name, mb(s.allocatedBytes), s.percentOfAllocated.toFixed(1)]);
  return [
    `Allocations (what the garbage collector works on): ${mb(a.allocatedBytes)} MB allocated while ` +
      `profiling (sampled, collected objects included); raw profile ${a.file}.`,
    "",
    markdownTable(["area (allocated itself)", "MB", "%"], rows(a.topAreas)),
    "",
    markdownTable(["function (allocated itself)", "MB", "%"], rows(a.topFunctions)),
    "",
    markdownTable(["src/ file (inclusive: with what it calls)", "MB", "%"], rows(a.srcInclusive)),
  ].join("\n");
}
