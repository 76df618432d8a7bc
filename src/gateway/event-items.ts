/**
 * Downstream event monitored items served from the active upstream server (README "Events and
 * alarms"). A downstream event item on a mirrored event notifier (the Server object included)
 * becomes a listener of the pair's engine (client/event-registry.ts) with the downstream filter
 * re-mapped to canonical namespace indices; the upstream's event fields (EventIds included) are
 * re-mapped back and queued into the downstream item as they are. node-opcua's raiseEvent would
 * make new EventIds and evaluate the filter on a local event: the upstream has already applied the
 * where clause, and its EventIds are what Acknowledge and Confirm must be called with.
 *
 * Refreshes are framed per downstream item with a RefreshStart/RefreshEnd the gateway makes
 * itself (fields per the item's select clauses). The gateway's own events (gateway-events.ts) reach
 * the same items the local way (raiseEvent on the Server object and the pair's object).
 *
 * An upstream refusal of the filter (its StatusCode, e.g. BadEventFilterInvalid) is the downstream
 * item's create result: node-opcua offers no way for the create hook to answer one, so the
 * create result object is taken from Subscription.preCreateMonitoredItem (see keepCreateResults in
 * node-opcua-private.ts).
 */
import {
  type AddressSpace,
  AttributeIds,
  DataType,
  EventFilter,
  extractEventFields,
  LocalizedText,
  type MonitoredItem,
  type MonitoredItemBase,
  MonitoringMode,
  NodeClass,
  NodeId,
  NodeIdType,
  resolveNodeId,
  SessionContext,
  type StatusCode,
  StatusCodes,
  type Subscription,
  type UAEventType,
  type Variant,
} from "node-opcua";
import type { EventHandle, EventListener } from "../client/event-registry.ts";
import type { Logger } from "../log.ts";
import { createResultOf, enqueueEvent, keepCreateResults } from "../node-opcua-private.ts";
import { type NamespaceIndexMap, remapEventFilter, remapFieldVariant } from "../upstream/event-filter.ts";
import type { NamespaceMap } from "./namespace-map.ts";

export interface EventPort {
  readonly state: string;
  monitorEvents(notifier: NodeId, filter: EventFilter, listener: EventListener): EventHandle;
}

export interface EventForwarding {
  /** true: an event item this module serves (created or refused); false: not an event item of a mirror. */
  onCreate(subscription: Subscription, item: MonitoredItemBase): Promise<boolean>;
  release(item: MonitoredItemBase): void;
  /** A downstream ConditionRefresh (monitoredItemId: ConditionRefresh2) of one subscription. */
  refresh(subscription: Subscription, monitoredItemId?: number): Promise<StatusCode>;
  /** Downstream event items served from upstream. */
  readonly size: number;
  close(): void;
}

interface Served {
  subscription: Subscription;
  handle: EventHandle;
}

const SERVER_OBJECT = resolveNodeId("i=2253");
/** How long a create waits for the upstream's verdict on the filter while a server is active. */
const STATUS_WAIT_MS = 3000;

function probe(index: number): NodeId {
  return new NodeId(NodeIdType.NUMERIC, 1, index);
}

/** Index maps downstream → canonical and back (identity before anything is mirrored). */
function indexMaps(map: NamespaceMap | null): { up: NamespaceIndexMap; down: NamespaceIndexMap } {
  if (!map) return { up: (i) => i, down: (i) => i };
  const attempt = (f: () => number) => {
    try {
      return f();
    } catch {
      return undefined;
    }
  };
  return {
    up: (i) => attempt(() => map.toUpstream(probe(i)).namespace),
    down: (i) => attempt(() => map.downstreamIndex(i)),
  };
}

/** The bracket a refresh is framed with, as fields of `filter`'s select clauses. */
function bracketFields(addressSpace: AddressSpace, phase: "start" | "end", filter: EventFilter): Variant[] {
  const type = addressSpace.findEventType(
    phase === "start" ? "RefreshStartEventType" : "RefreshEndEventType",
  );
  if (!type) return [];
  const data = addressSpace.constructEventData(type as UAEventType, {
    $eventDataSource: type,
    sourceNode: { dataType: DataType.NodeId, value: SERVER_OBJECT },
    sourceName: { dataType: DataType.String, value: "Server" },
    message: {
      dataType: DataType.LocalizedText,
      value: new LocalizedText({ text: `ConditionRefresh ${phase}` }),
    },
    severity: { dataType: DataType.UInt16, value: 1 },
  });
  return extractEventFields(SessionContext.defaultContext, filter.selectClauses ?? [], data);
}

export function createEventForwarding(options: {
  addressSpace: () => AddressSpace | null;
  namespaces: () => NamespaceMap | null;
  port: EventPort;
  logger: Logger;
}): EventForwarding {
  keepCreateResults(); // the create results an upstream refusal is answered with
  const served = new Map<MonitoredItemBase, Served>();
  const watched = new WeakSet<Subscription>();
  let closed = false;

  /** The upstream (canonical) NodeId of a downstream notifier, or undefined when not mirrored. */
  const upstreamNotifier = (nodeId: NodeId): NodeId | undefined => {
    if (nodeId.namespace === 0)
      return nodeId.value === 2253 && nodeId.identifierType === NodeIdType.NUMERIC ? nodeId : undefined;
    const map = options.namespaces();
    if (!map) return undefined;
    try {
      return map.toUpstream(nodeId);
    } catch {
      return undefined; // the gateway's own namespace: its events are raised locally
    }
  };

  const release = (item: MonitoredItemBase): void => {
    const entry = served.get(item);
    if (!entry) return;
    served.delete(item);
    entry.handle.stop();
  };

  const watch = (subscription: Subscription): void => {
    if (watched.has(subscription)) return;
    watched.add(subscription);
    subscription.on("removeMonitoredItem", (item: MonitoredItemBase) => release(item));
  };

  return {
    async onCreate(subscription, base) {
      const item = base as MonitoredItem; // the class behind the interface node-opcua's hook passes
      const node = base.node;
      if (closed || !node || node.nodeClass !== NodeClass.Object) return false;
      if (item.itemToMonitor?.attributeId !== AttributeIds.EventNotifier) return false;
      if (!(item.filter instanceof EventFilter)) return false;
      const notifier = upstreamNotifier(node.nodeId);
      if (!notifier) return false;
      const downstreamFilter = item.filter;
      const { up, down } = indexMaps(options.namespaces());
      let settle!: (status: StatusCode) => void;
      const firstStatus = new Promise<StatusCode>((resolve) => {
        settle = resolve;
      });
      const enqueue = (fields: Variant[]) => {
        if (!served.has(base) || item.monitoringMode === MonitoringMode.Disabled) return;
        enqueueEvent(base, fields);
      };
      const listener: EventListener = {
        onEvent: (fields) => enqueue(fields.map((v) => remapFieldVariant(v, down))),
        onRefresh: (phase) => {
          const addressSpace = options.addressSpace();
          if (addressSpace) enqueue(bracketFields(addressSpace, phase, downstreamFilter));
        },
        onStatus: (status) => settle(status),
      };
      const handle = options.port.monitorEvents(notifier, remapEventFilter(downstreamFilter, up), listener);
      served.set(base, { subscription, handle });
      watch(subscription);
      if (options.port.state !== "active") return true; // served once a server is active
      let timer: NodeJS.Timeout | undefined;
      const status = await Promise.race([
        firstStatus,
        new Promise<StatusCode>((resolve) => {
          timer = setTimeout(() => resolve(StatusCodes.Good), STATUS_WAIT_MS);
        }),
      ]).finally(() => clearTimeout(timer));
      if (status.isGood()) return true;
      options.logger.warn(
        { notifier: node.nodeId.toString(), status: status.name },
        "the upstream refused an event item: answered downstream as it is",
      );
      release(base);
      const result = createResultOf(base);
      if (result) {
        result.statusCode = status;
        result.monitoredItemId = 0;
        result.filterResult = null;
      }
      // node-opcua finishes creating the item after this hook: delete it right after
      setImmediate(() => subscription.removeMonitoredItem(item.monitoredItemId));
      return true;
    },
    release,
    async refresh(subscription, monitoredItemId) {
      const mine = [...served.entries()].filter(
        ([item, s]) =>
          s.subscription === subscription &&
          (monitoredItemId === undefined || (item as MonitoredItem).monitoredItemId === monitoredItemId),
      );
      const results = await Promise.all(mine.map(([, s]) => s.handle.refresh()));
      return results.find((r) => r.isNotGood()) ?? StatusCodes.Good;
    },
    get size() {
      return served.size;
    },
    close() {
      closed = true;
      for (const entry of served.values()) entry.handle.stop();
      served.clear();
    },
  };
}

export type { MonitoredItem, Variant };
