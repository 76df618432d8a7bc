/**
 * CPU profile of this process (the gateway and the downstream client run in it) over a section
 * of the benchmark, through the inspector (same data as `node --cpu-prof`), summarized as hot
 * spots: self time by function and by area (a src/ file, a node-opcua package, node internals,
 * GC). The raw .cpuprofile is written next to the JSON results; open it in Chrome DevTools.
 */
import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { BenchError } from "./bench-error.ts";
import { round } from "./gateway-common.ts";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface HotSpot {
  /** function (file:line) or area name */
  name: string;
  selfMs: number;
  /** share of the profiled (non-idle) time, % */
  selfPercent: number;
}

export interface ProfileSummary {
  label: string;
  file: string;
  durationMs: number;
  /** Sampled time when the thread was not idle. */
  busyMs: number;
  topFunctions: HotSpot[];
  topAreas: HotSpot[];
  /**
   * Time in or under each src/ file (inclusive: the node-opcua work it called counted too; a
   * sample counts once per file however deep the file recurs). Shows which part of the product
   * the library time is spent for.
   */
  srcInclusive: HotSpot[];
}

/** The area of a frame: a src/ file, a node-opcua package, another package, node, or V8's own. */
function areaOf(frame: CallFrame): string {
  const url = frame.url;
  if (url === "") return frame.functionName.startsWith("(") ? frame.functionName : "(native)";
  const src = /\/src\/(.+\.ts)$/.exec(url);
  if (src) return `src/${src[1]}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith("node:")) return "node internals";
  return url.replace(/^file:\/\/.*\/(bench|test)\//, "$1/");
}

function frameName(frame: CallFrame): string {
  const area = areaOf(frame);
  if (area.startsWith("(")) return area;
  const fn = frame.functionName || "(anonymous)";
  const file = area.startsWith("src/")
    ? area
    : frame.url.startsWith("node:")
      ? frame.url
      : `${area}/${frame.url.slice(frame.url.lastIndexOf("/") + 1)}`;
  return `${fn} (${file}:${frame.lineNumber + 1})`;
}

function top(map: Map<string, number>, busyMs: number, count: number): HotSpot[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => ({ name, selfMs: round(ms), selfPercent: round((ms / Math.max(1, busyMs)) * 100) }));
}

export function summarizeProfile(
  profile: CpuProfile,
  label: string,
  file: string,
  count = 15,
): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // timeDeltas[i] is the time before sample i: charge it to the sample before (what ran meanwhile)
  for (let i = 1; i < samples.length; i++) {
    const id = samples[i - 1]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i] ?? 0));
  }
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const srcInclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const files = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const area = areaOf(byId.get(at)!.callFrame);
      if (area.startsWith("src/")) files.add(area);
    }
    for (const file of files) srcInclusive.set(file, (srcInclusive.get(file) ?? 0) + us / 1000);
  }
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let busyMs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === "(idle)") continue;
    const ms = us / 1000;
    busyMs += ms;
    byFunction.set(frameName(frame), (byFunction.get(frameName(frame)) ?? 0) + ms);
    byArea.set(areaOf(frame), (byArea.get(areaOf(frame)) ?? 0) + ms);
  }
  return {
    label,
    file,
    durationMs: round((profile.endTime - profile.startTime) / 1000),
    busyMs: round(busyMs),
    topFunctions: top(byFunction, busyMs, count),
    topAreas: top(byArea, busyMs, count),
    srcInclusive: top(srcInclusive, busyMs, count),
  };
}

/** A running profile: stop() writes the .cpuprofile and returns the summary. */
export interface Profiling {
  stop(): Promise<ProfileSummary>;
}

export async function startProfiling(label: string, file: string): Promise<Profiling> {
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    // 1 ms sampling (the default is 1 ms in --cpu-prof too): cheap enough for a benchmark run
    await session.post("Profiler.setSamplingInterval", { interval: 1000 });
    await session.post("Profiler.start");
  } catch (error) {
    session.disconnect();
    throw new BenchError("BENCH_PROFILE", `could not start the CPU profiler: ${String(error)}`, {
      cause: error,
    });
  }
  return {
    async stop() {
      try {
        const { profile } = (await session.post("Profiler.stop")) as { profile: CpuProfile };
        await writeFile(file, JSON.stringify(profile));
        return summarizeProfile(profile, label, file);
      } finally {
        session.disconnect();
      }
    },
  };
}
