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
import { monitorEventLoopDelay } from "node:perf_hooks";
import { AttributeIds, DataType, OPCUAClient, TimestampsToReturn } from "node-opcua";
import type { CounterRecorder } from "../../test/helpers/counter-recorder.ts";
import {
  connectDownstream,
  type Downstream,
  type GatewayRig,
  startGatewayRig,
} from "../../test/helpers/gateway-rig.ts";
import { writeDirect } from "../../test/helpers/opcua.ts";
import { delay, waitFor } from "../../test/helpers/wait.ts";
import { forceGc } from "./gateway-common.ts";

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

/** Least-squares slope of y over x (per minute when x is in ms). */
function slopePerMinute(points: { t: number; y: number }[]): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.t, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.t - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.t - mx) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 60_000;
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

interface WriteRecord {
  pair: number;
  value: number;
  activeBefore: number | null;
  activeAfter: number | null;
  status: string;
}

/** One short-lived downstream client: connect, subscribe, write, call, unsubscribe, leave. */
async function churn(rig: GatewayRig, pair: number, value: number, writes: WriteRecord[]): Promise<void> {
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
    writes.push({ pair, value, activeBefore, activeAfter: status(), status: written?.name ?? "none" });
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

function anomalies(recorder: CounterRecorder, started: number): { at: number; what: string }[] {
  const found: { at: number; what: string }[] = [];
  const v = recorder.values;
  for (let i = 1; i < v.length; i++) {
    const step = v[i]!.value - v[i - 1]!.value;
    const what =
      step === 0 ? "repeated" : step < 0 ? `regressed by ${-step}` : step > 1 ? `lost ${step - 1}` : null;
    if (what) found.push({ at: v[i]!.receivedAt - started, what });
  }
  for (const b of recorder.bad) found.push({ at: b.receivedAt - started, what: b.status });
  return found.sort((a, b) => a.at - b.at).slice(0, 100);
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
  writes: { total: number; good: number; wrongServer: number; notFound: number };
  sessionsPerServer: Record<string, number[]>;
  memory: {
    samples: { t: number; rssMb: number; heapMb: number }[];
    rssSlopeMbPerMin: number;
    heapSlopeMbPerMin: number;
  };
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
    });
  // six simulators start at once: on a loaded machine one may miss its start timeout
  const rig = await start().catch((error: Error) => {
    log(`starting the rig failed (${error.message.split("\n")[0]}): once more`);
    return start();
  });
  const subscribers: Downstream[] = [];
  const recorders: CounterRecorder[] = [];
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const report: SoakReport = {
    seed: options.seed,
    minutes: options.durationMs / 60_000,
    faults: [],
    values: {},
    writes: { total: 0, good: 0, wrongServer: 0, notFound: 0 },
    sessionsPerServer: {},
    memory: { samples: [], rssSlopeMbPerMin: 0, heapSlopeMbPerMin: 0 },
    fds: { start: 0, end: 0, max: 0 },
    eventLoopDelayP99Ms: 0,
    clockEvents: 0,
    anomalies: {},
    faultErrors: 0,
    churnClients: { done: 0, failed: 0 },
  };
  const writes: WriteRecord[] = [];
  let stopping = false;
  try {
    for (const endpoint of rig.endpoints) {
      const downstream = await connectDownstream(endpoint);
      subscribers.push(downstream);
      recorders.push(await downstream.record("ns=1;s=Counter"));
    }
    await Promise.all(recorders.map((r) => r.waitForMore(10, 30_000)));
    const started = Date.now();
    report.fds.start = openFds();
    loop.enable();
    const sampler = setInterval(() => {
      forceGc(); // the heap that is still in use, not what the collector has not reached yet
      const m = process.memoryUsage();
      report.memory.samples.push({ t: Date.now() - started, rssMb: mb(m.rss), heapMb: mb(m.heapUsed) });
      report.fds.max = Math.max(report.fds.max, openFds());
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
      }
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
        bad: recorders[p]!.bad.length,
        bound: { lost: bound },
      };
      report.anomalies[mode] = anomalies(recorders[p]!, started);
    }
    for (const w of writes) {
      report.writes.total++;
      if (w.status !== "Good") continue;
      report.writes.good++;
      const on = [0, 1].filter((s) =>
        rig.sims[2 * w.pair + s]!.writes.some((e) => e.nodeId === "ns=1;s=Status" && e.value === w.value),
      );
      if (on.length === 0) report.writes.notFound++;
      else if (on.length > 1 || (w.activeBefore === w.activeAfter && on[0] !== w.activeBefore))
        report.writes.wrongServer++;
    }
    const samples = report.memory.samples.slice(Math.floor(report.memory.samples.length / 5)); // after warm-up
    report.memory.rssSlopeMbPerMin =
      Math.round(slopePerMinute(samples.map((s) => ({ t: s.t, y: s.rssMb }))) * 100) / 100;
    report.memory.heapSlopeMbPerMin =
      Math.round(slopePerMinute(samples.map((s) => ({ t: s.t, y: s.heapMb }))) * 100) / 100;
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
  if (report.memory.heapSlopeMbPerMin > 20)
    problems.push(`heap grows ${report.memory.heapSlopeMbPerMin} MB/min`);
  return problems;
}
