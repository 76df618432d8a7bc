/**
 * Allocation profile (V8's sampling heap profiler, collected objects included): where the
 * garbage the collector spends its time on comes from, by area, by function, and per src/ file
 * inclusive of what it calls.
 */
import { round } from "./gateway-common.ts";
import { areaOf, type CallFrame, frameName, type Ranked, top } from "./profile-frames.ts";

export interface SamplingHeapProfileNode {
  callFrame: CallFrame;
  /** Sampled bytes allocated by this function itself. */
  selfSize: number;
  children: SamplingHeapProfileNode[];
}

export interface SamplingHeapProfile {
  head: SamplingHeapProfileNode;
}

export interface AllocationSpot {
  name: string;
  allocatedBytes: number;
  /** share of all bytes allocated in the profile, % */
  percentOfAllocated: number;
}

export interface AllocationSummary {
  file: string;
  /** Estimated bytes allocated while profiling (kept and collected). */
  allocatedBytes: number;
  topFunctions: AllocationSpot[];
  topAreas: AllocationSpot[];
  /** Bytes allocated in or under each src/ file. */
  srcInclusive: AllocationSpot[];
}

const asSpots = (ranked: Ranked[]): AllocationSpot[] =>
  ranked.map((r) => ({ name: r.name, allocatedBytes: r.value, percentOfAllocated: r.percent }));

const add = (map: Map<string, number>, key: string, n: number) => map.set(key, (map.get(key) ?? 0) + n);

export function summarizeAllocations(
  profile: SamplingHeapProfile,
  file: string,
  count = 15,
): AllocationSummary {
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  const srcInclusive = new Map<string, number>();
  let total = 0;
  // depth-first with the src/ files on the path (counted once per node however deep they recur)
  const stack: { node: SamplingHeapProfileNode; srcFiles: ReadonlySet<string> }[] = [
    { node: profile.head, srcFiles: new Set() },
  ];
  while (stack.length > 0) {
    const { node, srcFiles } = stack.pop()!;
    const area = areaOf(node.callFrame);
    const files = area.startsWith("src/") && !srcFiles.has(area) ? new Set([...srcFiles, area]) : srcFiles;
    if (node.selfSize > 0) {
      total += node.selfSize;
      add(byFunction, frameName(node.callFrame), node.selfSize);
      add(byArea, area, node.selfSize);
      for (const f of files) add(srcInclusive, f, node.selfSize);
    }
    for (const child of node.children) stack.push({ node: child, srcFiles: files });
  }
  return {
    file,
    allocatedBytes: round(total, 0),
    topFunctions: asSpots(top(byFunction, total, count)),
    topAreas: asSpots(top(byArea, total, count)),
    srcInclusive: asSpots(top(srcInclusive, total, count)),
  };
}
