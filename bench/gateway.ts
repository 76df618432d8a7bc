/**
 * Gateway benchmark: what the gateway costs, measured side by side in one run.
 *
 *   npm run bench:gateway -- [--quick] [--reps N] [--window-ms MS] [--warmup-ms MS] [--items N]
 *     [--tick-ms MS] [--batch N] [--scale] [--upstream-publishing-ms MS] [--follow-downstream MIN,MAX]
 *     [--mirror-sizes 0,10000,50000]
 *     [--cache-restart]
 *     [--section overhead|mirroring|failover]... [--mode cold|warm|hot]...
 *
 * 1. Overhead: Bulk items subscribed directly on a simulator, then through a hot gateway in front of
 *    it (same process, same simulators): value changes/s, latency, lost values, CPU, RSS.
 * 2. Mirroring: gateway start → address space mirrored, memory, cache file, restart from the cache.
 * 3. Failover through the gateway: cold, warm, hot × SIGKILL, blackhole of the primary.
 *
 * Prints Markdown tables on stdout (progress on stderr) and writes every raw figure to
 * bench/results/gateway.json.
 */
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Mode } from "../src/redundancy/types.ts";
import { captureNodeOpcuaLogs, MB, nodeOpcuaLog, round } from "./lib/gateway-common.ts";
import { type GatewayFailoverRep, RIG_TICK_MS, runGatewayFailoverRep } from "./lib/gateway-failover.ts";
import { faultByName, QUICK_FAULT_NAMES } from "./lib/gateway-faults.ts";
import { MIRROR_TICK_MS, type MirroringResult, runMirroring } from "./lib/gateway-mirroring.ts";
import { DOWNSTREAM, type OverheadResult, runOverhead } from "./lib/gateway-overhead.ts";
import { FAILOVER_TIMEOUT_MS, VALUES_AFTER } from "./lib/measure.ts";
import {
  describeRep,
  type FailoverSummary,
  failoverTable,
  summarizeFailover,
} from "./lib/report-failover.ts";
import { mirroringTable, overheadTable } from "./lib/report-gateway.ts";

const MODES: readonly Mode[] = ["cold", "warm", "hot"];
const SECTIONS = ["overhead", "mirroring", "failover"] as const;
type Section = (typeof SECTIONS)[number];
const RESULTS_FILE = join(dirname(fileURLToPath(import.meta.url)), "results", "gateway.json");
const SCALE = { items: 10_000, tickMs: 1000 } as const;

interface Options {
  quick: boolean;
  reps: number;
  windowMs: number;
  warmupMs: number;
  items: number;
  tickMs: number;
  batchSize: number;
  scale: boolean;
  upstreamPublishingMs: number | undefined;
  followDownstream: { minMs: number; maxMs: number } | undefined;
  mirrorSizes: number[];
  cacheRestart: boolean;
  sections: Section[];
  modes: Mode[];
}

/** `--follow-downstream MIN,MAX` (ms). */
function followOption(text: string | undefined): { minMs: number; maxMs: number } | undefined {
  if (text === undefined) return undefined;
  const [min, max] = text.split(",").map((part) => Number(part.trim()));
  if (
    !Number.isInteger(min) ||
    !Number.isInteger(max) ||
    (min as number) < 10 ||
    (min as number) > (max as number)
  )
    usage(`--follow-downstream: expected MIN,MAX in ms (10 <= MIN <= MAX), got ${text}`);
  return { minMs: min as number, maxMs: max as number };
}

function usage(problem: string): never {
  process.stderr.write(
    `${problem}\nusage: bench/gateway.ts [--quick] [--reps N] [--window-ms MS] [--warmup-ms MS] [--items N] ` +
      "[--tick-ms MS] [--batch N] [--scale] [--upstream-publishing-ms MS] [--follow-downstream MIN,MAX] " +
      "[--mirror-sizes N,N,...] [--cache-restart] " +
      "[--section overhead|mirroring|failover]... [--mode cold|warm|hot]...\n",
  );
  process.exit(2);
}

function integer(value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) usage(`${name} must be an integer >= ${min}, got "${value}"`);
  return n;
}

function parseOptions(): Options {
  const parse = () =>
    parseArgs({
      options: {
        quick: { type: "boolean", default: false },
        reps: { type: "string" },
        "window-ms": { type: "string" },
        "warmup-ms": { type: "string" },
        items: { type: "string" },
        "tick-ms": { type: "string" },
        batch: { type: "string" },
        scale: { type: "boolean", default: false },
        "upstream-publishing-ms": { type: "string" },
        "follow-downstream": { type: "string" },
        "mirror-sizes": { type: "string" },
        "cache-restart": { type: "boolean" },
        section: { type: "string", multiple: true },
        mode: { type: "string", multiple: true },
        help: { type: "boolean", default: false },
      },
      allowPositionals: false,
    });
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  if (values.help) usage("Gateway benchmark.");
  const quick = values.quick ?? false;
  const sectionNames = (values.section ?? []).flatMap((s) => s.split(","));
  for (const s of sectionNames) if (!SECTIONS.includes(s as Section)) usage(`unknown section "${s}"`);
  const modeNames = (values.mode ?? []).flatMap((m) => m.split(","));
  for (const m of modeNames) if (!MODES.includes(m as Mode)) usage(`unknown mode "${m}"`);
  const sizes = values["mirror-sizes"]?.split(",").map((s) => integer(s.trim(), "--mirror-sizes", 0, 0));
  return {
    quick,
    reps: integer(values.reps, "--reps", quick ? 1 : 3),
    windowMs: integer(values["window-ms"], "--window-ms", 10_000),
    warmupMs: integer(values["warmup-ms"], "--warmup-ms", 5000, 0),
    items: integer(values.items, "--items", 1000),
    tickMs: integer(values["tick-ms"], "--tick-ms", 100, 10),
    batchSize: integer(values.batch, "--batch", 500),
    scale: values.scale ?? false,
    upstreamPublishingMs:
      values["upstream-publishing-ms"] === undefined
        ? undefined
        : integer(values["upstream-publishing-ms"], "--upstream-publishing-ms", 100, 10),
    followDownstream: followOption(values["follow-downstream"]),
    // 0 = an upstream with no bulk variables: the fixed cost of a pair's server, for reference
    mirrorSizes: sizes ?? (quick ? [10_000] : [0, 10_000, 50_000]),
    // a restart installs the same snapshot again (as long as mirroring itself): left out of --quick
    cacheRestart: values["cache-restart"] ?? !quick,
    sections: sectionNames.length > 0 ? SECTIONS.filter((s) => sectionNames.includes(s)) : [...SECTIONS],
    modes: modeNames.length > 0 ? MODES.filter((m) => modeNames.includes(m)) : [...MODES],
  };
}

/** The code measured: commit and files changed since (the product is work in progress). */
function gitState(): { commit: string | null; changedFiles: string[] } {
  const git = (...args: string[]) =>
    execFileSync("git", args, { cwd: dirname(dirname(RESULTS_FILE)), encoding: "utf8" }).trim();
  try {
    const changed = git("status", "--porcelain", "--", "src", "bench", "test");
    return { commit: git("rev-parse", "HEAD"), changedFiles: changed ? changed.split("\n") : [] };
  } catch {
    return { commit: null, changedFiles: [] };
  }
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions();
  const unhandled: string[] = [];
  captureNodeOpcuaLogs();
  process.on("unhandledRejection", (reason) => {
    const text = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
    unhandled.push(text);
    progress(`unhandled rejection: ${text}`);
  });
  // Ctrl+C: exit through process.exit so that sim-process's exit hook kills the simulators.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

  const started = new Date();
  const git = gitState();
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const machine = {
    cpuModel: cpu,
    cores: os.cpus().length,
    totalMemoryBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()}`,
    loadAverageAtStart: os.loadavg(),
  };
  const header =
    `Gateway benchmark, ${started.toISOString()} · ${cpu}, ${machine.cores} cores, ` +
    `${(machine.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB · node ${process.version} · ` +
    `load ${machine.loadAverageAtStart.map((l) => l.toFixed(2)).join(" ")}${options.quick ? " · quick" : ""}`;
  progress(header);
  const out: string[] = [header];
  const sectionTimes: Record<string, number> = {};

  // 1. Overhead
  const overhead: OverheadResult[] = [];
  if (options.sections.includes("overhead")) {
    const began = Date.now();
    const scenarios = [{ items: options.items, tickMs: options.tickMs }];
    if (options.scale) scenarios.push({ ...SCALE });
    for (const scenario of scenarios) {
      progress(`overhead: ${scenario.items} items at ${scenario.tickMs} ms`);
      overhead.push(
        await runOverhead(
          {
            ...scenario,
            windowMs: options.windowMs,
            warmupMs: options.warmupMs,
            batchSize: options.batchSize,
            upstreamPublishingMs: options.upstreamPublishingMs,
            followDownstream: options.followDownstream,
          },
          progress,
        ),
      );
    }
    sectionTimes.overheadMs = Date.now() - began;
    const upstreamPublishing =
      (options.upstreamPublishingMs === undefined
        ? "the product default upstream subscription (publishing interval 100 ms)"
        : `upstream publishing interval ${options.upstreamPublishingMs} ms`) +
      (options.followDownstream
        ? `, following the downstream within ${options.followDownstream.minMs}–${options.followDownstream.maxMs} ms`
        : "");
    out.push(
      "",
      "## 1. Overhead: the same Bulk items directly on a simulator, then through the gateway",
      "",
      overheadTable(overhead),
      "",
      `- One simulator process per upstream (shared clock, every Bulk item set at every tick); a hot ` +
        `gateway pair of two such simulators in this process, ${upstreamPublishing}; a downstream ` +
        `node-opcua client in this process (publishing ${DOWNSTREAM.publishingIntervalMs} ms, sampling ` +
        `${DOWNSTREAM.samplingIntervalMs}, queue ${DOWNSTREAM.queueSize}, items created in batches of ` +
        `${options.batchSize}). Window ${options.windowMs / 1000} s each after ${options.warmupMs / 1000} s ` +
        "of warm-up; direct first (gateway running idle, nothing monitored), then through the gateway.",
      "- value changes/s: good values received in the window; gateway/direct: the ratio of the two.",
      "- latency: receive time − source timestamp (the tick boundary; same machine clock).",
      "- lost values: missing steps in each item's sequence (sum of jumps − 1), in how many items.",
      "- CPU this process: user + system time of this process (downstream client, plus the gateway on " +
        "the gateway path) over wall time; 100 = one core. Simulators: each simulator process " +
        "(primary + standby), from /proc.",
      "- RSS sampled every 200 ms during the window. Event-loop delay: lateness of a 10 ms timer in this process.",
      "- gateway link events: upstream link state changes, failovers and pair state changes in the gateway " +
        "while the downstream items were created and warmed up / during the window (0 / 0 when all is " +
        "steady; listed in the JSON file). unknown-item notifications/s: values a node-opcua client in " +
        "this process received for a monitored item it had forgotten (node-opcua's warning, counted). " +
        "before window: the sequence check from each item's first value through item creation and " +
        "warm-up (not in the window's figures).",
    );
    for (const r of overhead) {
      for (const p of [r.direct, r.gateway]) {
        const bad = Object.entries(p?.badStatuses ?? {});
        if (p && bad.length > 0) {
          const list = bad.map(([name, count]) => `${name} × ${count}`).join(", ");
          out.push(`- ${r.items} × ${r.tickMs} ms, ${p.path}: Bad notifications received: ${list}.`);
        }
        if (p && p.gatewayEventsSetup.length + p.gatewayEventsWindow.length > 0) {
          const events = [...p.gatewayEventsSetup, ...p.gatewayEventsWindow]
            .filter((e) => e.kind !== "link" || !e.detail.includes("idle"))
            .slice(0, 8)
            .map((e) => `${Math.round(e.atMs)} ms ${e.kind} ${e.detail}`);
          out.push(`- ${r.items} × ${r.tickMs} ms, ${p.path}: gateway events: ${events.join("; ")}.`);
        }
      }
      if (r.error) out.push(`- FAILED ${r.items} × ${r.tickMs} ms: ${r.error}`);
    }
  }

  // 2. Mirroring
  const mirroring: MirroringResult[] = [];
  if (options.sections.includes("mirroring")) {
    const began = Date.now();
    for (const bulk of options.mirrorSizes) {
      progress(`mirroring: ${bulk} bulk variables`);
      mirroring.push(await runMirroring(bulk, { cacheRestart: options.cacheRestart }, progress));
    }
    sectionTimes.mirroringMs = Date.now() - began;
    out.push(
      "",
      "## 2. Mirroring: gateway start until the upstream address space is served",
      "",
      mirroringTable(mirroring),
      "",
      `- Upstreams: two simulators (hot pair) with N Bulk variables, ticking every ${MIRROR_TICK_MS} ms. ` +
        "The gateway mirrors eagerly at first activation; 0 = no Bulk variables (fixed cost of a pair's " +
        "server, for reference).",
      "- RSS and heap increase: this process after a full GC, before the gateway was created and once " +
        "it had mirrored (RSS includes memory freed earlier in the run being reused, heap is the " +
        "sharper figure).",
      "- cache file: `<dataDir>/address-space/<pair>.json`. Restart from cache: a new gateway on the same " +
        "data directory with every upstream down, start() → address space served" +
        (options.cacheRestart ? "." : " (not measured: --quick; --cache-restart to measure it)."),
    );
    for (const r of mirroring) if (r.error) out.push(`- ERROR ${r.bulk} bulk: ${r.error}`);
  }

  // 3. Failover through the gateway
  const failoverRuns: GatewayFailoverRep[] = [];
  const failoverSummary: FailoverSummary[] = [];
  if (options.sections.includes("failover")) {
    const began = Date.now();
    for (const mode of options.modes) {
      for (const fault of QUICK_FAULT_NAMES.map((name) => faultByName(name)!)) {
        const runs: GatewayFailoverRep[] = [];
        for (let rep = 1; rep <= options.reps; rep++) {
          const t = Date.now();
          const r = await runGatewayFailoverRep(mode, fault, rep);
          runs.push(r);
          failoverRuns.push(r);
          progress(`failover ${mode} · ${fault.name} · rep ${rep}: ${describeRep(r)} [${Date.now() - t} ms]`);
        }
        failoverSummary.push(summarizeFailover(mode, fault.name, runs));
      }
    }
    sectionTimes.failoverMs = Date.now() - began;
    out.push(
      "",
      "## 3. Failover through the gateway (downstream client on the gateway, Counter)",
      "",
      failoverTable(failoverSummary),
      "",
      `- Shared-clock simulators ticking every ${RIG_TICK_MS} ms behind fault proxies, the gateway rig of ` +
        "the integration tests (status query 250 ms / 750 ms timeout, failback auto). SIGKILL: the " +
        "primary's process killed; blackhole: its proxy stops forwarding (pulled cable).",
      "- detect: fault → the pair's failover event in the gateway. first value: fault → first Counter " +
        "value received downstream at or after that event. longest silence: the longest time between " +
        "two good values downstream, from the last one before the fault.",
      `- lost / duplicates / regressions: the Counter sequence from the last value before the fault to ` +
        `${VALUES_AFTER} values after the first one; a repetition fails without a failover within ` +
        `${FAILOVER_TIMEOUT_MS / 1000} s. ${options.reps} repetition(s) each.`,
    );
    for (const s of failoverSummary)
      for (const e of s.errors) out.push(`- FAILED ${s.mode} · ${s.fault} ${e}`);
  }
  out.push(
    "",
    `Load average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} (${machine.cores} cores; other processes on the machine share them).`,
  );
  if (unhandled.length > 0) out.push("", `- ${unhandled.length} unhandled rejection(s), see the JSON file`);
  process.stdout.write(`${out.join("\n")}\n`);

  const finished = new Date();
  const json = {
    meta: {
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationMs: finished.getTime() - started.getTime(),
      sectionTimes,
      machine: { ...machine, loadAverageAtEnd: os.loadavg() },
      nodeVersion: process.version,
      git,
      options,
      downstream: DOWNSTREAM,
      mirrorTickMs: MIRROR_TICK_MS,
      failoverTickMs: RIG_TICK_MS,
    },
    overhead,
    mirroring: mirroring.map((m) => ({
      ...m,
      rssIncreaseMB: m.rssIncreaseBytes === undefined ? undefined : round(m.rssIncreaseBytes / MB),
    })),
    failover: { summary: failoverSummary, runs: failoverRuns },
    unhandledRejections: unhandled,
    nodeOpcuaLog,
  };
  await mkdir(dirname(RESULTS_FILE), { recursive: true });
  await writeFile(RESULTS_FILE, `${JSON.stringify(json, null, 2)}\n`);
  progress(
    `raw results: ${relative(process.cwd(), RESULTS_FILE)} (${round(json.meta.durationMs / 1000)} s in all)`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`,
    );
    process.exit(1);
  },
);
