/**
 * A plain node-opcua client that follows events (an event monitored item with an EventFilter), the
 * way a SCADA's alarm list does: used directly on a simulator and through the gateway.
 */
import {
  AttributeIds,
  type ClientMonitoredItem,
  type ClientSession,
  type ClientSubscription,
  ContentFilter,
  type ContentFilterOptions,
  constructEventFilter,
  type EventFilter,
  type NodeId,
  OPCUAClient,
  resolveNodeId,
  type StatusCode,
  TimestampsToReturn,
  type Variant,
} from "node-opcua";
import { waitFor } from "./wait.ts";

export const EVENT_FIELDS = [
  "EventId",
  "EventType",
  "SourceNode",
  "SourceName",
  "Time",
  "Message",
  "Severity",
  "ConditionId",
  "Retain",
  "ActiveState.Id",
  "AckedState.Id",
] as const;

export interface ReceivedEvent {
  eventId: string | null;
  eventType: string | null;
  sourceNode: string | null;
  sourceName: string | null;
  time: number | null;
  message: string | null;
  severity: number | null;
  conditionId: string | null;
  retain: boolean | null;
  active: boolean | null;
  acked: boolean | null;
  /** The raw fields, in the filter's order. */
  fields: Variant[];
  /** Which item it came by. */
  item: string;
  receivedAt: number;
}

export const REFRESH_START = "ns=0;i=2787";
export const REFRESH_END = "ns=0;i=2788";
export const EXCLUSIVE_LIMIT_ALARM = "ns=0;i=9341";
export const BASE_EVENT = "ns=0;i=2041";

function toEvent(fields: Variant[], item: string): ReceivedEvent {
  const v = (i: number) => fields[i]?.value as unknown;
  const text = (x: unknown) => (x === null || x === undefined ? null : String(x));
  const id = (x: unknown) =>
    x && typeof x === "object" && "toString" in x ? (x as NodeId).toString() : null;
  const eventId = v(0);
  return {
    eventId: Buffer.isBuffer(eventId) ? eventId.toString("hex") : null,
    eventType: id(v(1)),
    sourceNode: id(v(2)),
    sourceName: text(v(3)),
    time: v(4) instanceof Date ? (v(4) as Date).getTime() : null,
    message: (v(5) as { text?: string } | null)?.text ?? null,
    severity: typeof v(6) === "number" ? (v(6) as number) : null,
    conditionId: id(v(7)),
    retain: typeof v(8) === "boolean" ? (v(8) as boolean) : null,
    active: typeof v(9) === "boolean" ? (v(9) as boolean) : null,
    acked: typeof v(10) === "boolean" ? (v(10) as boolean) : null,
    fields,
    item,
    receivedAt: Date.now(),
  };
}

export interface EventClient {
  session: ClientSession;
  subscription: ClientSubscription;
  events: ReceivedEvent[];
  /** Adds an event item on `notifier`; resolves with its creation status. */
  monitor(
    notifier: string,
    options?: { where?: ContentFilterOptions; filter?: EventFilter; name?: string },
  ): Promise<{ item: ClientMonitoredItem; statusCode: StatusCode }>;
  waitForEvents(
    predicate: (events: ReceivedEvent[]) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<void>;
  conditionRefresh(): Promise<StatusCode>;
  /** Acknowledge on the condition `conditionId` for `eventId` (hex). */
  acknowledge(conditionId: string, eventId: string, comment?: string): Promise<StatusCode>;
  close(): Promise<void>;
}

export function alarmFilter(where?: ContentFilterOptions): EventFilter {
  const filter = constructEventFilter([...EVENT_FIELDS]);
  // ConditionId is the NodeId attribute of the ConditionType, empty browse path (Part 9 §5.5.2)
  const conditionId = filter.selectClauses![7]!;
  conditionId.typeDefinitionId = resolveNodeId("i=2782");
  conditionId.browsePath = [];
  conditionId.attributeId = AttributeIds.NodeId;
  if (where) filter.whereClause = new ContentFilter(where);
  return filter;
}

export async function connectEventClient(
  endpointUrl: string,
  options: { publishingInterval?: number } = {},
): Promise<EventClient> {
  const client = OPCUAClient.create({
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    requestedSessionTimeout: 20_000,
  });
  await client.connect(endpointUrl);
  const session = await client.createSession();
  const subscription = await session.createSubscription2({
    requestedPublishingInterval: options.publishingInterval ?? 100,
    requestedMaxKeepAliveCount: 10,
    requestedLifetimeCount: 100,
    publishingEnabled: true,
  });
  const events: ReceivedEvent[] = [];
  const result: EventClient = {
    session,
    subscription,
    events,
    async monitor(notifier, monitorOptions = {}) {
      const filter = monitorOptions.filter ?? alarmFilter(monitorOptions.where);
      const name = monitorOptions.name ?? notifier;
      const item = await subscription.monitor(
        { nodeId: notifier, attributeId: AttributeIds.EventNotifier },
        { samplingInterval: 0, queueSize: 1000, filter, discardOldest: true },
        TimestampsToReturn.Neither,
      );
      item.on("changed", (fields: unknown) => events.push(toEvent(fields as Variant[], name)));
      return { item, statusCode: item.statusCode };
    },
    waitForEvents: async (predicate, timeoutMs, what) => {
      await waitFor(() => predicate(events), timeoutMs, what);
    },
    async conditionRefresh() {
      const [r] = await session.call([
        {
          objectId: "i=2782",
          methodId: "i=3875",
          inputArguments: [{ dataType: "UInt32", value: subscription.subscriptionId }],
        },
      ]);
      return r!.statusCode;
    },
    async acknowledge(conditionId, eventId, comment = "ack") {
      const [r] = await session.call([
        {
          objectId: conditionId,
          methodId: "i=9111",
          inputArguments: [
            { dataType: "ByteString", value: Buffer.from(eventId, "hex") },
            { dataType: "LocalizedText", value: { text: comment } },
          ],
        },
      ]);
      return r!.statusCode;
    },
    async close() {
      await session.close().catch(() => undefined);
      await client.disconnect().catch(() => undefined);
    },
  };
  return result;
}

/** Events between the last RefreshStart and its RefreshEnd (the retained conditions of one refresh). */
export function refreshedConditions(events: readonly ReceivedEvent[]): ReceivedEvent[] | null {
  const end = events.findLastIndex((e) => e.eventType === REFRESH_END);
  if (end < 0) return null;
  const start = events.slice(0, end).findLastIndex((e) => e.eventType === REFRESH_START);
  if (start < 0) return null;
  return events.slice(start + 1, end);
}
