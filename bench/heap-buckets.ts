/**
 * `node --import tsx bench/heap-buckets.ts BEFORE AFTER`: the objects new in AFTER (ids absent from
 * BEFORE) still alive, their self size summed by who retains them: the first class on their
 * shortest retaining path (nearest first) that names an owner (see OWNERS), else "other".
 */
import { classOf, readHeapSnapshot, retainers, retainingPath } from "./lib/heap-snapshot.ts";

/** Owner patterns, checked on each hop of the path from the object towards the root. */
const OWNERS: [string, RegExp][] = [
  ["soak: CounterRecorder (every value)", /CounterRecorder|CounterTally/],
  ["soak: simulator write log", /SimProcessImpl \.writes/],
  ["soak: report (faults, samples)", /\.faults$|\.samples$|Context \.report$/],
  ["tsx/node: source maps", /SourceMap|source_map/],
  ["V8: code, shapes, feedback", /^code|object shape|feedback|BytecodeArray|SharedFunctionInfo/],
  ["gateway: diagnostics event log", /EventLog/],
  ["gateway: server sessions", /ServerSession|ServerSecureChannelLayer|ServerSidePublishEngine/],
  ["gateway: server address space", /AddressSpaceImpl|NamespaceImpl/],
  ["gateway: upstream links", /HealthProbe|Link |Connection |ItemSet|SubscriptionPool/],
  [
    "client side (soak subscribers/churn or upstream sessions)",
    /ClientSessionImpl|OPCUAClientImpl|ClientSecureChannelLayer|ClientSubscriptionImpl/,
  ],
  ["sockets", /Socket|TCP/],
];

const [beforePath, afterPath] = process.argv.slice(2);
const before = readHeapSnapshot(beforePath!);
const idsBefore = new Set(before.id);
const after = readHeapSnapshot(afterPath!);
const r = retainers(after);
const buckets = new Map<string, { count: number; size: number; classes: Map<string, number> }>();
for (let n = 0; n < after.nodeCount; n++) {
  if (idsBefore.has(after.id[n]!) || r.distance[n] === 0xffffffff) continue;
  const path = retainingPath(after, r, n, 40);
  const owner = OWNERS.find(([, re]) => path.some((hop) => re.test(hop)))?.[0] ?? `other`;
  const b = buckets.get(owner) ?? { count: 0, size: 0, classes: new Map() };
  b.count++;
  b.size += after.selfSize[n]!;
  const c = classOf(after, n);
  b.classes.set(c, (b.classes.get(c) ?? 0) + after.selfSize[n]!);
  buckets.set(owner, b);
}
for (const [owner, b] of [...buckets.entries()].sort((x, y) => y[1].size - x[1].size)) {
  const top = [...b.classes.entries()].sort((x, y) => y[1] - x[1]).slice(0, 5);
  process.stdout.write(
    `${(b.size / 1024).toFixed(0)} kB\t${b.count}\t${owner}\n\t${top.map(([c, s]) => `${c} ${(s / 1024).toFixed(0)} kB`).join("; ")}\n`,
  );
}
