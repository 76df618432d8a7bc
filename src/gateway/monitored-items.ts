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

interface Entry {
  items: Set<MonitoredItemBase>;
  handle: MonitorHandle | undefined;
  /** Resolves with the upstream's first value (or never; the waiter times out). */
  firstValue: Promise<void>;
  /** The cache is what downstream items should see: the first value came, or waiting for it ended. */
  settled: boolean;
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

export function createMonitoredItemHooks(
  resolve: ResolveMirrored,
  port: UpstreamPort,
  options: MonitoredItemHookOptions = {},
): MonitoredItemHooks {
  const initialValueTimeoutMs = options.initialValueTimeoutMs ?? 1500;
  const logger = options.logger ?? silentLogger;
  const entries = new Map<UAVariable, Entry>();
  const owners = new Map<MonitoredItemBase, UAVariable>();
  const watched = new WeakSet<Subscription>();
  let closed = false;

  const start = (variable: UAVariable, upstreamNodeId: NodeId): Entry => {
    let primed!: () => void;
    const entry: Entry = {
      items: new Set(),
      handle: undefined,
      firstValue: new Promise<void>((r) => {
        primed = r;
      }),
      settled: false,
    };
    entries.set(variable, entry);
    try {
      // monitor() may deliver at once (a shared item's last value, or BadNoCommunication)
      entry.handle = port.monitor(upstreamNodeId, { samplingInterval: 0 }, (dataValue) => {
        if (entries.get(variable) !== entry) return;
        pushValue(variable, dataValue);
        entry.settled = true;
        primed();
      });
    } catch (error) {
      logger.warn({ err: error, nodeId: upstreamNodeId.toString() }, "cannot monitor upstream item");
      entry.settled = true; // nothing better is coming: reads answer the cache
      primed();
    }
    return entry;
  };

  const release = (item: MonitoredItemBase): void => {
    const variable = owners.get(item);
    if (!variable) return;
    owners.delete(item);
    const entry = entries.get(variable);
    if (!entry) return;
    entry.items.delete(item);
    if (entry.items.size > 0) return;
    entries.delete(variable);
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
      entry.items.add(item);
      owners.set(item, variable);
      watch(subscription);
      // node-opcua reads the item's initial value right after this hook: let it be the upstream's.
      // Until then reads go upstream (no downstream item listens yet, so none sees them twice).
      await atMost(entry.firstValue, initialValueTimeoutMs);
      entry.settled = true;
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
      for (const item of entry.items) owners.delete(item);
      entry.handle?.stop();
    },
    close: () => {
      closed = true;
      for (const entry of entries.values()) entry.handle?.stop();
      entries.clear();
      owners.clear();
    },
  };
}
