/**
 * The benchmark's pure parts: CPU profile attribution (what the hot-spot tables say), failover
 * summaries (medians, worst, no-failover), options (--quick stays small), Markdown rendering.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { markdownTable } from "../../bench/lib/markdown.ts";
import { summarizeProfile } from "../../bench/lib/profile.ts";
import { summarizeAllocations } from "../../bench/lib/profile-alloc.ts";
import { summarizeFailover } from "../../bench/lib/report-failover.ts";
import { parseRunOptions } from "../../bench/lib/run-options.ts";
import { overheadTickMs } from "../../bench/lib/run-sections.ts";

const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });

test("profile: self time by function and area, inclusive time per src/ file, idle left out", () => {
  // root → onData (src/upstream/item-set.ts) → encode (node-opcua-types); root → (idle)
  const profile = {
    nodes: [
      { id: 1, callFrame: frame("(root)", ""), children: [2, 4] },
      { id: 2, callFrame: frame("onData", "file:///p/src/upstream/item-set.ts", 9), children: [3] },
      { id: 3, callFrame: frame("encode", "file:///p/node_modules/node-opcua-types/dist/x.js", 99) },
      { id: 4, callFrame: frame("(idle)", "") },
    ],
    startTime: 0,
    endTime: 100_000,
    // time before sample i; the time of sample i is the delta that follows it
    samples: [3, 3, 2, 4, 4],
    timeDeltas: [0, 10_000, 10_000, 20_000, 50_000],
  };
  const s = summarizeProfile(profile, "t", "/tmp/t.cpuprofile");
  assert.equal(s.durationMs, 100);
  assert.equal(s.busyMs, 40, "encode 20 ms + onData 20 ms; the idle 50 ms left out");
  assert.deepEqual(
    s.topAreas.map((a) => [a.name, a.selfMs]),
    [
      ["node-opcua-types", 20],
      ["src/upstream/item-set.ts", 20],
    ],
  );
  assert.equal(s.topFunctions[0]!.name, "encode (node-opcua-types/x.js:100)");
  assert.equal(s.topFunctions[1]!.name, "onData (src/upstream/item-set.ts:10)");
  assert.equal(s.topFunctions[0]!.selfPercent, 50);
  assert.deepEqual(
    s.srcInclusive.map((a) => [a.name, a.selfMs]),
    [["src/upstream/item-set.ts", 40]],
    "the node-opcua time under item-set.ts counts for it",
  );
});

test("allocations: bytes by function and area, inclusive per src/ file counted once when it recurs", () => {
  const node = (f: ReturnType<typeof frame>, selfSize: number, children: unknown[] = []) =>
    ({ callFrame: f, selfSize, children }) as Parameters<typeof summarizeAllocations>[0]["head"];
  const link = frame("onData", "file:///p/src/upstream/link.ts", 4);
  const decode = frame("decode", "file:///p/node_modules/node-opcua-types/dist/d.js", 9);
  // root → link → (decode 600, link → decode 300); root → decode 100
  const head = node(frame("(root)", ""), 0, [
    node(link, 0, [node(decode, 600), node(link, 0, [node(decode, 300)])]),
    node(decode, 100),
  ]);
  const a = summarizeAllocations({ head }, "/tmp/t.heapprofile");
  assert.equal(a.allocatedBytes, 1000);
  assert.deepEqual(
    a.topAreas.map((s) => [s.name, s.allocatedBytes, s.percentOfAllocated]),
    [["node-opcua-types", 1000, 100]],
  );
  assert.deepEqual(
    a.srcInclusive.map((s) => [s.name, s.allocatedBytes]),
    [["src/upstream/link.ts", 900]],
  );
});

test("failover summary: median and worst of the good repetitions, no-failover counted apart", () => {
  const ok = (rep: number, firstValueMs: number, lost: number) => ({
    rep,
    ok: true,
    detectMs: firstValueMs - 10,
    firstValueMs,
    lost,
    duplicates: 0,
    regressions: 0,
    badValues: 0,
  });
  const s = summarizeFailover("hot", "SIGKILL", [ok(1, 50, 0), ok(2, 90, 2), ok(3, 70, 0)]);
  assert.equal(s.firstValueMsMedian, 70);
  assert.equal(s.firstValueMsWorst, 90);
  assert.equal(s.lostValuesWorst, 2);
  assert.equal(s.failedReps, 0);
  const none = summarizeFailover("hot", "Quality", [
    { rep: 1, ok: false, noFailover: true, error: "no failover within 20000 ms", badValues: 5 },
  ]);
  assert.equal(none.noFailoverReps, 1);
  assert.equal(none.failedReps, 1);
  assert.equal(none.firstValueMsMedian, null);
  assert.deepEqual(none.errors, ["rep 1: no failover within 20000 ms"]);
});

test("options: the full run asks for ≥ 5 reps and every fault; --quick is small; lists parse", () => {
  const full = parseRunOptions([], "/tmp/latest.json");
  assert.equal(full.reps, 5);
  assert.equal(full.faults.length, 7);
  assert.deepEqual(full.modes, ["cold", "warm", "hot"]);
  assert.deepEqual(full.sizes, [1000, 10_000, 50_000]);
  assert.deepEqual(full.scaleSizes, [10_000, 50_000, 100_000, 300_000]);
  assert.equal(full.failoverTickMs, 10);
  const quick = parseRunOptions(["--quick"], "/tmp/latest.json");
  assert.equal(quick.reps, 1);
  assert.ok(quick.faults.length < full.faults.length);
  assert.ok(Math.max(...quick.scaleSizes) < 10_000);
  assert.ok(quick.modes.length < full.modes.length);
  const chosen = parseRunOptions(
    ["--section", "scale", "--scale-sizes", "2000,4000", "--fault", "SIGKILL,reset", "--reps", "7"],
    "/tmp/x.json",
  );
  assert.deepEqual(chosen.sections, ["scale"]);
  assert.deepEqual(chosen.scaleSizes, [2000, 4000]);
  assert.deepEqual(chosen.faults, ["sigkill", "reset"]);
  assert.equal(chosen.reps, 7);
});

test("overhead tick: about the requested value changes/s, never under 100 ms", () => {
  assert.equal(overheadTickMs(1000, 20_000), 100);
  assert.equal(overheadTickMs(10_000, 20_000), 500);
  assert.equal(overheadTickMs(50_000, 20_000), 2500);
  assert.equal(overheadTickMs(10, 20_000), 100);
});

test("markdown table: header, separator, padded rows, missing cells as –", () => {
  const table = markdownTable(
    ["a", "long name"],
    [
      [1, null],
      ["xyz", 2.25],
    ],
  );
  assert.equal(
    table,
    ["| a   | long name |", "| --- | --------- |", "| 1   | –         |", "| xyz | 2.3       |"].join("\n"),
  );
});
