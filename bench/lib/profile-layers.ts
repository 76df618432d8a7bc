/**
 * The gateway's CPU by layer over one time window of a V8 CPU profile (the scale run's steady
 * state): each sample is charged to the layer its stack says it works for — the upstream clients'
 * receive and decode, the link's dispatch, the mirror and item registry, the binding into the
 * mirrored variable, node-opcua's server (the value into the variable and its monitored items;
 * sampling, publish and encode), the garbage collector.
 */
import { round } from "./gateway-common.ts";
import { areaOf, type CallFrame } from "./profile-frames.ts";

export interface LayerCpu {
  layer: string;
  ms: number;
  /** share of the busy time in the window, % */
  percent: number;
}

export interface LayerBreakdown {
  windowMs: number;
  busyMs: number;
  layers: LayerCpu[];
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface LayeredProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export const LAYERS = {
  gc: "garbage collector",
  binding: "binding: deliver + push (src/gateway)",
  serverValue: "server: value into the variable + its monitored items (node-opcua)",
  mirror: "mirror + item registry (src/redundancy, src/client)",
  dispatch: "upstream dispatch (src/upstream)",
  clientDecode: "clients: receive + decode (2 upstream links + the downstream client)",
  server: "server: requests, publish + encode (node-opcua)",
  bench: "bench: downstream client's listener",
  other: "other (node internals, timers, native)",
} as const;

const has = (stack: readonly CallFrame[], test: (frame: CallFrame) => boolean) => stack.some(test);
const inSrc =
  (...files: string[]) =>
  (frame: CallFrame) =>
    files.some((f) => frame.url.endsWith(`/src/${f}`));

/** The layer a sample works for: `stack` from the root to the leaf. */
export function layerOf(stack: readonly CallFrame[]): string {
  const leaf = stack[stack.length - 1];
  if (!leaf) return LAYERS.other;
  if (leaf.functionName === "(garbage collector)") return LAYERS.gc;
  if (
    has(stack, inSrc("gateway/variable-binding.ts", "gateway/monitored-items.ts", "gateway/pair-engine.ts"))
  )
    return areaOf(leaf).startsWith("src/") ? LAYERS.binding : LAYERS.serverValue;
  if (has(stack, inSrc("redundancy/mirror.ts", "client/item-registry.ts"))) return LAYERS.mirror;
  if (has(stack, inSrc("upstream/item-set.ts", "upstream/link.ts", "upstream/connection.ts")))
    return LAYERS.dispatch;
  if (has(stack, (f) => /node-opcua-secure-channel\/.*\/client\/|node-opcua-client\//.test(f.url)))
    return LAYERS.clientDecode;
  if (
    has(stack, (f) =>
      /node-opcua-secure-channel\/.*\/server\/|node-opcua-(server|address-space)\//.test(f.url),
    )
  )
    return LAYERS.server;
  if (has(stack, (f) => /\/bench\//.test(f.url))) return LAYERS.bench;
  return LAYERS.other;
}

/** CPU by layer between `fromUs` and `toUs` (the profile's clock: process.hrtime in µs). */
export function layersInWindow(profile: LayeredProfile, fromUs: number, toUs: number): LayerBreakdown {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const layerCache = new Map<number, string | null>();
  const layerOfNode = (id: number): string | null => {
    const cached = layerCache.get(id);
    if (cached !== undefined) return cached;
    const stack: CallFrame[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      stack.unshift(byId.get(at)!.callFrame);
    }
    const name = stack[stack.length - 1]?.functionName;
    const layer = name === "(idle)" || name === "(root)" ? null : layerOf(stack);
    layerCache.set(id, layer);
    return layer;
  };
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const us = new Map<string, number>();
  let at = profile.startTime + (deltas[0] ?? 0);
  for (let i = 1; i < samples.length; i++) {
    const delta = deltas[i] ?? 0;
    const next = at + delta;
    // the time before sample i is charged to sample i - 1 (what ran meanwhile), as in profile.ts
    if (at >= fromUs && next <= toUs) {
      const layer = layerOfNode(samples[i - 1]!);
      if (layer !== null) us.set(layer, (us.get(layer) ?? 0) + delta);
    }
    at = next;
  }
  const busyUs = [...us.values()].reduce((a, b) => a + b, 0);
  return {
    windowMs: round((toUs - fromUs) / 1000),
    busyMs: round(busyUs / 1000),
    layers: [...us.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([layer, value]) => ({
        layer,
        ms: round(value / 1000),
        percent: round((value / Math.max(1, busyUs)) * 100),
      })),
  };
}

/** Now on the profile's clock (µs). */
export function profileClockUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
