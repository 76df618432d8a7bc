/**
 * Section 1 of the gateway benchmark: the same Bulk items, subscribed by a downstream node-opcua
 * client first directly on a simulator, then through a hot gateway in front of that simulator and a
 * second one (shared clock); throughput, latency, lost values, CPU and memory for both, one after
 * the other in one run.
 */
import {
  AttributeIds,
  type ClientSubscription,
  type DataValue,
  type MonitoringParametersOptions,
  TimestampsToReturn,
} from "node-opcua";
import { connectDownstream, type Downstream } from "../../test/helpers/gateway-rig.ts";
import { type SimProcess, spawnSimulator } from "../../test/helpers/sim-process.ts";
import { delay, waitFor, withTimeout } from "../../test/helpers/wait.ts";
import {
  type BenchGateway,
  createBenchGateway,
  type Distribution,
  distribution,
  loopbackUrl,
  message,
  round,
  UsageWindow,
  unknownItemNotifications,
  type WindowUsage,
} from "./gateway-common.ts";

export interface OverheadOptions {
  items: number;
  tickMs: number;
  windowMs: number;
  warmupMs: number;
  batchSize: number;
  /** Upstream subscription publishing interval of the gateway's pair (undefined: product default). */
  upstreamPublishingMs?: number;
  /** subscription.followDownstream of the gateway's pair (undefined: off, the product default). */
  followDownstream?: { minMs: number; maxMs: number };
}

/** The downstream subscription and items, the same on both paths. */
export const DOWNSTREAM = {
  publishingIntervalMs: 50,
  keepAliveCount: 20,
  lifetimeCount: 600,
  samplingIntervalMs: 0,
  queueSize: 100,
} as const;

export interface PathResult {
  path: "direct" | "gateway";
  endpointUrl: string;
  /** createMonitoredItems for every item, all batches (ms). */
  createItemsMs: number;
  /** Items whose creation answered a Bad status. */
  refusedItems: number;
  refusedStatus?: string;
  /** The measured window. */
  windowMs: number;
  expectedPerSecond: number;
  received: number;
  perSecond: number;
  /** Receive time − source timestamp (ms, this machine's clock for both). */
  latencyMs: Distribution;
  /** Values missing in the per-item sequences (sum of jumps − 1). */
  lost: number;
  /** Items with at least one jump. */
  itemsWithGaps: number;
  duplicates: number;
  regressions: number;
  badValues: number;
  /** The same sequence figures from each item's first value to the window (creation, warm-up). */
  beforeWindow: { lost: number; duplicates: number; regressions: number; badValues: number };
  /** A few of the irregular steps before the window (value before, value after). */
  beforeWindowSamples: {
    item: number;
    after: number;
    next: number;
    previousSourceTime: string | null;
    sourceTime: string | null;
    receivedAt: string;
  }[];
  /** Bad notifications by status name (before and in the window). */
  badStatuses: Record<string, number>;
  /** Items that delivered nothing in the window. */
  silentItems: number;
  /** A few gaps, for the report: item, value before, value after, receive time. */
  gapSamples: { item: number; after: number; next: number; receivedAt: string }[];
  usage: WindowUsage;
  /** Notifications for monitored items unknown to a client of this process, in the window. */
  unknownItemNotifications: number;
  /** Gateway events (link states, failovers) while the items were created and warmed up. */
  gatewayEventsSetup: GatewayEvent[];
  /** Gateway events in the window. */
  gatewayEventsWindow: GatewayEvent[];
}

export interface GatewayEvent {
  /** ms since the gateway's start() was called */
  atMs: number;
  kind: "link" | "failover" | "pair";
  detail: string;
}

/** What measurePath needs to know about the gateway (absent on the direct path's own terms). */
interface GatewayWatch {
  events: GatewayEvent[];
  steady(): boolean;
}

export interface OverheadResult {
  items: number;
  tickMs: number;
  windowMs: number;
  warmupMs: number;
  batchSize: number;
  gatewayConfig: {
    mode: "hot";
    upstreamPublishingMs: number | "default";
    followDownstream: { minMs: number; maxMs: number } | null;
  };
  simulatorStartupMs: number[];
  gatewayStartToMirroredMs?: number;
  direct?: PathResult;
  gateway?: PathResult;
  /** gateway / direct value changes per second. */
  ratio?: number;
  /** Every gateway event from its start (link states, failovers, pair states). */
  gatewayEvents?: GatewayEvent[];
  error?: string;
}

/** Per-item sequence check and latency for Bulk values, counted only inside the window. */
class BulkRecorder {
  readonly #last: Float64Array;
  readonly #lastSource: Float64Array;
  readonly #seen: Uint8Array;
  readonly latencies: number[] = [];
  recording = false;
  received = 0;
  lost = 0;
  duplicates = 0;
  regressions = 0;
  bad = 0;
  readonly gapItems = new Set<number>();
  readonly gapSamples: PathResult["gapSamples"] = [];

  constructor(readonly items: number) {
    this.#last = new Float64Array(items).fill(Number.NaN);
    this.#lastSource = new Float64Array(items).fill(Number.NaN);
    this.#seen = new Uint8Array(items);
  }

  /** From the first value to the window (item creation and warm-up). */
  readonly before = { lost: 0, duplicates: 0, regressions: 0, badValues: 0 };
  readonly beforeSamples: PathResult["beforeWindowSamples"] = [];
  /** Bad notifications by status name, before and in the window. */
  readonly badStatuses: Record<string, number> = {};
  /** Once the window has ended: nothing more is counted. */
  done = false;

  readonly onValue = (index: number, dataValue: DataValue): void => {
    if (this.done) return;
    const now = Date.now();
    if (!dataValue.statusCode.isGood()) {
      const name = dataValue.statusCode.name;
      this.badStatuses[name] = (this.badStatuses[name] ?? 0) + 1;
      if (this.recording) this.bad++;
      else this.before.badValues++;
      return;
    }
    const value = dataValue.value.value as number;
    const previous = this.#last[index]!;
    const previousSource = this.#lastSource[index]!;
    this.#last[index] = value;
    this.#lastSource[index] = dataValue.sourceTimestamp?.getTime() ?? Number.NaN;
    if (!this.recording) {
      if (Number.isNaN(previous)) return;
      const step = value - previous;
      if (step === 0) this.before.duplicates++;
      else if (step < 0) this.before.regressions++;
      else if (step > 1) this.before.lost += step - 1;
      if (step !== 1 && this.beforeSamples.length < 20) {
        this.beforeSamples.push({
          item: index,
          after: previous,
          next: value,
          previousSourceTime: Number.isNaN(previousSource) ? null : new Date(previousSource).toISOString(),
          sourceTime: dataValue.sourceTimestamp?.toISOString() ?? null,
          receivedAt: new Date(now).toISOString(),
        });
      }
      return;
    }
    this.received++;
    this.#seen[index] = 1;
    const source = dataValue.sourceTimestamp?.getTime();
    if (source !== undefined) this.latencies.push(now - source);
    if (Number.isNaN(previous)) return;
    const step = value - previous;
    if (step === 0) this.duplicates++;
    else if (step < 0) this.regressions++;
    else if (step > 1) {
      this.lost += step - 1;
      this.gapItems.add(index);
      if (this.gapSamples.length < 20) {
        this.gapSamples.push({
          item: index,
          after: previous,
          next: value,
          receivedAt: new Date(now).toISOString(),
        });
      }
    }
  };

  /** Items that have delivered at least one value (any time). */
  get primed(): number {
    let n = 0;
    for (const v of this.#last) if (!Number.isNaN(v)) n++;
    return n;
  }

  get silent(): number {
    let n = 0;
    for (const s of this.#seen) if (s === 0) n++;
    return n;
  }
}

async function monitorAll(
  subscription: ClientSubscription,
  items: number,
  batchSize: number,
  recorder: BulkRecorder,
): Promise<{ refused: number; refusedStatus?: string }> {
  const parameters: MonitoringParametersOptions = {
    samplingInterval: DOWNSTREAM.samplingIntervalMs,
    queueSize: DOWNSTREAM.queueSize,
    discardOldest: true,
  };
  let refused = 0;
  let refusedStatus: string | undefined;
  for (let first = 0; first < items; first += batchSize) {
    const count = Math.min(batchSize, items - first);
    const group = await subscription.monitorItems(
      Array.from({ length: count }, (_, k) => ({
        nodeId: `ns=1;s=Bulk.${first + k}`,
        attributeId: AttributeIds.Value,
      })),
      parameters,
      TimestampsToReturn.Both,
    );
    group.on("changed", (_item, dataValue, index) => recorder.onValue(first + index, dataValue));
    for (const item of group.monitoredItems) {
      if (!item.statusCode.isGood()) {
        refused++;
        refusedStatus ??= item.statusCode.name;
      }
    }
  }
  return { refused, ...(refusedStatus ? { refusedStatus } : {}) };
}

async function measurePath(
  path: PathResult["path"],
  endpointUrl: string,
  options: OverheadOptions,
  childPids: number[],
  watch: GatewayWatch,
  progress: (line: string) => void,
): Promise<PathResult> {
  let downstream: Downstream | undefined;
  try {
    downstream = await connectDownstream(endpointUrl);
    const recorder = new BulkRecorder(options.items);
    const eventsBefore = watch.events.length;
    const began = performance.now();
    const { refused, refusedStatus } = await monitorAll(
      downstream.subscription,
      options.items,
      options.batchSize,
      recorder,
    );
    const createItemsMs = round(performance.now() - began);
    progress(`  ${path}: ${options.items} items created in ${createItemsMs} ms; warming up`);
    await waitFor(
      () => recorder.primed >= options.items - refused,
      30_000,
      `a first value of every item (${path})`,
    ).catch(() => undefined); // reported as silent items below
    // the gateway back on its primary with the standby connected (item creation may upset it)
    await waitFor(() => watch.steady(), 30_000, "the gateway steady").catch(() => undefined);
    await delay(options.warmupMs);
    const usage = new UsageWindow(childPids);
    const eventsAtStart = watch.events.length;
    const unknownAtStart = unknownItemNotifications.total;
    recorder.recording = true;
    usage.start();
    await delay(options.windowMs);
    recorder.recording = false;
    recorder.done = true;
    const window = usage.stop();
    const unknown = unknownItemNotifications.total - unknownAtStart;
    const eventsAtEnd = watch.events.length;
    const expectedPerSecond = (options.items * 1000) / options.tickMs;
    const result: PathResult = {
      path,
      endpointUrl,
      createItemsMs,
      refusedItems: refused,
      ...(refusedStatus ? { refusedStatus } : {}),
      windowMs: window.durationMs,
      expectedPerSecond,
      received: recorder.received,
      perSecond: round((recorder.received * 1000) / window.durationMs),
      latencyMs: distribution(recorder.latencies),
      lost: recorder.lost,
      itemsWithGaps: recorder.gapItems.size,
      duplicates: recorder.duplicates,
      regressions: recorder.regressions,
      badValues: recorder.bad,
      silentItems: recorder.silent,
      beforeWindow: { ...recorder.before },
      badStatuses: { ...recorder.badStatuses },
      beforeWindowSamples: recorder.beforeSamples,
      gapSamples: recorder.gapSamples,
      usage: window,
      unknownItemNotifications: unknown,
      gatewayEventsSetup: watch.events.slice(eventsBefore, eventsAtStart),
      gatewayEventsWindow: watch.events.slice(eventsAtStart, eventsAtEnd),
    };
    progress(
      `  ${path}: ${result.perSecond}/s (expected ${expectedPerSecond}), latency p50 ${result.latencyMs.p50} ` +
        `p99 ${result.latencyMs.p99} max ${result.latencyMs.max} ms, lost ${result.lost}, ` +
        `CPU ${window.cpuPercent} %, RSS ${Math.round(window.rssMaxBytes / 2 ** 20)} MB, ` +
        `gateway events setup/window ${result.gatewayEventsSetup.length}/${result.gatewayEventsWindow.length}, ` +
        `unknown-item notifications ${unknown}; before the window: lost ${recorder.before.lost}, ` +
        `Bad ${recorder.before.badValues}, dup ${recorder.before.duplicates}`,
    );
    return result;
  } finally {
    if (downstream)
      await withTimeout(downstream.close(), 10_000, "the downstream client to close").catch(() => {});
  }
}

export async function runOverhead(
  options: OverheadOptions,
  progress: (line: string) => void,
): Promise<OverheadResult> {
  const result: OverheadResult = {
    items: options.items,
    tickMs: options.tickMs,
    windowMs: options.windowMs,
    warmupMs: options.warmupMs,
    batchSize: options.batchSize,
    gatewayConfig: {
      mode: "hot",
      upstreamPublishingMs: options.upstreamPublishingMs ?? "default",
      followDownstream: options.followDownstream ?? null,
    },
    simulatorStartupMs: [],
  };
  const sims: SimProcess[] = [];
  let bench: BenchGateway | undefined;
  try {
    sims.push(
      ...(await Promise.all(
        [0, 1].map(() => spawnSimulator({ tickMs: options.tickMs, sharedClock: true, bulk: options.items })),
      )),
    );
    result.simulatorStartupMs = sims.map((s) => round(s.startupMs));
    const pids = sims.map((s) => s.pid);
    bench = await createBenchGateway({
      mode: "hot",
      servers: sims.map((s) => loopbackUrl(s.port)),
      extra: {
        subscription: {
          ...(options.upstreamPublishingMs === undefined
            ? {}
            : { publishingIntervalMs: options.upstreamPublishingMs }),
          ...(options.followDownstream ? { followDownstream: options.followDownstream } : {}),
        },
      },
    });
    const pair = bench.gateway.pairs[0]!;
    const started = performance.now();
    const events: GatewayEvent[] = [];
    result.gatewayEvents = events;
    const at = () => round(performance.now() - started);
    pair.client.on("linkStateChanged", (c) =>
      events.push({
        atMs: at(),
        kind: "link",
        detail: `server ${c.server}: ${c.from} → ${c.to} (${c.reason})`,
      }),
    );
    pair.client.on("failover", (f) =>
      events.push({
        atMs: at(),
        kind: "failover",
        detail: `${f.fromIndex} → ${f.toIndex} ${f.reason}: ${f.detail}`,
      }),
    );
    pair.client.on("stateChanged", (c) =>
      events.push({ atMs: at(), kind: "pair", detail: `${c.from} → ${c.to} (${c.reason})` }),
    );
    const steady = () =>
      pair.mirrored &&
      pair.status().activeIndex === 0 &&
      pair.status().servers.every((s) => s.state === "connected");
    await bench.gateway.start();
    await waitFor(steady, 60_000, "the gateway mirrored, on the primary, standby connected");
    result.gatewayStartToMirroredMs = round(performance.now() - started);
    progress(`  gateway mirrored ${options.items} bulk items in ${result.gatewayStartToMirroredMs} ms`);

    // Direct first (the gateway idles meanwhile: no monitored items), then through the gateway.
    const watch = { events, steady };
    result.direct = await measurePath("direct", loopbackUrl(sims[0]!.port), options, pids, watch, progress);
    result.gateway = await measurePath("gateway", bench.endpointUrl(), options, pids, watch, progress);
    result.ratio =
      result.direct.perSecond > 0 ? round(result.gateway.perSecond / result.direct.perSecond, 3) : 0;
    return result;
  } catch (error) {
    result.error = message(error);
    return result;
  } finally {
    await bench?.stop().catch((error: unknown) => {
      result.error = `${result.error ? `${result.error}; ` : ""}gateway stop failed: ${message(error)}`;
    });
    await Promise.all(sims.map((s) => s.dispose()));
  }
}
