/**
 * `node --import tsx bench/heap-diff.ts BEFORE AFTER [--top N] [--paths N] [--class C]… [--hops N]`:
 * what grew between two heap snapshots of one process (node ids are stable within a process).
 * Prints count and self size per class in both and their difference, largest growth first; then,
 * for the classes that grew most, the commonest shortest retaining paths of the objects that are
 * new in AFTER (ids absent from BEFORE): who holds what grows.
 */
import { parseArgs } from "node:util";
import {
  classOf,
  type HeapSnapshot,
  readHeapSnapshot,
  retainers,
  retainingPath,
} from "./lib/heap-snapshot.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: "string", default: "40" },
    paths: { type: "string", default: "12" },
    /** Retaining paths for these classes too (e.g. "object UAVariableImpl"). */
    class: { type: "string", multiple: true, default: [] },
    /** Hops of a retaining path that group objects (fewer: coarser groups). */
    hops: { type: "string", default: "14" },
  },
});
const [beforePath, afterPath] = positionals;
if (!beforePath || !afterPath) {
  process.stderr.write("usage: heap-diff.ts BEFORE.heapsnapshot AFTER.heapsnapshot [--top N] [--paths N]\n");
  process.exit(64);
}
const top = Number(values.top);
const pathClasses = Number(values.paths);

function byClass(s: HeapSnapshot): Map<string, { count: number; size: number }> {
  const out = new Map<string, { count: number; size: number }>();
  for (let n = 0; n < s.nodeCount; n++) {
    const key = classOf(s, n);
    const entry = out.get(key) ?? { count: 0, size: 0 };
    entry.count++;
    entry.size += s.selfSize[n]!;
    out.set(key, entry);
  }
  return out;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} kB`;
const before = readHeapSnapshot(beforePath);
const classesBefore = byClass(before);
const idsBefore = new Set(before.id);
const after = readHeapSnapshot(afterPath);
const classesAfter = byClass(after);
const total = (m: Map<string, { size: number }>) => [...m.values()].reduce((s, e) => s + e.size, 0);
process.stdout.write(`total self size ${kb(total(classesBefore))} → ${kb(total(classesAfter))}\n\n`);

const rows = [...new Set([...classesBefore.keys(), ...classesAfter.keys()])]
  .map((key) => {
    const b = classesBefore.get(key) ?? { count: 0, size: 0 };
    const a = classesAfter.get(key) ?? { count: 0, size: 0 };
    return { key, b, a, dSize: a.size - b.size, dCount: a.count - b.count };
  })
  .sort((x, y) => y.dSize - x.dSize);
process.stdout.write("Δsize\tΔcount\tcount before→after\tclass\n");
for (const row of rows.slice(0, top))
  process.stdout.write(`${kb(row.dSize)}\t${row.dCount}\t${row.b.count}→${row.a.count}\t${row.key}\n`);

// the new objects of the classes that grew most, grouped by their shortest retaining path
const r = retainers(after);
const wanted = [
  ...rows.slice(0, pathClasses),
  ...rows.filter((row) => values.class.includes(row.key) && rows.indexOf(row) >= pathClasses),
];
for (const row of wanted) {
  const paths = new Map<string, number>();
  let seen = 0;
  for (let n = 0; n < after.nodeCount && seen < 2000; n++) {
    if (idsBefore.has(after.id[n]!) || classOf(after, n) !== row.key) continue;
    seen++;
    const path = retainingPath(after, r, n, Number(values.hops)).join("\n    ← ");
    paths.set(path, (paths.get(path) ?? 0) + 1);
  }
  process.stdout.write(`\n== ${row.key} (+${row.dCount}, ${kb(row.dSize)}): new ones by retaining path\n`);
  for (const [path, count] of [...paths.entries()].sort((x, y) => y[1] - x[1]).slice(0, 4))
    process.stdout.write(`  ${count}× ${path}\n`);
}
