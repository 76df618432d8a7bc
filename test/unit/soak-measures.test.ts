/**
 * The chaos soak's measures that must not grow with the run: the streaming Counter tally (the
 * same counts as CounterRecorder, a bounded anomaly list), the write check as counters, and the
 * memory verdict ("flat within noise" for long runs, only a gross leak for short ones).
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { test } from "node:test";
import { DataType, DataValue, StatusCodes } from "node-opcua";
import { memoryProblems, summarizeMemory } from "../../bench/lib/soak-memory.ts";
import { SoakWriteCheck } from "../../bench/lib/soak-writes.ts";
import type { WriteLogEntry } from "../../src/simulator/simulator.ts";
import { CounterRecorder } from "../helpers/counter-recorder.ts";
import { CounterTally } from "../helpers/counter-tally.ts";
import type { SimProcess } from "../helpers/sim-process.ts";

const good = (value: number) => new DataValue({ value: { dataType: DataType.Int32, value } });
const bad = () => new DataValue({ statusCode: StatusCodes.BadNoCommunication });

test("CounterTally counts what CounterRecorder reports, keeps a bounded anomaly list, no values", () => {
  const sequence = [1, 2, 3, 3, 7, 5, 6, 6, 6, 9, 10];
  const recorder = new CounterRecorder();
  const tally = new CounterTally(3);
  for (const v of sequence) {
    recorder.onValue(good(v));
    tally.onValue(good(v));
  }
  tally.onValue(bad());
  const { gaps, ...expected } = recorder.report();
  assert.equal(gaps.length, 2);
  assert.deepEqual(tally.report(), expected);
  assert.deepEqual(expected, { count: 11, lost: 5, duplicates: 3, regressions: 1 });
  assert.equal(tally.bad, 1);
  assert.deepEqual(
    tally.anomalies.map((a) => a.what),
    ["repeated", "lost 3", "regressed by 2"],
  );
  assert.equal(tally.anomaliesDropped, 4, "2 more repeats, lost 2, the Bad value");
  assert.equal(Object.values(tally).filter(Array.isArray).length, 1, "the anomaly list is its only array");
});

/** A simulator as far as SoakWriteCheck sees one: the write reports of its process. */
function fakeSim(): SimProcess & { report(value: number): void } {
  const emitter = new EventEmitter();
  return {
    onWrite: (listener: (entry: WriteLogEntry) => void) => {
      emitter.on("write", listener);
      return () => emitter.off("write", listener);
    },
    report: (value: number) =>
      emitter.emit("write", { time: new Date().toISOString(), nodeId: "ns=1;s=Status", value }),
  } as unknown as SimProcess & { report(value: number): void };
}

test("SoakWriteCheck: a write on the active server only, on both, on none, reported before or after", () => {
  const sims = [fakeSim(), fakeSim(), fakeSim(), fakeSim()]; // two pairs
  const check = new SoakWriteCheck(sims);
  sims[0]!.report(1); // the simulator's report may come before the client's answer
  check.sent(0, 1, "Good", 0, 0);
  check.sent(0, 2, "Good", 0, 0);
  sims[1]!.report(2); // executed on the standby: wrong server
  check.sent(1, 3, "Good", 1, 1);
  sims[2]!.report(3);
  sims[3]!.report(3); // executed on both servers of pair 2
  check.sent(1, 4, "Good", 0, 0); // executed nowhere
  check.sent(1, 5, "BadTimeout", 0, 0);
  sims[3]!.report(6); // a write to a server of pair 2, while the write went to pair 1: not its
  check.sent(0, 6, "Good", 0, 1);
  assert.deepEqual(check.finish(), { total: 6, good: 5, wrongServer: 2, notFound: 2 });
});

const samples = (minutes: number, heapAt: (minute: number) => number) =>
  Array.from({ length: minutes * 6 }, (_, i) => {
    const t = (i + 1) * 10_000;
    return { t, rssMb: 280, heapMb: heapAt(t / 60_000) };
  });
/** ±0.4 MB that repeats: the noise of GC timing and of what is in flight at a sample. */
const noise = (minute: number) => 0.4 * Math.sin(minute * 7.3);

test("memory verdict: a 60-minute run is flat within noise, 0.1 MB/min is a leak", () => {
  const warmUp = (minute: number) => 100 + Math.min(minute, 15) * 0.5; // JIT and caches, then flat
  const flat = summarizeMemory(samples(60, (m) => warmUp(m) + noise(m)));
  assert.deepEqual(memoryProblems(flat, 60), []);
  const outlier = summarizeMemory(samples(60, (m) => warmUp(m) + noise(m) + (m > 55 && m < 56 ? 30 : 0)));
  assert.deepEqual(memoryProblems(outlier, 60), [], "one burst of samples during reconnects is not a trend");
  const leak = summarizeMemory(samples(60, (m) => warmUp(m) + noise(m) + 0.1 * m));
  assert.match(memoryProblems(leak, 60).join(), /heap not flat/);
  assert.ok(Math.abs(leak.heapThirds!.growthMbPerMin - 0.1) < 0.03, JSON.stringify(leak.heapThirds));
});

test("memory verdict: a 2-minute run (warm-up) only fails on a gross leak", () => {
  const warming = summarizeMemory(samples(2, (m) => 100 + 3 * m + noise(m)));
  assert.deepEqual(memoryProblems(warming, 2), []);
  const gross = summarizeMemory(samples(2, (m) => 100 + 40 * m));
  assert.match(memoryProblems(gross, 2).join(), /gross leak/);
});
