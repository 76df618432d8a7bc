/**
 * A V8 .heapsnapshot read into typed arrays (the file of a 150 MB heap is larger than a string
 * JSON.parse can take whole, so the number arrays are scanned from the bytes), with what a leak
 * hunt needs: each node's class (constructor name for objects), its retainers and its distance
 * from the GC roots, and the shortest retaining path of a node.
 */
import { readFileSync } from "node:fs";

export interface HeapSnapshot {
  nodeCount: number;
  /** Per node: type index, name string index, id, self size, first edge index. */
  type: Uint8Array;
  name: Uint32Array;
  id: Uint32Array;
  selfSize: Float64Array;
  firstEdge: Uint32Array;
  edgeType: Uint8Array;
  edgeNameOrIndex: Uint32Array;
  edgeTo: Uint32Array;
  strings: string[];
  nodeTypes: string[];
  edgeTypes: string[];
}

/** Parses the JSON number array that starts after `key` (e.g. `"nodes":[`). */
function numbersAfter(bytes: Buffer, key: string): Float64Array {
  const start = bytes.indexOf(key);
  if (start < 0) throw new Error(`${key} not found in the snapshot`);
  let count = 0;
  let i = start + key.length;
  for (let j = i; bytes[j] !== 0x5d; j++) if (bytes[j] === 0x2c) count++;
  const out = new Float64Array(count + 1);
  let n = 0;
  let value = 0;
  let inNumber = false;
  for (; bytes[i] !== 0x5d; i++) {
    const c = bytes[i]!;
    if (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30);
      inNumber = true;
    } else if (inNumber) {
      out[n++] = value;
      value = 0;
      inNumber = false;
    }
  }
  if (inNumber) out[n++] = value;
  return out.subarray(0, n);
}

export function readHeapSnapshot(path: string): HeapSnapshot {
  const bytes = readFileSync(path);
  const metaEnd = bytes.indexOf('"nodes":[');
  const head = bytes.subarray(0, metaEnd).toString("utf8").replace(/,\s*$/, "");
  const meta = JSON.parse(`${head}}`).snapshot.meta;
  const nodeFields: string[] = meta.node_fields;
  const edgeFields: string[] = meta.edge_fields;
  const nodes = numbersAfter(bytes, '"nodes":[');
  const edges = numbersAfter(bytes, '"edges":[');
  const stringsAt = bytes.indexOf('"strings":[');
  const stringsEnd = bytes.lastIndexOf("]");
  const strings: string[] = JSON.parse(bytes.subarray(stringsAt + 10, stringsEnd + 1).toString("utf8"));
  const nf = nodeFields.length;
  const ef = edgeFields.length;
  const nodeCount = nodes.length / nf;
  const edgeCount = edges.length / ef;
  const at = (fields: string[], name: string) => fields.indexOf(name);
  const snapshot: HeapSnapshot = {
    nodeCount,
    type: new Uint8Array(nodeCount),
    name: new Uint32Array(nodeCount),
    id: new Uint32Array(nodeCount),
    selfSize: new Float64Array(nodeCount),
    firstEdge: new Uint32Array(nodeCount + 1),
    edgeType: new Uint8Array(edgeCount),
    edgeNameOrIndex: new Uint32Array(edgeCount),
    edgeTo: new Uint32Array(edgeCount),
    strings,
    nodeTypes: meta.node_types[0],
    edgeTypes: meta.edge_types[0],
  };
  let edge = 0;
  for (let n = 0; n < nodeCount; n++) {
    const o = n * nf;
    snapshot.type[n] = nodes[o + at(nodeFields, "type")]!;
    snapshot.name[n] = nodes[o + at(nodeFields, "name")]!;
    snapshot.id[n] = nodes[o + at(nodeFields, "id")]!;
    snapshot.selfSize[n] = nodes[o + at(nodeFields, "self_size")]!;
    snapshot.firstEdge[n] = edge;
    edge += nodes[o + at(nodeFields, "edge_count")]!;
  }
  snapshot.firstEdge[nodeCount] = edge;
  for (let e = 0; e < edgeCount; e++) {
    const o = e * ef;
    snapshot.edgeType[e] = edges[o + at(edgeFields, "type")]!;
    snapshot.edgeNameOrIndex[e] = edges[o + at(edgeFields, "name_or_index")]!;
    snapshot.edgeTo[e] = edges[o + at(edgeFields, "to_node")]! / nf;
  }
  return snapshot;
}

/** What a node is, for aggregation: "object Foo", "closure bar", "string", "array (…)". */
export function classOf(s: HeapSnapshot, n: number): string {
  const type = s.nodeTypes[s.type[n]!]!;
  if (type === "object" || type === "closure" || type === "native") return `${type} ${s.strings[s.name[n]!]}`;
  if (type === "hidden" || type === "array" || type === "synthetic")
    return `${type} ${s.strings[s.name[n]!]!.slice(0, 60)}`;
  return type;
}

export function edgeName(s: HeapSnapshot, e: number): string {
  const type = s.edgeTypes[s.edgeType[e]!]!;
  // element indexes left out: paths that differ only by an array index are one path
  return type === "element" || type === "hidden" ? "[]" : String(s.strings[s.edgeNameOrIndex[e]!]);
}

export interface Retainers {
  /** Per node, the edges that point at it (edge indexes), from `start[n]` to `start[n + 1]`. */
  start: Uint32Array;
  edges: Uint32Array;
  /** Edge index → the node it leaves from. */
  edgeFrom: Uint32Array;
  /** Distance from the root over strong edges (0xffffffff when only weakly reachable). */
  distance: Uint32Array;
}

/** Reverse edges (weak ones left out) and each node's distance from the root. */
export function retainers(s: HeapSnapshot): Retainers {
  const weak = s.edgeTypes.indexOf("weak");
  const edgeCount = s.edgeTo.length;
  const edgeFrom = new Uint32Array(edgeCount);
  const counts = new Uint32Array(s.nodeCount + 1);
  for (let n = 0; n < s.nodeCount; n++)
    for (let e = s.firstEdge[n]!; e < s.firstEdge[n + 1]!; e++) {
      edgeFrom[e] = n;
      if (s.edgeType[e] !== weak) counts[s.edgeTo[e]! + 1]!++;
    }
  for (let n = 0; n < s.nodeCount; n++) counts[n + 1]! += counts[n]!;
  const start = counts.slice();
  const fill = counts.slice();
  const edges = new Uint32Array(counts[s.nodeCount]!);
  for (let e = 0; e < edgeCount; e++) if (s.edgeType[e] !== weak) edges[fill[s.edgeTo[e]!]!++] = e;
  const distance = new Uint32Array(s.nodeCount).fill(0xffffffff);
  const queue = new Uint32Array(s.nodeCount);
  let head = 0;
  let tail = 0;
  distance[0] = 0;
  queue[tail++] = 0;
  while (head < tail) {
    const n = queue[head++]!;
    for (let e = s.firstEdge[n]!; e < s.firstEdge[n + 1]!; e++) {
      const to = s.edgeTo[e]!;
      if (s.edgeType[e] === weak || distance[to] !== 0xffffffff) continue;
      distance[to] = distance[n]! + 1;
      queue[tail++] = to;
    }
  }
  return { start, edges, edgeFrom, distance };
}

/** The shortest retaining path of node `n`, root last: "Class.edge ← Class.edge ← …". */
export function retainingPath(s: HeapSnapshot, r: Retainers, n: number, depth = 12): string[] {
  const path: string[] = [];
  let node = n;
  for (let i = 0; i < depth && node !== 0; i++) {
    let best = -1;
    for (let k = r.start[node]!; k < r.start[node + 1]!; k++) {
      const e = r.edges[k]!;
      const from = r.edgeFrom[e]!;
      if (best < 0 || r.distance[from]! < r.distance[r.edgeFrom[best]!]!) best = e;
    }
    if (best < 0) break;
    const from = r.edgeFrom[best]!;
    path.push(`${classOf(s, from)} .${edgeName(s, best)}`);
    node = from;
  }
  return path;
}
