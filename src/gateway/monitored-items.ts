/**
 * Downstream monitored items on mirrored variables, mapped to ref-counted upstream monitors.
 *
 * The first downstream item (Value attribute) on a mirrored variable starts one upstream monitor
 * whose values are pushed into the variable; node-opcua's own monitored items then apply each
 * client's sampling interval, filter and queue. The last one going stops the upstream monitor.
 *
 * Release points: the server's onDeleteMonitoredItem hook (DeleteMonitoredItems, DeleteSubscriptions,
 * CloseSession with deleteSubscriptions) and, because node-opcua calls no hook when a subscription
 * dies of lifetime expiry (session timeout, orphaned subscription), each subscription's
 * "removeMonitoredItem" event. Releasing twice is harmless.
 */
import {
  AttributeIds,
  type CreateMonitoredItemHook,
  DataType,
  type DataValue,
  type DeleteMonitoredItemHook,
  type MonitoredItemBase,
  NodeClass,
  type NodeId,
  StatusCodes,
  type Subscription,
  type UAVariable,
} from "node-opcua";
import type { MonitorHandle } from "../client/types.ts";
import { type Logger, silentLogger } from "../log.ts";
import { DownstreamRates } from "./downstream-rates.ts";
import type { UpstreamPort } from "./upstream-port.ts";
import { pushValue } from "./variable-binding.ts";

export interface MirroredVariable {
  variable: UAVariable;
  upstreamNodeId: NodeId;
}

/** Finds the mirrored variable behind a downstream NodeId; undefined for the gateway's own nodes. */
export type ResolveMirrored = (downstreamNodeId: NodeId) => MirroredVariable | undefined;

export interface MonitoredItemHookOptions {
  /**
   * How long the first downstream item on a variable waits for the upstream's first value before
   * its creation completes (default 1500 ms): its initial value is then current, not the cache's.
   */
  initialValueTimeoutMs?: number;
  /**
   * A CreateMonitoredItems request with more items than this (default 100) does not wait for
   * first values: its response would otherwise wait for upstream round trips and a publishing
   * interval, and a client creating 100,000 items in batches would wait for that once per batch.
   * Its items start with the value the pair already has or, where it has none yet,
   * BadWaitingForInitialData; the upstream's first value follows as a notification.
   */
  initialValueWaitMaxItems?: number;
  /**
   * Told the fastest interval at which a downstream client can see the monitored values (see
   * downstream-rates.ts; null: no item left), once per turn of the event loop when it changes.
   */
  onFastestRequest?: (intervalMs: number | null) => void;
  logger?: Logger;
}

export interface MonitoredItemHooks {
  onCreateMonitoredItem: CreateMonitoredItemHook;
  onDeleteMonitoredItem: DeleteMonitoredItemHook;
  /**
   * True while the variable has downstream monitored items and its value is pushed from upstream
   * (from the first upstream value on, or once waiting for it has timed out).
   */
  isMonitored(variable: UAVariable): boolean;
  /** Number of variables with an upstream monitor (for diagnostics and tests). */
  readonly size: number;
  /** Stops the upstream monitor of a variable that is removed (its downstream items stay, Bad). */
  forget(variable: UAVariable): void;
  /** Stops every upstream monitor (server shutdown). */
  close(): void;
}

/** One monitored variable (a class, not closures: one per monitored item at 100,000 items). */
class Entry {
  readonly variable: UAVariable;
  /** Downstream items on the variable (which ones: `owners`). */
  items = 0;
  handle: MonitorHandle | undefined;
  /** Resolves with the upstream's first value (or never; the waiter times out); null once settled. */
  firstValue: Promise<void> | null;
  /** The cache is what downstream items should see: the first value came, or waiting for it ended. */
  settled = false;
  /** False once released: a late value is not pushed. */
  live = true;
  #primed: (() => void) | null = null;

  constructor(variable: UAVariable) {
    this.variable = variable;
    this.firstValue = new Promise<void>((resolve) => {
      this.#primed = resolve;
    });
  }

  settle(): void {
    this.settled = true;
    this.firstValue = null;
    const primed = this.#primed;
    this.#primed = null;
    primed?.();
  }

  onValue(dataValue: DataValue): void {
    if (!this.live) return;
    pushValue(this.variable, dataValue);
    if (!this.settled) this.settle();
  }
}

/** MonitoredItemBase does not declare itemToMonitor; node-opcua's MonitoredItem has it. */
function attributeOf(item: MonitoredItemBase): number | undefined {
  const itemToMonitor = (item as { itemToMonitor?: { attributeId?: number } }).itemToMonitor;
  return itemToMonitor?.attributeId;
}

/** Waits for `promise`, at most `ms`. */
async function atMost(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const MONITOR_OPTIONS = { samplingInterval: 0 };

/** No upstream value yet: the cache says so (never a stale value served as Good). */
function waitingForInitialData(variable: UAVariable): void {
  variable.setValueFromSource({ dataType: DataType.Null }, StatusCodes.BadWaitingForInitialData, new Date());
}

export function createMonitoredItemHooks(
  resolve: ResolveMirrored,
  port: UpstreamPort,
  options: MonitoredItemHookOptions = {},
): MonitoredItemHooks {
  const initialValueTimeoutMs = options.initialValueTimeoutMs ?? 1500;
  const initialValueWaitMaxItems = options.initialValueWaitMaxItems ?? 100;
  /** Items whose creation hook started in this turn of the event loop (node-opcua starts one request's all at once). */
  let burst = 0;
  let burstEnds = false;
  const countBurst = (): void => {
    burst++;
    if (burstEnds) return;
    burstEnds = true;
    setImmediate(() => {
      burst = 0;
      burstEnds = false;
    });
  };
  const logger = options.logger ?? silentLogger;
  const entries = new Map<UAVariable, Entry>();
  const owners = new Map<MonitoredItemBase, UAVariable>();
  const rates = options.onFastestRequest ? new DownstreamRates(options.onFastestRequest) : null;
  const watched = new WeakSet<Subscription>();
  let closed = false;

  const start = (variable: UAVariable, upstreamNodeId: NodeId): Entry => {
    const entry = new Entry(variable);
    entries.set(variable, entry);
    try {
      // monitor() may deliver at once (a shared item's last value, or BadNoCommunication)
      entry.handle = port.monitor(upstreamNodeId, MONITOR_OPTIONS, entry.onValue.bind(entry));
    } catch (error) {
      logger.warn({ err: error, nodeId: upstreamNodeId.toString() }, "cannot monitor upstream item");
      entry.settle(); // nothing better is coming: reads answer the cache
    }
    return entry;
  };

  const release = (item: MonitoredItemBase): void => {
    const variable = owners.get(item);
    if (!variable) return;
    owners.delete(item);
    rates?.remove(item);
    const entry = entries.get(variable);
    if (!entry) return;
    entry.items--;
    if (entry.items > 0) return;
    entries.delete(variable);
    entry.live = false;
    entry.handle?.stop();
  };

  const watch = (subscription: Subscription): void => {
    if (watched.has(subscription)) return;
    watched.add(subscription);
    subscription.on("removeMonitoredItem", (item: MonitoredItemBase) => release(item));
  };

  return {
    onCreateMonitoredItem: async (subscription, item) => {
      const node = item.node;
      if (closed || !node || node.nodeClass !== NodeClass.Variable) return StatusCodes.Good;
      if (attributeOf(item) !== AttributeIds.Value) return StatusCodes.Good;
      const mirrored = resolve(node.nodeId);
      if (!mirrored) return StatusCodes.Good;
      const { variable, upstreamNodeId } = mirrored;
      const entry = entries.get(variable) ?? start(variable, upstreamNodeId);
      if (owners.has(item)) return StatusCodes.Good;
      entry.items++;
      owners.set(item, variable);
      rates?.add(subscription, item);
      watch(subscription);
      countBurst();
      // node-opcua reads the item's initial value right after this hook: let it be the upstream's.
      // Until then reads go upstream (no downstream item listens yet, so none sees them twice).
      if (entry.firstValue) {
        await Promise.resolve(); // every hook of this request has started by now
        if (burst <= initialValueWaitMaxItems) await atMost(entry.firstValue, initialValueTimeoutMs);
        else if (!entry.settled) waitingForInitialData(variable);
      }
      if (!entry.settled) entry.settle();
      return StatusCodes.Good;
    },
    onDeleteMonitoredItem: async (_subscription, item) => {
      release(item);
      return StatusCodes.Good;
    },
    isMonitored: (variable) => entries.get(variable)?.settled === true,
    get size() {
      return entries.size;
    },
    forget: (variable) => {
      const entry = entries.get(variable);
      if (!entry) return;
      entries.delete(variable);
      // owners maps item → variable (no per-entry item set: memory at 100,000 items); a removed
      // node is a model change, rare enough for one pass over them
      if (entry.items > 0)
        for (const [item, owner] of owners) {
          if (owner !== variable) continue;
          owners.delete(item);
          rates?.remove(item);
        }
      entry.handle?.stop();
    },
    close: () => {
      closed = true;
      for (const entry of entries.values()) {
        entry.live = false;
        entry.handle?.stop();
      }
      entries.clear();
      owners.clear();
      rates?.clear();
    },
  };
}
