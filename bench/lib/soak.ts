/**
 * The chaos soak (issue 13): one gateway with a hot, a warm and a cold pair, each of two
 * shared-clock simulators behind fault proxies; a seeded random schedule of every fault of the
 * fault list on one server at a time, every 5–30 s; long-lived downstream subscribers plus
 * clients that connect, subscribe, write, call, unsubscribe and leave all the time. It measures
 * what a plant depends on over hours: values lost / duplicated / regressed per mode, writes that
 * reached a server other than the active one, upstream sessions per server (from the servers' own
 * diagnostics), memory, file descriptors and event-loop delay.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { writeHeapSnapshot } from "node:v8";
import { AttributeIds, DataType, OPCUAClient, TimestampsToReturn } from "node-opcua";
import type { CounterTally } from "../../test/helpers/counter-tally.ts";
import {
  connectDownstream,
  type Downstream,
  type GatewayRig,
  startGatewayRig,
} from "../../test/helpers/gateway-rig.ts";
import { writeDirect } from "../../test/helpers/opcua.ts";
import { delay, waitFor } from "../../test/helpers/wait.ts";
import { forceGc } from "./gateway-common.ts";
import { type MemorySample, memoryProblems, type SoakMemory, summarizeMemory } from "./soak-memory.ts";
import { SoakWriteCheck, type WriteCounts } from "./soak-writes.ts";

export const MODES = ["hot", "warm", "cold"] as const;
export const FAULTS = [
  "kill",
  "freeze",
  "blackhole",
  "reset",
  "refuse",
  "graceful",
  "serviceLevel",
  "quality",
  "clockStep",
] as const;
type FaultKind = (typeof FAULTS)[number];

const TICK_MS = 50;

export interface SoakOptions {
  durationMs: number;
  seed: number;
  log?: (line: string) => void;
  /**
   * Heap snapshots (after the GC of a memory sample) at these minutes into the run, written to
   * `heapSnapshotDir` as soak-<minute>min.heapsnapshot, for bench/heap-diff.ts. Each one stops the
   * process for seconds (on a 120 MB heap): a run that takes them is for attribution, not figures.
   */
  heapSnapshotsAtMinutes?: number[];
  heapSnapshotDir?: string;
}

/** A small seeded PRNG (mulberry32): the same seed gives the same fault schedule. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const openFds = () => readdirSync("/proc/self/fd").length;
const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/** Sessions a server has, read from its own diagnostics (less the reading session). */
async function sessionsOn(endpointUrl: string): Promise<number> {
  const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
  await client.connect(endpointUrl);
  try {
    const session = await client.createSession();
    const [count] = await session.read([{ nodeId: "i=2277", attributeId: AttributeIds.Value }]);
    await session.close();
    return Number(count?.value.value ?? Number.NaN) - 1;
  } finally {
    await client.disconnect();
  }
}

/** One short-lived downstream client: connect, subscribe, write, call, unsubscribe, leave. */
async function churn(rig: GatewayRig, pair: number, value: number, writes: SoakWriteCheck): Promise<void> {
  const status = () => rig.gateway.pairs[pair]!.status().activeIndex;
  const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
  await client.connect(rig.endpoints[pair]!);
  try {
    const session = await client.createSession();
    const subscription = await session.createSubscription2({
      requestedPublishingInterval: 100,
      requestedMaxKeepAliveCount: 10,
      requestedLifetimeCount: 100,
      publishingEnabled: true,
    });
    const item = await subscription.monitor(
      { nodeId: "ns=1;s=Counter", attributeId: AttributeIds.Value },
      { samplingInterval: 0, queueSize: 10 },
      TimestampsToReturn.Both,
    );
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      item.once("changed", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const activeBefore = status();
    const [written] = await session.write([
      {
        nodeId: "ns=1;s=Status",
        attributeId: AttributeIds.Value,
        value: { value: { dataType: DataType.Int32, value } },
      },
    ]);
    writes.sent(pair, value, written?.name ?? "none", activeBefore, status());
    await session
      .call({
        objectId: "ns=1;s=Simulation",
        methodId: "ns=1;s=Echo",
        inputArguments: [{ dataType: DataType.String, value: "soak" }],
      })
      .catch(() => undefined);
    await subscription.terminate();
    await session.close();
  } finally {
    await client.disconnect();
  }
}

/** Applies `kind` to server `server` of pair `pair` for `holdMs`, then repairs it. */
async function applyFault(rig: GatewayRig, pair: number, server: number, kind: FaultKind, holdMs: number) {
  const i = 2 * pair + server;
  const sim = rig.sims[i]!;
  const proxy = rig.proxies[i]!;
  const url = sim.endpointUrl;
  const set = (node: string, type: DataType, value: unknown) =>
    writeDirect(url, `ns=1;s=${node}`, type, value);
  switch (kind) {
    case "kill":
      await sim.kill();
      await delay(holdMs);
      return sim.restart();
    case "graceful":
      await sim.terminate();
      await delay(holdMs);
      return sim.restart();
    case "freeze":
      sim.freeze();
      await delay(holdMs);
      return sim.thaw();
    case "blackhole":
    case "reset":
    case "refuse":
      proxy.setMode(kind);
      await delay(holdMs);
      return proxy.setMode("pass");
    case "serviceLevel":
      await set("ServiceLevel", DataType.Byte, 0);
      await delay(holdMs);
      await set("ServiceLevel", DataType.Byte, 255);
      return;
    case "quality":
      await set("Quality", DataType.Boolean, false);
      await delay(holdMs);
      await set("Quality", DataType.Boolean, true);
      return;
    case "clockStep":
      await set("ClockOffsetMs", DataType.Int32, -600_000);
      await delay(holdMs);
      await set("ClockOffsetMs", DataType.Int32, 0);
      return;
  }
}

/** The first anomalies (the tally keeps 100), ms into the run. */
function anomalies(tally: CounterTally, started: number): { at: number; what: string }[] {
  return tally.anomalies.map((a) => ({ at: a.receivedAt - started, what: a.what }));
}

/** Brings server `i` back whatever state a failed fault left it in. */
async function repair(rig: GatewayRig, i: number): Promise<void> {
  rig.proxies[i]!.setMode("pass");
  rig.sims[i]!.thaw();
  for (let attempt = 0; attempt < 3 && rig.sims[i]!.exited; attempt++) {
    await rig.sims[i]!.restart().catch(() => undefined);
  }
  for (const [node, type, value] of [
    ["ServiceLevel", DataType.Byte, 255],
    ["Quality", DataType.Boolean, true],
    ["ClockOffsetMs", DataType.Int32, 0],
  ] as const) {
    await writeDirect(rig.sims[i]!.endpointUrl, `ns=1;s=${node}`, type, value).catch(() => undefined);
  }
}

export interface SoakReport {
  seed: number;
  minutes: number;
  faults: { at: number; pair: string; server: number; kind: FaultKind; holdMs: number }[];
  values: Record<
    string,
    {
      count: number;
      lost: number;
      duplicates: number;
      regressions: number;
      bad: number;
      bound: { lost: number };
    }
  >;
  writes: WriteCounts;
  sessionsPerServer: Record<string, number[]>;
  memory: SoakMemory;
  fds: { start: number; end: number; max: number };
  eventLoopDelayP99Ms: number;
  clockEvents: number;
  /** When (ms into the run) values were lost, repeated, regressed or Bad: to line up with `faults`. */
  anomalies: Record<string, { at: number; what: string }[]>;
  /** Faults whose injection or repair failed (e.g. a restart slower than its timeout): repaired again. */
  faultErrors: number;
  churnClients: { done: number; failed: number };
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => undefined);
  const rand = random(options.seed);
  const between = (lo: number, hi: number) => Math.round(lo + rand() * (hi - lo));
  const monitors = [{ nodeId: "ns=1;s=Counter", badQuality: true as const }];
  const start = () =>
    startGatewayRig({
      oneByOne: true,
      tickMs: TICK_MS,
      pairs: MODES.map((mode) => ({ mode, extra: { monitors } })),
      simulator: { keepWrites: false }, // checked as they come (SoakWriteCheck), not kept
    });
  // six simulators start at once: on a loaded machine one may miss its start timeout
  const rig = await start().catch((error: Error) => {
    log(`starting the rig failed (${error.message.split("\n")[0]}): once more`);
    return start();
  });
  const subscribers: Downstream[] = [];
  // counts and the first anomalies, not every value: the heap samples are to measure the gateway
  const recorders: CounterTally[] = [];
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const report: SoakReport = {
    seed: options.seed,
    minutes: options.durationMs / 60_000,
    faults: [],
    values: {},
    writes: { total: 0, good: 0, wrongServer: 0, notFound: 0 },
    sessionsPerServer: {},
    memory: summarizeMemory([]),
    fds: { start: 0, end: 0, max: 0 },
    eventLoopDelayP99Ms: 0,
    clockEvents: 0,
    anomalies: {},
    faultErrors: 0,
    churnClients: { done: 0, failed: 0 },
  };
  const writes = new SoakWriteCheck(rig.sims);
  let stopping = false;
  try {
    for (const endpoint of rig.endpoints) {
      const downstream = await connectDownstream(endpoint);
      subscribers.push(downstream);
      recorders.push(await downstream.tally("ns=1;s=Counter"));
    }
    await Promise.all(recorders.map((r) => r.waitForMore(10, 30_000)));
    const started = Date.now();
    report.fds.start = openFds();
    loop.enable();
    let sampleDue = false;
    let churnerRunning = true;
    const samples: MemorySample[] = [];
    const snapshotsAt = [...(options.heapSnapshotsAtMinutes ?? [])].sort((a, b) => a - b);
    const sample = () => {
      sampleDue = false;
      forceGc(); // the heap that is still in use, not what the collector has not reached yet
      const m = process.memoryUsage();
      const t = Date.now() - started;
      samples.push({ t, rssMb: mb(m.rss), heapMb: mb(m.heapUsed) });
      report.fds.max = Math.max(report.fds.max, openFds());
      if (snapshotsAt.length > 0 && t >= snapshotsAt[0]! * 60_000) {
        const minute = snapshotsAt.shift()!;
        const file = writeHeapSnapshot(
          join(options.heapSnapshotDir ?? ".", `soak-${minute}min.heapsnapshot`),
        );
        log(`heap snapshot at ${Math.round(t / 1000)} s: ${file}`);
      }
    };
    // A sample falls due every 10 s and is taken in the churner's pause between two clients (a
    // client's session half built or half released in the gateway is ~1 MB of noise); if no
    // pause came within the next 10 s (or the churner has stopped), the timer takes it itself.
    const sampler = setInterval(() => {
      if (sampleDue || !churnerRunning) sample();
      sampleDue = true;
    }, 10_000);
    let writeValue = 1;
    const churner = (async () => {
      while (!stopping) {
        const pair = Math.floor(rand() * MODES.length);
        await churn(rig, pair, writeValue++, writes).then(
          () => report.churnClients.done++,
          () => report.churnClients.failed++,
        );
        await delay(500);
        if (sampleDue) sample();
      }
      churnerRunning = false;
    })();
    while (Date.now() - started < options.durationMs) {
      const interval = between(5000, 30_000);
      const faultStart = Date.now();
      const pair = Math.floor(rand() * MODES.length);
      const server = rand() < 0.5 ? 0 : 1;
      const kind = FAULTS[Math.floor(rand() * FAULTS.length)]!;
      const holdMs = between(3000, Math.min(8000, interval - 2000));
      report.faults.push({ at: faultStart - started, pair: MODES[pair]!, server, kind, holdMs });
      log(
        `${Math.round((faultStart - started) / 1000)} s: ${kind} on ${MODES[pair]} server ${server} for ${holdMs} ms`,
      );
      await applyFault(rig, pair, server, kind, holdMs).catch(async (error: Error) => {
        report.faultErrors++;
        log(`${kind} could not be applied or repaired (${error.message.split("\n")[0]}): repairing`);
        await repair(rig, 2 * pair + server);
      });
      // one server of a pair at a time: the next fault waits until every link is back
      await waitFor(
        () =>
          rig.gateway.pairs.every((p) =>
            p.status().servers.every((s) => s.state === "connected" || s.state === "idle"),
          ),
        60_000,
        "every link back after the fault",
      ).catch(() => log("a link is still down 60 s after the repair"));
      await delay(Math.max(0, interval - (Date.now() - faultStart)));
    }
    stopping = true;
    await churner;
    loop.disable();
    // faults stopped: let failbacks and reconnects settle, then read each server's own sessions
    await delay(10_000);
    clearInterval(sampler);
    report.eventLoopDelayP99Ms = Math.round(loop.percentile(99) / 1e6);
    report.fds.end = openFds();
    for (const [p, mode] of MODES.entries()) {
      const counts = await Promise.all(
        [0, 1].map((s) => sessionsOn(rig.sims[2 * p + s]!.endpointUrl).catch(() => Number.NaN)),
      );
      report.sessionsPerServer[mode] = counts;
      const r = recorders[p]!.report();
      const faultsHere = report.faults.filter((f) => f.pair === mode).length;
      // warm and cold lose what arrives between the fault and the switch: at most 10 s of values per fault
      const bound = mode === "hot" ? 0 : faultsHere * (10_000 / TICK_MS);
      report.values[mode] = {
        count: r.count,
        lost: r.lost,
        duplicates: r.duplicates,
        regressions: r.regressions,
        bad: recorders[p]!.bad,
        bound: { lost: bound },
      };
      report.anomalies[mode] = anomalies(recorders[p]!, started);
    }
    report.writes = writes.finish();
    report.memory = summarizeMemory(samples);
    report.clockEvents = rig.gateway.events.list({ kind: "clock" }).length;
    return report;
  } finally {
    stopping = true;
    loop.disable();
    await Promise.all(subscribers.map((s) => s.close().catch(() => undefined)));
    await rig.dispose();
  }
}

/** What the soak must show (the test and the script check the same). */
export function soakProblems(report: SoakReport): string[] {
  const problems: string[] = [];
  for (const [mode, v] of Object.entries(report.values)) {
    if (v.regressions > 0) problems.push(`${mode}: ${v.regressions} regressions`);
    if (v.duplicates > 0) problems.push(`${mode}: ${v.duplicates} duplicates`);
    if (v.lost > v.bound.lost) problems.push(`${mode}: ${v.lost} values lost (bound ${v.bound.lost})`);
  }
  if (report.values.hot && report.values.hot.bad > 0)
    problems.push(`hot: ${report.values.hot.bad} Bad values`);
  if (report.writes.wrongServer > 0)
    problems.push(`${report.writes.wrongServer} writes executed on a server that was not active`);
  for (const [mode, counts] of Object.entries(report.sessionsPerServer))
    if (counts.some((n) => !(n <= 1)))
      problems.push(`${mode}: sessions per server ${counts.join(", ")} (must be <= 1)`);
  if (report.fds.end > report.fds.start + 20)
    problems.push(`file descriptors ${report.fds.start} → ${report.fds.end}`);
  problems.push(...memoryProblems(report.memory, report.minutes));
  return problems;
}
