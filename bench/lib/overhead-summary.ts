/**
 * The overhead section's headline figures per size, each named with its unit, for the report's
 * table and the JSON file (the full per-path figures stay in OverheadResult).
 */
import type { OverheadResult } from "./gateway-overhead.ts";
import { markdownTable, n0 } from "./markdown.ts";

export interface OverheadSummary {
  items: number;
  tickMs: number;
  expectedValueChangesPerSecond: number;
  directValueChangesPerSecond: number | null;
  gatewayValueChangesPerSecond: number | null;
  /** gateway / direct */
  throughputRatio: number | null;
  directLatencyMsP50: number | null;
  directLatencyMsP99: number | null;
  directLatencyMsMax: number | null;
  gatewayLatencyMsP50: number | null;
  gatewayLatencyMsP99: number | null;
  gatewayLatencyMsMax: number | null;
  /** gateway − direct, per percentile */
  addedLatencyMsP50: number | null;
  addedLatencyMsP99: number | null;
  addedLatencyMsMax: number | null;
  directLostValues: number | null;
  gatewayLostValues: number | null;
  /** CPU of this process (gateway + downstream client) on the gateway path, % of one core */
  gatewayPathCpuPercent: number | null;
  directPathCpuPercent: number | null;
  error?: string;
}

const minus = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a === null || a === undefined || b === null || b === undefined ? null : a - b;

export function summarizeOverhead(r: OverheadResult): OverheadSummary {
  const d = r.direct;
  const g = r.gateway;
  return {
    items: r.items,
    tickMs: r.tickMs,
    expectedValueChangesPerSecond: (r.items * 1000) / r.tickMs,
    directValueChangesPerSecond: d?.perSecond ?? null,
    gatewayValueChangesPerSecond: g?.perSecond ?? null,
    throughputRatio: r.ratio ?? null,
    directLatencyMsP50: d?.latencyMs.p50 ?? null,
    directLatencyMsP99: d?.latencyMs.p99 ?? null,
    directLatencyMsMax: d?.latencyMs.max ?? null,
    gatewayLatencyMsP50: g?.latencyMs.p50 ?? null,
    gatewayLatencyMsP99: g?.latencyMs.p99 ?? null,
    gatewayLatencyMsMax: g?.latencyMs.max ?? null,
    addedLatencyMsP50: minus(g?.latencyMs.p50, d?.latencyMs.p50),
    addedLatencyMsP99: minus(g?.latencyMs.p99, d?.latencyMs.p99),
    addedLatencyMsMax: minus(g?.latencyMs.max, d?.latencyMs.max),
    directLostValues: d?.lost ?? null,
    gatewayLostValues: g?.lost ?? null,
    directPathCpuPercent: d?.usage.cpuPercent ?? null,
    gatewayPathCpuPercent: g?.usage.cpuPercent ?? null,
    ...(r.error ? { error: r.error } : {}),
  };
}

const trio = (a: number | null, b: number | null, c: number | null) => `${n0(a)} / ${n0(b)} / ${n0(c)}`;

export function overheadSummaryTable(rows: OverheadSummary[]): string {
  return markdownTable(
    [
      "items × tick",
      "value changes/s direct / gateway (expected)",
      "gateway/direct",
      "latency ms direct p50 / p99 / max",
      "latency ms gateway p50 / p99 / max",
      "added latency ms p50 / p99 / max",
      "lost direct / gateway",
      "CPU % core direct / gateway path",
    ],
    rows.map((r) => [
      `${r.items} × ${r.tickMs} ms`,
      `${n0(r.directValueChangesPerSecond)} / ${n0(r.gatewayValueChangesPerSecond)} (${n0(r.expectedValueChangesPerSecond)})`,
      r.error && r.throughputRatio === null ? "FAILED" : (r.throughputRatio?.toFixed(2) ?? "–"),
      trio(r.directLatencyMsP50, r.directLatencyMsP99, r.directLatencyMsMax),
      trio(r.gatewayLatencyMsP50, r.gatewayLatencyMsP99, r.gatewayLatencyMsMax),
      trio(r.addedLatencyMsP50, r.addedLatencyMsP99, r.addedLatencyMsMax),
      `${n0(r.directLostValues)} / ${n0(r.gatewayLostValues)}`,
      `${n0(r.directPathCpuPercent)} / ${n0(r.gatewayPathCpuPercent)}`,
    ]),
  );
}
