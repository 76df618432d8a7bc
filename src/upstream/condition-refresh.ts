/**
 * ConditionRefresh on an upstream subscription, knowing when its replay is complete: a watcher
 * event item on the Server object (its RefreshEnd is the end of the replay) is added last to the
 * subscription for the duration of the refresh. The bracket is what Part 9 §5.5.7 defines as the
 * end; node-opcua servers send it only to Server-object items, hence a watcher of our own (items
 * are harvested in creation order, so the watcher's RefreshEnd comes after the other items'
 * replayed conditions). Refreshes of one subscription must not overlap (the caller serialises).
 */
import {
  AttributeIds,
  type ClientMonitoredItemBase,
  type ClientSubscription,
  ContentFilter,
  ContentFilterElement,
  DataType,
  EventFilter,
  FilterOperator,
  LiteralOperand,
  QualifiedName,
  resolveNodeId,
  SimpleAttributeOperand,
  type StatusCode,
  StatusCodes,
  TimestampsToReturn,
  Variant,
} from "node-opcua";

const REFRESH_END = resolveNodeId("i=2788");
const SERVER_OBJECT = "i=2253";
const CONDITION_TYPE = "i=2782";
const CONDITION_REFRESH = "i=3875";

function watcherFilter(): EventFilter {
  return new EventFilter({
    selectClauses: [
      new SimpleAttributeOperand({
        typeDefinitionId: resolveNodeId("i=2041"),
        browsePath: [new QualifiedName({ name: "EventType" })],
        attributeId: AttributeIds.Value,
      }),
    ],
    whereClause: new ContentFilter({
      elements: [
        new ContentFilterElement({
          filterOperator: FilterOperator.OfType,
          filterOperands: [
            new LiteralOperand({ value: new Variant({ dataType: DataType.NodeId, value: REFRESH_END }) }),
          ],
        }),
      ],
    }),
  });
}

/**
 * Calls ConditionRefresh on `subscription` and resolves once its RefreshEnd has come (or after
 * `timeoutMs`); `remove` deletes the watcher item (see event-items.ts deleteEventItem).
 */
export async function refreshSubscription(
  subscription: ClientSubscription,
  remove: (subscription: ClientSubscription, item: ClientMonitoredItemBase) => Promise<void>,
  timeoutMs = 5000,
): Promise<StatusCode> {
  let watcher: ClientMonitoredItemBase;
  try {
    watcher = await subscription.monitor(
      { nodeId: SERVER_OBJECT, attributeId: AttributeIds.EventNotifier },
      { samplingInterval: 0, queueSize: 10, discardOldest: true, filter: watcherFilter() },
      TimestampsToReturn.Neither,
    );
  } catch {
    return StatusCodes.BadCommunicationError;
  }
  let ended!: () => void;
  const end = new Promise<void>((resolve) => {
    ended = resolve;
  });
  watcher.on("changed", (fields: unknown) => {
    const type = (fields as Variant[])[0]?.value as { toString(): string } | undefined;
    if (type && type.toString() === REFRESH_END.toString()) setImmediate(ended);
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const [result] = await subscription.session.call([
      {
        objectId: CONDITION_TYPE,
        methodId: CONDITION_REFRESH,
        inputArguments: [{ dataType: DataType.UInt32, value: subscription.subscriptionId }],
      },
    ]);
    const status = result?.statusCode ?? StatusCodes.BadInternalError;
    if (status.isGood()) {
      await Promise.race([end, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    }
    return status;
  } catch {
    return StatusCodes.BadCommunicationError;
  } finally {
    clearTimeout(timer);
    void remove(subscription, watcher);
  }
}
