/**
 * Failover through the gateway: per mode × fault summary (median and worst over the repetitions)
 * and its Markdown table.
 */
import type { GatewayFailoverRep } from "./gateway-failover.ts";
import { markdownTable, slash } from "./markdown.ts";
import { median, present, sum, worst } from "./stats.ts";

/** What a summary needs of one repetition (gateway failover, or the plain-client baseline). */
export type FailoverRepFigures = Pick<
  GatewayFailoverRep,
  | "rep"
  | "ok"
  | "error"
  | "noFailover"
  | "detectMs"
  | "firstValueMs"
  | "longestSilenceMs"
  | "lost"
  | "duplicates"
  | "regressions"
  | "badValues"
>;

export interface FailoverSummary {
  /** cold / warm / hot, or "baseline" */
  mode: string;
  /** the fault's name (its label in the report) */
  fault: string;
  reps: number;
  failedReps: number;
  /** Repetitions where the fault caused no failover at all (within the benchmark's timeout). */
  noFailoverReps: number;
  detectMsMedian: number | null;
  detectMsWorst: number | null;
  firstValueMsMedian: number | null;
  firstValueMsWorst: number | null;
  longestSilenceMsMedian: number | null;
  longestSilenceMsWorst: number | null;
  lostValuesMedian: number | null;
  lostValuesWorst: number | null;
  duplicateValuesTotal: number;
  regressionValuesTotal: number;
  badValuesTotal: number;
  errors: string[];
}

export function summarizeFailover(mode: string, fault: string, runs: FailoverRepFigures[]): FailoverSummary {
  const ok = runs.filter((r) => r.ok);
  const detect = present(runs.map((r) => r.detectMs));
  const first = present(runs.map((r) => r.firstValueMs));
  const silence = present(ok.map((r) => r.longestSilenceMs));
  const lost = present(ok.map((r) => r.lost));
  return {
    mode,
    fault,
    reps: runs.length,
    failedReps: runs.length - ok.length,
    noFailoverReps: runs.filter((r) => r.noFailover).length,
    detectMsMedian: median(detect),
    detectMsWorst: worst(detect),
    firstValueMsMedian: median(first),
    firstValueMsWorst: worst(first),
    longestSilenceMsMedian: median(silence),
    longestSilenceMsWorst: worst(silence),
    lostValuesMedian: median(lost),
    lostValuesWorst: worst(lost),
    duplicateValuesTotal: sum(present(runs.map((r) => r.duplicates))),
    regressionValuesTotal: sum(present(runs.map((r) => r.regressions))),
    badValuesTotal: sum(present(runs.map((r) => r.badValues))),
    errors: runs.flatMap((r) => (r.error ? [`rep ${r.rep}: ${r.error}`] : [])),
  };
}

function repsCell(r: FailoverSummary): string {
  if (r.failedReps === 0) return String(r.reps);
  if (r.noFailoverReps === r.reps) return `${r.reps}: NO FAILOVER`;
  return `${r.reps} (${r.failedReps} FAILED${r.noFailoverReps > 0 ? `, ${r.noFailoverReps} without failover` : ""})`;
}

export function failoverTable(rows: FailoverSummary[]): string {
  return markdownTable(
    [
      "mode",
      "fault",
      "detect ms median / worst",
      "first value ms median / worst",
      "longest silence ms median / worst",
      "lost median / worst",
      "duplicates total",
      "regressions total",
      "Bad values total",
      "reps",
    ],
    rows.map((r) => [
      r.mode,
      r.fault,
      slash(r.detectMsMedian, r.detectMsWorst),
      slash(r.firstValueMsMedian, r.firstValueMsWorst),
      slash(r.longestSilenceMsMedian, r.longestSilenceMsWorst),
      slash(r.lostValuesMedian, r.lostValuesWorst),
      r.duplicateValuesTotal,
      r.regressionValuesTotal,
      r.badValuesTotal,
      repsCell(r),
    ]),
  );
}

export function describeRep(r: FailoverRepFigures & { failover?: { reason: string } }): string {
  const parts = [
    `detect ${r.detectMs ?? "–"} ms`,
    `first value ${r.firstValueMs ?? "–"} ms`,
    `silence ${r.longestSilenceMs ?? "–"} ms`,
    `lost ${r.lost ?? "–"}`,
    `dup ${r.duplicates ?? "–"}`,
    `regr ${r.regressions ?? "–"}`,
  ];
  if (r.failover) parts.push(`reason ${r.failover.reason}`);
  if (r.error) parts.push(`ERROR ${r.error}`);
  return parts.join(", ");
}
