import type { DataValue, NodeId } from "node-opcua";
import type { Clock } from "../clock.ts";
import type { PairConfig } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import { ItemMirror, type MirrorOptions } from "../redundancy/mirror.ts";
import type { ItemSpec } from "../upstream/item-set.ts";
import type { UpstreamLink } from "../upstream/link.ts";
import { clockCorrection, isGoodValue, sameSample, sourceTimeOf } from "./data-values.ts";
import { ServerClocks } from "./server-clocks.ts";

export type ValueListener = (value: DataValue) => void;

interface SharedItem {
  spec: ItemSpec;
  mirror: ItemMirror<DataValue>;
  listeners: Set<ValueListener>;
}

export interface ItemRegistryOptions {
  buffered: boolean;
  bufferSize: number;
  /** ordering.maxRegressionMs (default: a live regression is never delivered). */
  maxRegressionMs?: number;
  /** hot.itemSelection bestQuality: for one instant, a Good value of any server beats a Bad one. */
  bestQuality?: boolean;
  /** The servers' clocks: offsets for cross-server comparisons, steps re-base the ordering. */
  clocks?: ServerClocks;
  logger?: Logger;
  clock?: Clock;
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
  readonly #mirrorOptions: Omit<MirrorOptions<DataValue>, "deliver">;
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
    this.#mirrorOptions = {
      serverCount: links.length,
      buffered: options.buffered,
      bufferSize: options.bufferSize,
      timeOf: sourceTimeOf,
      sameSample,
      ...(offsets ? { correctionOf: (value, server) => clockCorrection(value, offsets[server] ?? 0) } : {}),
      ...(options.maxRegressionMs === undefined ? {} : { maxRegressionMs: options.maxRegressionMs }),
      onRegression: (server, regressionMs) => this.#onRegression(server, regressionMs),
      ...(options.bestQuality ? { bestQuality: { isGood: isGoodValue } } : {}),
    };
    options.clocks?.on("step", (step) =>
      this.forEachMirror((mirror) => mirror.clockStepped(step.index, step.stepMs, step.toleranceMs)),
    );
    for (const link of links) {
      const server = link.settings.index;
      link.on("value", (key, value, live) => this.#items.get(key)?.mirror.offer(server, value, live));
      if (options.bestQuality) {
        link.on("state", (change) => {
          if (change.to !== "connected") this.forEachMirror((mirror) => mirror.serverLost(server));
        });
      }
    }
  }

  get size(): number {
    return this.#items.size;
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
      const listeners = new Set<ValueListener>();
      const mirror = new ItemMirror<DataValue>({
        ...this.#mirrorOptions,
        deliver: (value) => {
          for (const l of listeners) l(value);
        },
      });
      item = { spec, mirror, listeners };
      this.#items.set(key, item);
      for (const link of this.#links) link.items.add(key, spec);
    }
    item.listeners.add(listener);
    return { mirror: item.mirror, created };
  }

  /** Remove a listener; the last one deletes the upstream items. */
  release(key: string, listener: ValueListener): void {
    const item = this.#items.get(key);
    if (!item?.listeners.delete(listener) || item.listeners.size > 0) return;
    this.#items.delete(key);
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
    clocks,
    ...options,
  });
  return [items, clocks];
}
