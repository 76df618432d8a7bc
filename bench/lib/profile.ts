/**
 * CPU profile of this process (the gateway and the downstream client run in it) over a section
 * of the benchmark, through the inspector (same data as `node --cpu-prof`), summarized as hot
 * spots: self time by function and by area (a src/ file, a node-opcua package, node internals,
 * GC), plus where the allocations come from (profile-alloc.ts). The raw .cpuprofile and
 * .heapprofile are written next to the JSON results; Chrome DevTools opens them.
 */
import { readFile, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { BenchError } from "./bench-error.ts";
import { round } from "./gateway-common.ts";
import { type AllocationSummary, type SamplingHeapProfile, summarizeAllocations } from "./profile-alloc.ts";
import { areaOf, type CallFrame, frameName, type Ranked, top } from "./profile-frames.ts";
import { type LayerBreakdown, type LayeredProfile, layersInWindow } from "./profile-layers.ts";

export interface HotSpot {
  /** function (file:line), area or src/ file */
  name: string;
  selfMs: number;
  /** share of the busy (non-idle) time, % */
  selfPercent: number;
}

const asHotSpots = (ranked: Ranked[]): HotSpot[] =>
  ranked.map((r) => ({ name: r.name, selfMs: r.value, selfPercent: r.percent }));

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
  /** Where the allocations came from (the garbage collector's work). */
  allocations?: AllocationSummary;
  /** The steady-state window's CPU by layer (scale section). */
  steadyLayers?: SteadyLayers;
}

export interface SteadyLayers extends LayerBreakdown {
  /** Values delivered downstream in the window. */
  values: number;
}

/** CPU by layer in `window` (profile clock, µs) of the profile written to `file`. */
export async function steadyLayersOf(
  file: string,
  window: [number, number],
  values: number,
): Promise<SteadyLayers> {
  const profile = JSON.parse(await readFile(file, "utf8")) as LayeredProfile;
  return { ...layersInWindow(profile, window[0], window[1]), values };
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
    topFunctions: asHotSpots(top(byFunction, busyMs, count)),
    topAreas: asHotSpots(top(byArea, busyMs, count)),
    srcInclusive: asHotSpots(top(srcInclusive, busyMs, count)),
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
    await session.post("HeapProfiler.enable");
    // collected objects too: the question is what makes the garbage, not what stays
    await session.post("HeapProfiler.startSampling", {
      samplingInterval: 64 * 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    } as { samplingInterval: number });
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
        const heap = (await session.post("HeapProfiler.stopSampling")) as { profile: SamplingHeapProfile };
        const heapFile = file.replace(/\.cpuprofile$/, ".heapprofile");
        await writeFile(file, JSON.stringify(profile));
        await writeFile(heapFile, JSON.stringify(heap.profile));
        return {
          ...summarizeProfile(profile, label, file),
          allocations: summarizeAllocations(heap.profile, heapFile),
        };
      } finally {
        session.disconnect();
      }
    },
  };
}
