import { type DataValue, type NodeId, resolveNodeId } from "node-opcua";
import type { Clock } from "../clock.ts";
import type { PairConfig } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import { ItemMirror, type MirrorOptions } from "../redundancy/mirror.ts";
import type { ItemSpec } from "../upstream/item-set.ts";
import type { UpstreamLink } from "../upstream/link.ts";
import { clockCorrection, isGoodValue, sameSample, sourceTimeOf } from "./data-values.ts";
import { ServerClocks } from "./server-clocks.ts";

export type ValueListener = (value: DataValue) => void;

/**
 * One shared item: it is also its mirror's options (one object per item, no closure: with 100,000
 * items every per-item object counts), delivering to its listeners.
 */
class SharedItem implements MirrorOptions<DataValue> {
  readonly spec: ItemSpec;
  readonly mirror: ItemMirror<DataValue>;
  /** Usually one listener; a Set only when a node is monitored more than once. */
  listeners: ValueListener | Set<ValueListener> | null;
  /** The pair's selection settings, shared by every item (read through, not copied). */
  readonly base: Omit<MirrorOptions<DataValue>, "deliver">;

  constructor(spec: ItemSpec, listener: ValueListener, base: Omit<MirrorOptions<DataValue>, "deliver">) {
    this.spec = spec;
    this.listeners = listener;
    this.base = base;
    this.mirror = new ItemMirror<DataValue>(this);
  }

  get serverCount(): number {
    return this.base.serverCount;
  }
  get buffered(): boolean {
    return this.base.buffered;
  }
  get bufferSize(): number {
    return this.base.bufferSize;
  }
  get correctionOf(): MirrorOptions<DataValue>["correctionOf"] {
    return this.base.correctionOf;
  }
  get maxRegressionMs(): number | undefined {
    return this.base.maxRegressionMs;
  }
  get onRegression(): MirrorOptions<DataValue>["onRegression"] {
    return this.base.onRegression;
  }
  get bestQuality(): MirrorOptions<DataValue>["bestQuality"] {
    return this.base.bestQuality;
  }
  timeOf(sample: DataValue): number | undefined {
    return sourceTimeOf(sample);
  }
  sameSample(a: DataValue, b: DataValue): boolean {
    return sameSample(a, b);
  }
  deliver(value: DataValue): void {
    const listeners = this.listeners;
    if (typeof listeners === "function") listeners(value);
    else if (listeners) for (const l of listeners) l(value);
  }

  add(listener: ValueListener): void {
    const listeners = this.listeners;
    if (listeners === null) this.listeners = listener;
    else if (typeof listeners === "function") {
      if (listeners !== listener) this.listeners = new Set([listeners, listener]);
    } else listeners.add(listener);
  }

  /** Whether `listener` was one; afterwards `empty` says whether any is left. */
  remove(listener: ValueListener): boolean {
    const listeners = this.listeners;
    if (listeners === listener) {
      this.listeners = null;
      return true;
    }
    if (typeof listeners === "function" || listeners === null || !listeners.delete(listener)) return false;
    if (listeners.size === 1) this.listeners = listeners.values().next().value ?? null;
    return true;
  }

  get empty(): boolean {
    return this.listeners === null;
  }
}

export interface ItemRegistryOptions {
  buffered: boolean;
  bufferSize: number;
  /** ordering.maxRegressionMs (default: a live regression is never delivered). */
  maxRegressionMs?: number;
  /** hot.itemSelection bestQuality: for one instant, a Good value of any server beats a Bad one. */
  bestQuality?: boolean;
  /** Items whose selection differs from `bestQuality` (hot.items), by NodeId string. */
  bestQualityOf?: ReadonlyMap<string, boolean>;
  /** The servers' clocks: offsets for cross-server comparisons, steps re-base the ordering. */
  clocks?: ServerClocks;
  logger?: Logger;
  clock?: Clock;
}

/**
 * bestQuality: how far the active server's Good values may lead a standby's stream before the
 * active takes the item back without waiting for the standby (a stalled standby): a few of the
 * slowest publishing interval, never under 2 s.
 */
function handBackLagMs(links: readonly UpstreamLink[]): number {
  const slowest = Math.max(0, ...links.map((link) => link.settings.subscription.publishingIntervalMs));
  return Math.max(2000, 10 * slowest);
}

/** One log line per server at most this often about delivered time regressions. */
const REGRESSION_LOG_INTERVAL_MS = 10_000;

/**
 * The pair's monitored items, shared by every monitor of the same node and attribute (one upstream
 * item per server however many monitors there are), each with its stream selection.
 */
export class ItemRegistry {
  readonly #items = new Map<string, SharedItem>();
  readonly #links: readonly UpstreamLink[];
  /** The mirror options of the pair's selection, and of the other one (hot.items). */
  readonly #mirrorOptions: Omit<MirrorOptions<DataValue>, "deliver">;
  readonly #otherSelection: Omit<MirrorOptions<DataValue>, "deliver">;
  readonly #options: ItemRegistryOptions;
  /** Time regressions delivered, per server (ordering.maxRegressionMs). */
  readonly regressions: number[];
  readonly #regressionLoggedAt: number[];

  constructor(links: readonly UpstreamLink[], options: ItemRegistryOptions) {
    this.#links = links;
    this.#options = options;
    this.regressions = links.map(() => 0);
    this.#regressionLoggedAt = links.map(() => Number.NEGATIVE_INFINITY);
    const offsets = options.clocks?.offsets;
    const common: Omit<MirrorOptions<DataValue>, "deliver"> = {
      serverCount: links.length,
      buffered: options.buffered,
      bufferSize: options.bufferSize,
      timeOf: sourceTimeOf,
      sameSample,
      ...(offsets ? { correctionOf: (value, server) => clockCorrection(value, offsets[server] ?? 0) } : {}),
      ...(options.maxRegressionMs === undefined ? {} : { maxRegressionMs: options.maxRegressionMs }),
      onRegression: (server, regressionMs) => this.#onRegression(server, regressionMs),
    };
    const withQuality = {
      ...common,
      bestQuality: { isGood: isGoodValue, handBackLagMs: handBackLagMs(links) },
    };
    this.#mirrorOptions = options.bestQuality ? withQuality : common;
    this.#otherSelection = options.bestQuality ? common : withQuality;
    const anyBestQuality =
      options.bestQuality || [...(options.bestQualityOf?.values() ?? [])].some((best) => best);
    options.clocks?.on("step", (step) =>
      this.forEachMirror((mirror) => mirror.clockStepped(step.index, step.stepMs, step.toleranceMs)),
    );
    for (const link of links) {
      const server = link.settings.index;
      link.on("value", (key, value, live) => this.#items.get(key)?.mirror.offer(server, value, live));
      if (anyBestQuality) {
        link.on("state", (change) => {
          if (change.to !== "connected") this.forEachMirror((mirror) => mirror.serverLost(server));
        });
      }
    }
  }

  get size(): number {
    return this.#items.size;
  }

  /** Of released items, the standby values their full hot buffers dropped. */
  #overflowedReleased = 0;
  /** Standby values dropped by full hot buffers since start, over every item (released ones too). */
  get overflowed(): number {
    let total = this.#overflowedReleased;
    for (const item of this.#items.values()) total += item.mirror.overflowed;
    return total;
  }

  static keyOf(nodeId: NodeId, attributeId: number): string {
    return `${nodeId.toString()}#${attributeId}`;
  }

  /** Add a listener; the first one creates the upstream items. Returns the shared item's mirror. */
  acquire(
    key: string,
    spec: ItemSpec,
    listener: ValueListener,
  ): { mirror: ItemMirror<DataValue>; created: boolean } {
    let item = this.#items.get(key);
    const created = item === undefined;
    if (!item) {
      const own = this.#options.bestQualityOf?.get(spec.nodeId.toString());
      const base =
        own === undefined || own === Boolean(this.#options.bestQuality)
          ? this.#mirrorOptions
          : this.#otherSelection;
      item = new SharedItem(spec, listener, base);
      this.#items.set(key, item);
      for (const link of this.#links) link.items.add(key, spec);
    } else {
      item.add(listener);
    }
    return { mirror: item.mirror, created };
  }

  /** Remove a listener; the last one deletes the upstream items. */
  release(key: string, listener: ValueListener): void {
    const item = this.#items.get(key);
    if (!item?.remove(listener) || !item.empty) return;
    this.#items.delete(key);
    this.#overflowedReleased += item.mirror.overflowed;
    for (const link of this.#links) link.items.remove(key);
  }

  forEachMirror(fn: (mirror: ItemMirror<DataValue>) => void): void {
    for (const item of this.#items.values()) fn(item.mirror);
  }

  #onRegression(server: number, regressionMs: number): void {
    this.regressions[server] = (this.regressions[server] ?? 0) + 1;
    const now = this.#options.clock?.now() ?? Date.now();
    if (now - (this.#regressionLoggedAt[server] ?? 0) < REGRESSION_LOG_INTERVAL_MS) return;
    this.#regressionLoggedAt[server] = now;
    this.#options.logger?.warn(
      { server, regressionMs: Math.round(regressionMs), total: this.regressions[server] },
      "time regression: a live value older than the last delivered one was delivered (ordering.maxRegressionMs)",
    );
  }
}

/**
 * A pair's items and its servers' clocks. Every mode buffers values that arrive from a server while
 * it is not active: in hot mode the standbys' streams, in every mode what a recovering server
 * republishes (§6.7) before the pair makes it active again (with one server, or when it was the
 * last one up).
 */
export function pairItems(
  links: readonly UpstreamLink[],
  config: PairConfig,
  options: { logger: Logger; clock: Clock },
): [ItemRegistry, ServerClocks] {
  const clocks = new ServerClocks(links, {
    stepThresholdMs: config.ordering.clockStepMs,
    names: config.servers.map((server, i) => server.name ?? `server ${i}`),
    ...options,
  });
  const items = new ItemRegistry(links, {
    buffered: true,
    bufferSize: config.hot.bufferSize,
    maxRegressionMs: config.ordering.maxRegressionMs,
    bestQuality: config.mode === "hot" && config.hot.itemSelection === "bestQuality",
    ...(config.mode === "hot" && config.hot.items.length > 0
      ? {
          bestQualityOf: new Map(
            config.hot.items.map((item) => [
              resolveNodeId(item.nodeId).toString(),
              item.itemSelection === "bestQuality",
            ]),
          ),
        }
      : {}),
    clocks,
    ...options,
  });
  return [items, clocks];
}
