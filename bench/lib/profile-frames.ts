/** Naming the frames of V8 profiles (CPU and allocation): by area and by function. */
import { round } from "./gateway-common.ts";

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

/** A ranked entry before it gets its unit's name (see profile.ts, profile-alloc.ts). */
export interface Ranked {
  /** function (file:line) or area name */
  name: string;
  value: number;
  /** share of the total, % */
  percent: number;
}

/** The area of a frame: a src/ file, a node-opcua package, another package, node, or V8's own. */
export function areaOf(frame: CallFrame): string {
  const url = frame.url;
  if (url === "") return frame.functionName.startsWith("(") ? frame.functionName : "(native)";
  const src = /\/src\/(.+\.ts)$/.exec(url);
  if (src) return `src/${src[1]}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith("node:")) return "node internals";
  return url.replace(/^file:\/\/.*\/(bench|test)\//, "$1/");
}

export function frameName(frame: CallFrame): string {
  const area = areaOf(frame);
  if (area.startsWith("(")) return area;
  const fn = frame.functionName || "(anonymous)";
  const file = area.startsWith("src/")
    ? area
    : frame.url.startsWith("node:")
      ? frame.url
      : `${area}/${frame.url.slice(frame.url.lastIndexOf("/") + 1)}`;
  // tsx-compiled src/ files report line 1 for everything: leave a line out when it says nothing
  return frame.lineNumber > 0 ? `${fn} (${file}:${frame.lineNumber + 1})` : `${fn} (${file})`;
}

export function top(map: Map<string, number>, total: number, count: number): Ranked[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, value]) => ({
      name,
      value: round(value),
      percent: round((value / Math.max(1, total)) * 100),
    }));
}
