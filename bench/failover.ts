/**
 * Failover benchmark: for each mode × fault of the primary, the failover cost as a downstream
 * consumer of RedundantClient sees it, plus a baseline (plain node-opcua client, server killed and
 * restarted). Repetitions run one after another, each on a fresh rig.
 *
 *   npm run bench:failover -- [--reps N] [--quick] [--mode hot] [--fault NAME] [--tick-ms 20] [--no-baseline]
 *
 * Prints a Markdown table and writes every raw measurement to bench/results/failover.json.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { format, parseArgs } from "node:util";
import { setErrorLogger, setWarningLogger } from "node-opcua";
import type { Mode } from "../src/redundancy/types.ts";
import { type Fault, faults } from "../test/helpers/faults.ts";
import { BASELINE_FAULT, BASELINE_TIMEOUT_MS, runBaselineRep } from "./lib/baseline.ts";
import { markdownTable } from "./lib/markdown.ts";
import {
  DEFAULT_SUBSCRIPTION,
  FAILOVER_TIMEOUT_MS,
  type RepResult,
  runFailoverRep,
  SHUTDOWN_DELAY_MS,
  settleValues,
  VALUES_AFTER,
} from "./lib/measure.ts";
import { median, present, sum, worst } from "./lib/stats.ts";

const MODES: readonly Mode[] = ["cold", "warm", "hot"];
const QUICK_FAULTS = ["SIGKILL", "network blackhole"];
const RESULTS_FILE = join(dirname(fileURLToPath(import.meta.url)), "results", "failover.json");

interface Options {
  reps: number;
  quick: boolean;
  modes: Mode[];
  faults: Fault[];
  tickMs: number;
  baseline: boolean;
}

function usage(problem: string): never {
  process.stderr.write(
    `${problem}\nusage: bench/failover.ts [--reps N] [--quick] [--mode cold|warm|hot]... ` +
      `[--fault NAME]... [--tick-ms MS] [--no-baseline]\nfaults: ${faults.map((f) => f.name).join(", ")}\n`,
  );
  process.exit(2);
}

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) usage(`${name} must be a positive integer, got "${value}"`);
  return n;
}

function parseOptions(): Options {
  let parsed: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      options: {
        reps: { type: "string" },
        quick: { type: "boolean", default: false },
        mode: { type: "string", multiple: true },
        fault: { type: "string", multiple: true },
        "tick-ms": { type: "string" },
        "no-baseline": { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      allowPositionals: false,
    });
  }
  try {
    parsed = parse();
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  if (values.help) usage("Failover benchmark.");
  const quick = values.quick ?? false;
  const modeNames = (values.mode ?? []).flatMap((m) => m.split(","));
  for (const m of modeNames) if (!MODES.includes(m as Mode)) usage(`unknown mode "${m}"`);
  const modes = modeNames.length > 0 ? MODES.filter((m) => modeNames.includes(m)) : [...MODES];
  // --fault matches a fault's name case-insensitively, exactly or as a part ("blackhole", "sigstop").
  const wanted = values.fault ?? (quick ? QUICK_FAULTS : []);
  const chosen =
    wanted.length === 0
      ? faults
      : faults.filter((f) =>
          wanted.some((w) => {
            const name = f.name.toLowerCase();
            const key = w.toLowerCase();
            return name === key || (!faults.some((g) => g.name.toLowerCase() === key) && name.includes(key));
          }),
        );
  if (chosen.length === 0) usage(`no fault matches ${wanted.map((w) => `"${w}"`).join(", ")}`);
  return {
    reps: positiveInt(values.reps, "--reps", quick ? 1 : 3),
    quick,
    modes,
    faults: chosen,
    tickMs: positiveInt(values["tick-ms"], "--tick-ms", 20),
    baseline: !values["no-baseline"],
  };
}

interface SummaryRow {
  mode: string;
  fault: string;
  reps: number;
  okReps: number;
  failedReps: number;
  detectMsMedian: number | null;
  detectMsWorst: number | null;
  firstValueMsMedian: number | null;
  firstValueMsWorst: number | null;
  lostValuesMedian: number | null;
  lostValuesWorst: number | null;
  duplicateValuesTotal: number;
  regressionsTotal: number;
  badValuesTotal: number;
  errors: string[];
}

function summarize(mode: string, fault: string, runs: RepResult[]): SummaryRow {
  const ok = runs.filter((r) => r.ok);
  const detect = present(runs.map((r) => r.detectMs));
  const first = present(runs.map((r) => r.firstValueMs));
  const lost = present(ok.map((r) => r.lost));
  return {
    mode,
    fault,
    reps: runs.length,
    okReps: ok.length,
    failedReps: runs.length - ok.length,
    detectMsMedian: median(detect),
    detectMsWorst: worst(detect),
    firstValueMsMedian: median(first),
    firstValueMsWorst: worst(first),
    lostValuesMedian: median(lost),
    lostValuesWorst: worst(lost),
    duplicateValuesTotal: sum(present(runs.map((r) => r.duplicates))),
    regressionsTotal: sum(present(runs.map((r) => r.regressions))),
    badValuesTotal: sum(present(runs.map((r) => r.badValues))),
    errors: runs.flatMap((r) => (r.error ? [`rep ${r.rep}: ${r.error}`] : [])),
  };
}

function repsCell(row: SummaryRow): string {
  return row.failedReps === 0 ? String(row.reps) : `${row.reps} (${row.failedReps} FAILED)`;
}

function rounded(n: number | null): string {
  return n === null ? "–" : String(Math.round(n));
}

function pair(a: number | null, b: number | null): string {
  return `${rounded(a)} / ${rounded(b)}`;
}

function renderTable(rows: SummaryRow[]): string {
  return markdownTable(
    [
      "mode",
      "fault",
      "detect ms median / worst",
      "first value ms median / worst",
      "lost median / worst",
      "duplicates total",
      "regressions total",
      "reps",
    ],
    rows.map((r) => [
      r.mode,
      r.fault,
      pair(r.detectMsMedian, r.detectMsWorst),
      pair(r.firstValueMsMedian, r.firstValueMsWorst),
      pair(r.lostValuesMedian, r.lostValuesWorst),
      r.duplicateValuesTotal,
      r.regressionsTotal,
      repsCell(r),
    ]),
  );
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function describe(r: RepResult): string {
  const parts = [
    `detect ${r.detectMs ?? "–"} ms`,
    `first value ${r.firstValueMs ?? "–"} ms`,
    `lost ${r.lost ?? "–"}`,
    `dup ${r.duplicates ?? "–"}`,
    `regr ${r.regressions ?? "–"}`,
  ];
  if (r.failover) parts.push(`reason ${r.failover.reason}`);
  if (r.error) parts.push(`ERROR ${r.error}`);
  return parts.join(", ");
}

async function guarded(
  run: () => Promise<RepResult>,
  fallback: Omit<RepResult, "ok" | "events">,
): Promise<RepResult> {
  try {
    return await run();
  } catch (error) {
    return {
      ...fallback,
      ok: false,
      events: {},
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

async function main(): Promise<void> {
  const options = parseOptions();
  const unhandled: string[] = [];
  // node-opcua prints warnings and errors with console.log: keep stdout for the report.
  const nodeOpcuaLog: string[] = [];
  const toStderr = (_context: unknown, ...args: unknown[]) => {
    const text = format(...args);
    if (nodeOpcuaLog.length < 500) nodeOpcuaLog.push(`${new Date().toISOString()} ${text}`);
    progress(`node-opcua: ${text}`);
  };
  setWarningLogger(toStderr);
  setErrorLogger(toStderr);
  process.on("unhandledRejection", (reason) => {
    const text = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
    unhandled.push(text);
    progress(`unhandled rejection: ${text}`);
  });
  // Ctrl+C: exit through process.exit so that sim-process's exit hook kills the simulators.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

  const started = new Date();
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const machine = {
    cpuModel: cpu,
    cores: os.cpus().length,
    totalMemoryBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()}`,
    loadAverageAtStart: os.loadavg(),
  };
  const header =
    `Failover benchmark, ${started.toISOString()} · ${cpu}, ${machine.cores} cores, ` +
    `${(machine.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB · node ${process.version} · ` +
    `tick ${options.tickMs} ms · ${options.reps} rep(s)${options.quick ? " (quick)" : ""}`;
  progress(header);

  const runs: RepResult[] = [];
  const groups: { mode: string; fault: string; runs: RepResult[] }[] = [];
  for (const mode of options.modes) {
    for (const fault of options.faults) {
      const group = { mode, fault: fault.name, runs: [] as RepResult[] };
      groups.push(group);
      for (let rep = 1; rep <= options.reps; rep++) {
        const began = Date.now();
        const result = await guarded(() => runFailoverRep(mode, fault, rep, options.tickMs), {
          mode,
          fault: fault.name,
          rep,
        });
        group.runs.push(result);
        runs.push(result);
        progress(`${mode} · ${fault.name} · rep ${rep}: ${describe(result)} [${Date.now() - began} ms]`);
      }
    }
  }
  if (options.baseline) {
    const group = { mode: "baseline (plain OPCUAClient)", fault: BASELINE_FAULT, runs: [] as RepResult[] };
    groups.push(group);
    for (let rep = 1; rep <= options.reps; rep++) {
      const began = Date.now();
      const result = await guarded(() => runBaselineRep(rep, options.tickMs), {
        mode: "baseline",
        fault: BASELINE_FAULT,
        rep,
      });
      group.runs.push(result);
      runs.push(result);
      progress(`baseline · rep ${rep}: ${describe(result)} [${Date.now() - began} ms]`);
    }
  }

  const summary = groups.map((g) => summarize(g.mode, g.fault, g.runs));
  const finished = new Date();
  const notes = [
    "detect = fault → RedundantClient `failover` event (baseline: fault → the plain client's `connection_lost`).",
    "first value = fault → first Counter value delivered at or after the failover event (baseline: after the restart).",
    "lost / duplicates / regressions: Counter sequence from the last value delivered before the fault.",
    "Fault time: the call of the fault's inject(); for ServiceLevel 150 and ServerState Suspended " +
      "(a write over a fresh session) the time the simulator logged the write. Negative = before it.",
    `A repetition fails when no failover comes within ${FAILOVER_TIMEOUT_MS / 1000} s ` +
      "(or no value follows it within 10 s); its figures are left out of the medians.",
  ];
  const baselineRuns = runs.filter((r) => r.mode === "baseline");
  if (baselineRuns.length > 0) {
    const back = median(present(baselineRuns.map((r) => r.events.restartedMs)));
    const reconnected = median(present(baselineRuns.map((r) => r.events.connection_reestablishedMs)));
    notes.push(
      `baseline: the simulator was listening again ${rounded(back)} ms after the kill ` +
        `(median; 1 s down plus process start-up), the plain client had reconnected ` +
        `(connection_reestablished) ${rounded(reconnected)} ms after it.`,
    );
  }
  const output = [
    header,
    "",
    renderTable(summary),
    "",
    ...notes.map((n) => `- ${n}`),
    ...summary.flatMap((s) => s.errors.map((e) => `- FAILED ${s.mode} · ${s.fault} ${e}`)),
    ...(unhandled.length > 0 ? [`- ${unhandled.length} unhandled rejection(s), see the JSON file`] : []),
  ].join("\n");
  process.stdout.write(`${output}\n`);

  const json = {
    meta: {
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationMs: finished.getTime() - started.getTime(),
      machine: { ...machine, loadAverageAtEnd: os.loadavg() },
      nodeVersion: process.version,
      tickMs: options.tickMs,
      reps: options.reps,
      quick: options.quick,
      modes: options.modes,
      faults: options.faults.map((f) => f.name),
      rig: {
        servers: 2,
        sharedClock: true,
        shutdownDelayMs: SHUTDOWN_DELAY_MS,
        settleValues: settleValues(options.tickMs),
        valuesAfterFirst: VALUES_AFTER,
        failoverTimeoutMs: FAILOVER_TIMEOUT_MS,
      },
      baseline: {
        client: "OPCUAClient.create({}) (node-opcua defaults)",
        subscription: DEFAULT_SUBSCRIPTION,
        downMs: 1000,
        timeoutMs: BASELINE_TIMEOUT_MS,
      },
      notes,
    },
    summary,
    runs,
    unhandledRejections: unhandled,
    nodeOpcuaLog,
  };
  await mkdir(dirname(RESULTS_FILE), { recursive: true });
  await writeFile(RESULTS_FILE, `${JSON.stringify(json, null, 2)}\n`);
  progress(`raw results: ${relative(process.cwd(), RESULTS_FILE)}`);
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
