/** Command-line options of `npm run bench` (bench/run.ts). */
import { parseArgs } from "node:util";
import type { Mode } from "../../src/redundancy/types.ts";
import { GATEWAY_FAULTS, QUICK_FAULT_NAMES } from "./gateway-faults.ts";

export const MODES: readonly Mode[] = ["cold", "warm", "hot"];
export const SECTIONS = ["failover", "overhead", "scale"] as const;
export type Section = (typeof SECTIONS)[number];

export interface RunOptions {
  quick: boolean;
  sections: Section[];
  /** Failover: repetitions per mode × fault (and of the baseline). */
  reps: number;
  modes: Mode[];
  /** GatewayFault names. */
  faults: string[];
  failoverTickMs: number;
  baseline: boolean;
  /** Overhead: monitored items per measurement, and the value changes/s the simulator makes. */
  sizes: number[];
  overheadRatePerSecond: number;
  windowMs: number;
  warmupMs: number;
  /** Scale: monitored items through one hot pair. */
  scaleSizes: number[];
  /** Simulator tick in the scale runs; undefined: from --rate like the overhead section. */
  scaleTickMs: number | undefined;
  scaleWindowMs: number;
  /** Time the direct one-request-per-item creation too. */
  compareCreation: boolean;
  profile: boolean;
  out: string;
}

export const USAGE =
  "usage: npm run bench -- [--quick] [--section failover|overhead|scale]... [--reps N] " +
  "[--mode cold|warm|hot]... [--fault NAME]... [--tick-ms MS] [--no-baseline] [--sizes N,N,...] " +
  "[--rate N] [--window-ms MS] [--warmup-ms MS] [--scale-sizes N,N,...] [--scale-tick-ms MS] " +
  "[--scale-window-ms MS] [--no-compare-creation] [--no-profile] [--out FILE]\n" +
  `faults: ${GATEWAY_FAULTS.map((f) => `${f.name} (${f.label})`).join(", ")}\n`;

function usage(problem: string): never {
  process.stderr.write(`${problem}\n${USAGE}`);
  process.exit(2);
}

function integer(value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) usage(`${name} must be an integer >= ${min}, got "${value}"`);
  return n;
}

function list(value: string | undefined, name: string, fallback: number[]): number[] {
  if (value === undefined) return fallback;
  return value.split(",").map((s) => integer(s.trim(), name, 0, 1));
}

/** Repeatable options may also be given comma-separated: `--mode hot,warm`. */
function names<T extends string>(values: string[] | undefined, known: readonly T[], what: string): T[] {
  const wanted = (values ?? []).flatMap((v) => v.split(",")).map((v) => v.trim().toLowerCase());
  for (const w of wanted) if (!known.includes(w as T)) usage(`unknown ${what} "${w}"`);
  return known.filter((k) => wanted.includes(k));
}

export function parseRunOptions(args: string[], defaultOut: string): RunOptions {
  const parse = () =>
    parseArgs({
      args,
      options: {
        quick: { type: "boolean", default: false },
        section: { type: "string", multiple: true },
        reps: { type: "string" },
        mode: { type: "string", multiple: true },
        fault: { type: "string", multiple: true },
        "tick-ms": { type: "string" },
        "no-baseline": { type: "boolean", default: false },
        sizes: { type: "string" },
        rate: { type: "string" },
        "window-ms": { type: "string" },
        "warmup-ms": { type: "string" },
        "scale-sizes": { type: "string" },
        "scale-tick-ms": { type: "string" },
        "scale-window-ms": { type: "string" },
        "no-compare-creation": { type: "boolean", default: false },
        "no-profile": { type: "boolean", default: false },
        out: { type: "string" },
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
  const v = parsed.values;
  if (v.help) usage("Benchmarks: failover through the gateway, overhead, scale.");
  const quick = v.quick ?? false;
  const sections = names(v.section, SECTIONS, "section");
  const modes = names(v.mode, MODES, "mode");
  const faults = names(
    v.fault,
    GATEWAY_FAULTS.map((f) => f.name),
    "fault",
  );
  return {
    quick,
    sections: sections.length > 0 ? sections : [...SECTIONS],
    reps: integer(v.reps, "--reps", quick ? 1 : 5),
    // --quick: the two ends (hot, cold) of the two kinds of fault (instant, silent)
    modes: modes.length > 0 ? modes : quick ? ["hot", "cold"] : [...MODES],
    faults: faults.length > 0 ? faults : quick ? [...QUICK_FAULT_NAMES] : GATEWAY_FAULTS.map((f) => f.name),
    failoverTickMs: integer(v["tick-ms"], "--tick-ms", 10, 10),
    baseline: !v["no-baseline"],
    sizes: list(v.sizes, "--sizes", quick ? [1000] : [1000, 10_000, 50_000]),
    overheadRatePerSecond: integer(v.rate, "--rate", 20_000),
    windowMs: integer(v["window-ms"], "--window-ms", quick ? 3000 : 10_000),
    warmupMs: integer(v["warmup-ms"], "--warmup-ms", quick ? 1000 : 5000, 0),
    scaleSizes: list(v["scale-sizes"], "--scale-sizes", quick ? [2000] : [10_000, 50_000, 100_000, 300_000]),
    scaleTickMs:
      v["scale-tick-ms"] === undefined ? undefined : integer(v["scale-tick-ms"], "--scale-tick-ms", 1000, 10),
    scaleWindowMs: integer(v["scale-window-ms"], "--scale-window-ms", quick ? 3000 : 10_000),
    compareCreation: !v["no-compare-creation"],
    profile: !v["no-profile"],
    out: v.out ?? defaultOut,
  };
}
