/**
 * The three questions of `npm run bench`, each run and rendered: failover through the gateway
 * (with the plain-client baseline), overhead against talking directly, scale (with hot spots).
 * Each returns its figures for the JSON file and its Markdown for the report.
 */
import { join } from "node:path";
import { BASELINE_FAULT, runBaselineRep } from "./baseline.ts";
import { type GatewayFailoverRep, runGatewayFailoverRep } from "./gateway-failover.ts";
import { faultByName } from "./gateway-faults.ts";
import { DOWNSTREAM, type OverheadResult, runOverhead } from "./gateway-overhead.ts";
import { FAILOVER_TIMEOUT_MS, type RepResult, VALUES_AFTER } from "./measure.ts";
import { type OverheadSummary, overheadSummaryTable, summarizeOverhead } from "./overhead-summary.ts";
import { type ProfileSummary, type Profiling, startProfiling, steadyLayersOf } from "./profile.ts";
import { describeRep, type FailoverSummary, failoverTable, summarizeFailover } from "./report-failover.ts";
import { overheadTable } from "./report-gateway.ts";
import { creationTable, hotSpotTables, scaleTable } from "./report-scale.ts";
import type { RunOptions } from "./run-options.ts";
import { runScale, type ScaleResult } from "./scale.ts";

/** The one-request-per-item creation comparison runs up to this many items. */
const MAX_COMPARED_CREATION = 50_000;

export type Progress = (line: string) => void;

export interface SectionOutput<T> {
  figures: T;
  markdown: string[];
}

export interface FailoverFigures {
  tickMs: number;
  summary: FailoverSummary[];
  runs: GatewayFailoverRep[];
  baselineRuns: RepResult[];
}

export async function failoverSection(
  options: RunOptions,
  progress: Progress,
): Promise<SectionOutput<FailoverFigures>> {
  const tickMs = options.failoverTickMs;
  const figures: FailoverFigures = { tickMs, summary: [], runs: [], baselineRuns: [] };
  for (const mode of options.modes) {
    for (const fault of options.faults.map((name) => faultByName(name)!)) {
      const runs: GatewayFailoverRep[] = [];
      for (let rep = 1; rep <= options.reps; rep++) {
        const began = Date.now();
        const r = await runGatewayFailoverRep(mode, fault, rep, tickMs);
        runs.push(r);
        progress(
          `failover ${mode} · ${fault.name} · rep ${rep}: ${describeRep(r)} [${Date.now() - began} ms]`,
        );
        // A fault this build does not fail over on would only repeat the same 20 s wait.
        if (r.noFailover && rep === 1) {
          progress(`failover ${mode} · ${fault.name}: no failover, remaining repetitions skipped`);
          break;
        }
      }
      figures.runs.push(...runs);
      figures.summary.push(summarizeFailover(mode, fault.label, runs));
    }
  }
  if (options.baseline) {
    for (let rep = 1; rep <= options.reps; rep++) {
      const began = Date.now();
      const r = await runBaselineRep(rep, tickMs).catch(
        (error: unknown): RepResult => ({
          mode: "baseline",
          fault: BASELINE_FAULT,
          rep,
          ok: false,
          events: {},
          error: error instanceof Error ? error.message : String(error),
        }),
      );
      figures.baselineRuns.push(r);
      progress(`failover baseline · rep ${rep}: ${describeRep(r)} [${Date.now() - began} ms]`);
    }
    figures.summary.push(
      summarizeFailover("baseline: plain OPCUAClient, one server", BASELINE_FAULT, figures.baselineRuns),
    );
  }
  const markdown = [
    "## 1. Failover through the gateway",
    "",
    failoverTable(figures.summary),
    "",
    `- A downstream node-opcua client subscribed to Counter on the gateway; two shared-clock simulators ` +
      `ticking every ${tickMs} ms behind TCP fault proxies (status query 250 ms / 1000 ms timeout, ` +
      "failback auto after 1 s). Each repetition on a fresh rig.",
    "- detect: fault → the pair's failover event. first value: fault → first Counter value received " +
      "downstream at or after it (from the new server). longest silence: the longest gap between two " +
      "good values downstream from the last one before the fault. For writes (ServiceLevel, Quality) " +
      "the fault time is when the simulator logged the write.",
    `- lost / duplicates / regressions: the Counter sequence from the last value before the fault to ` +
      `${VALUES_AFTER} values after the first new one. NO FAILOVER: none within ${FAILOVER_TIMEOUT_MS / 1000} s ` +
      "(then the other repetitions are skipped).",
    "- baseline: what users have without this product: a plain node-opcua client (default reconnect) " +
      "against one simulator SIGKILLed and restarted 1 s later; first value = after the restart.",
  ];
  for (const s of figures.summary) for (const e of s.errors) markdown.push(`- ${s.mode} · ${s.fault} ${e}`);
  return { figures, markdown };
}

export interface OverheadFigures {
  summary: OverheadSummary[];
  results: OverheadResult[];
}

/** The simulator's tick for N items at the rate; at least 100 ms. */
export function overheadTickMs(items: number, ratePerSecond: number): number {
  return Math.max(100, Math.round((items * 1000) / ratePerSecond));
}

export async function overheadSection(
  options: RunOptions,
  progress: Progress,
): Promise<SectionOutput<OverheadFigures>> {
  const figures: OverheadFigures = { summary: [], results: [] };
  for (const items of options.sizes) {
    const tickMs = overheadTickMs(items, options.overheadRatePerSecond);
    // at least 10 ticks in the window: the count of whole ticks seen is then within 10 %
    const windowMs = Math.max(options.windowMs, 10 * tickMs);
    const warmupMs = Math.max(options.warmupMs, 2 * tickMs);
    progress(`overhead: ${items} items at ${tickMs} ms, window ${windowMs} ms`);
    const r = await runOverhead({ items, tickMs, windowMs, warmupMs, batchSize: 1000 }, progress);
    figures.results.push(r);
    figures.summary.push(summarizeOverhead(r));
  }
  const markdown = [
    "## 2. Overhead: the same items directly from the simulator, then through the gateway",
    "",
    overheadSummaryTable(figures.summary),
    "",
    `- Bulk variables of a simulator (shared clock, every item changes every tick; tick chosen for ` +
      `about ${options.overheadRatePerSecond} value changes/s) monitored by a downstream node-opcua client ` +
      `(publishing ${DOWNSTREAM.publishingIntervalMs} ms, sampling 0), first directly, then through a hot ` +
      "gateway (product defaults: upstream publishing 100 ms) in front of that simulator and a second one.",
    "- latency: receive time − source timestamp (same machine clock). added = gateway − direct.",
    "- CPU: this process (downstream client, plus the gateway on the gateway path), % of one core.",
    "",
    "<details><summary>all overhead figures</summary>",
    "",
    overheadTable(figures.results),
    "",
    "</details>",
  ];
  for (const r of figures.results) if (r.error) markdown.push(`- FAILED ${r.items} items: ${r.error}`);
  return { figures, markdown };
}

export interface ScaleFigures {
  results: ScaleResult[];
  hotSpots: ProfileSummary[];
}

export async function scaleSection(
  options: RunOptions,
  resultsDir: string,
  progress: Progress,
): Promise<SectionOutput<ScaleFigures>> {
  const figures: ScaleFigures = { results: [], hotSpots: [] };
  for (const items of options.scaleSizes) {
    const tickMs = options.scaleTickMs ?? overheadTickMs(items, options.overheadRatePerSecond);
    const windowMs = Math.max(options.scaleWindowMs, 4 * tickMs);
    progress(`scale: ${items} items, tick ${tickMs} ms, window ${windowMs} ms`);
    let profiling: Profiling | undefined;
    const file = join(resultsDir, `scale-${items}.cpuprofile`);
    const hooks = {
      started: async () => {
        profiling = await startProfiling(`scale ${items}`, file).catch((error: unknown) => {
          progress(`profiler: ${String(error)}`);
          return undefined;
        });
      },
      ended: async () => {
        if (profiling) figures.hotSpots.push(await profiling.stop());
      },
    };
    const r = await runScale(
      {
        items,
        tickMs,
        windowMs,
        batchSize: 1000,
        // One-by-one creation of 100k items takes minutes: compare up to 50k, where the point is
        // made. (The stall seen after a 100k comparison was a failed first crawl left without a
        // retry while the pair stayed active: README Status.)
        compareCreation: options.compareCreation && items <= MAX_COMPARED_CREATION,
        cold: true,
        // a bound for failures only: one-by-one creation of 100k items under load takes minutes
        timeoutMs: Math.max(120_000, items * 10),
      },
      progress,
      options.profile ? hooks : undefined,
    );
    figures.results.push(r);
    const summary = figures.hotSpots.find((h) => h.label === `scale ${items}`);
    if (summary && r.steadyWindowUs && r.steadyValues !== undefined) {
      summary.steadyLayers = await steadyLayersOf(file, r.steadyWindowUs, r.steadyValues).catch(
        () => undefined,
      );
    }
  }
  const markdown = [
    "## 3. Scale: monitored items through one hot pair",
    "",
    scaleTable(figures.results),
    "",
    "- Two simulators (shared clock, N Bulk variables; tick " +
      (options.scaleTickMs === undefined
        ? `for about ${options.overheadRatePerSecond} value changes/s, at least 100 ms)`
        : `${options.scaleTickMs} ms)`) +
      ", a hot gateway pair " +
      "with product defaults, one downstream client creating N items in batches of 1000.",
    "- mirror: gateway start → address space mirrored, standby connected. create items: the downstream " +
      "CreateMonitoredItems calls; every value: from the first call until every item has delivered a value " +
      "through the gateway (includes creating the upstream items on both links).",
    "- RSS / heap per item: this process (gateway + downstream client) after a full GC, with the items " +
      "over before them, / N. gateway own (est.): heap per item − 3 × a plain client's heap per item " +
      "(downstream client + two upstream links), the plain client's cost measured directly below.",
    `- steady state over at least ${options.scaleWindowMs / 1000} s (4 ticks): value changes/s received ` +
      "downstream; CPU of this process and of each simulator process, % of one core; CPU ms per 1000 " +
      "value changes: this process's CPU time over the values delivered downstream; gateway own (est.): " +
      "minus a plain client's, measured directly on the simulator at the same tick (table below).",
    "- cold: a cold gateway on the same simulators (address space from the hot run's cache), N items, " +
      "primary SIGKILLed: time until every item has delivered a good value again (all upstream items " +
      "re-created on the secondary).",
    "",
    "### Upstream item creation, directly on a simulator",
    "",
    creationTable(figures.results),
    "",
    "- Why the gateway's upstream links batch (src/upstream/item-batches.ts: up to the server's " +
      "MaxMonitoredItemsPerCall, at most 1000, per CreateMonitoredItems request): a plain client creating the " +
      "same items in batches of 1000 against one request per item, 16 in flight.",
  ];
  for (const r of figures.results) {
    if (r.error) markdown.push(`- FAILED ${r.items} items: ${r.error}`);
    if (r.direct?.error) markdown.push(`- FAILED ${r.items} items, direct creation: ${r.direct.error}`);
    if (r.cold?.error) markdown.push(`- FAILED ${r.items} items, cold failover: ${r.cold.error}`);
  }
  // the largest run that completed (a failed one profiles mostly waiting)
  const completed = figures.hotSpots.filter(
    (h) => !figures.results.some((r) => r.error && h.label === `scale ${r.items}`),
  );
  if (completed.length > 0) {
    const largest = completed[completed.length - 1]!;
    markdown.push(
      "",
      "## 4. Hot spots (CPU profile of this process during the largest scale run)",
      "",
      hotSpotTables(largest),
      "",
      "- Sampled every 1 ms by V8's profiler (as `node --cpu-prof`) from the hot gateway's start to the end " +
        "of the cold failover (mirroring, item creation, steady state, stop, re-creation); this process " +
        "holds the gateway and the downstream client. Self time: in the function itself; inclusive: " +
        "the src/ file and everything it called (node-opcua included). " +
        "Profiles of every size are in the JSON file and next to it.",
    );
  }
  return { figures, markdown };
}
