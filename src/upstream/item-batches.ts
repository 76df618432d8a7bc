/**
 * Many monitored items in one request. node-opcua's `subscription.monitor()` sends one
 * CreateMonitoredItems request per item and `item.terminate()` one DeleteMonitoredItems per item;
 * with thousands of items that is 4–7× slower than batches (measured by `npm run bench`, scale
 * section) and queues the link's status query behind the burst. Its public group API
 * (`ClientMonitoredItemGroup.create`) builds ordinary per-item objects — which node-opcua itself
 * re-creates after a reconnect, one by one in the subscription's table — and sends them as one
 * request; the few internal members used here are named in `Internals` so that a change in
 * node-opcua shows up as a type error in one place.
 */
import {
  AttributeIds,
  type ClientMonitoredItemBase,
  ClientMonitoredItemGroup,
  type ClientSession,
  type ClientSubscription,
  type MonitoringMode,
  type ReadValueIdOptions,
  StatusCodes,
  TimestampsToReturn,
  VariableIds,
} from "node-opcua";
import {
  deleteItems,
  rawSubscriptionService,
  removeItemGroup,
  setItemMonitoringMode,
  terminateItem,
} from "../node-opcua-private.ts";
import { toUpstreamError, UpstreamError, upstreamStatusOf } from "./upstream-error.ts";

/** Items per request when the server states no limit (node-opcua's own choice too). */
export const DEFAULT_ITEMS_PER_CALL = 1000;

/** The items of one request; `release()` once per item that is deleted or refused. */
export interface CreatedBatch {
  items: ClientMonitoredItemBase[];
  release(): void;
}

export interface BatchParameters {
  samplingInterval: number;
  queueSize: number;
  mode: MonitoringMode;
}

/**
 * Create `targets` on `subscription` in one CreateMonitoredItems request, in `mode`. Resolves with
 * one monitored item per target, in order (a refused one carries the server's statusCode and is
 * already terminated), and `release` to call as each item goes, so that the subscription lets go
 * of the group when the last one has; rejects when the request itself failed (transport, BadTooManyOperations, the
 * subscription gone), after removing every item from the subscription.
 */
export function createItemBatch(
  subscription: ClientSubscription,
  targets: ReadValueIdOptions[],
  parameters: BatchParameters,
  timeoutMs: number,
): Promise<CreatedBatch> {
  const group = ClientMonitoredItemGroup.create(
    subscription,
    targets,
    { samplingInterval: parameters.samplingInterval, queueSize: parameters.queueSize, discardOldest: true },
    TimestampsToReturn.Both,
  ) as ClientMonitoredItemGroup & NodeJS.EventEmitter;
  const items = group.monitoredItems;
  // The request is built on the next turn of the event loop: the mode set now goes with it.
  for (const item of items) setItemMonitoringMode(item, parameters.mode);
  let live = items.length;
  const release = (): void => {
    live--;
    if (live !== 0) return;
    try {
      removeItemGroup(subscription, group);
    } catch {
      // already gone with its subscription
    }
  };
  return new Promise((resolve, reject) => {
    const settle = (error?: Error): void => {
      clearTimeout(timer);
      group.removeAllListeners();
      if (error) {
        for (const item of items) terminateItem(item);
        reject(error);
      } else {
        resolve({ items, release });
      }
    };
    // node-opcua emits nothing when the subscription was terminated before the request went out.
    const timer = setTimeout(
      () => settle(new UpstreamError(StatusCodes.BadTimeout, "no answer to CreateMonitoredItems")),
      timeoutMs,
    );
    group.once("initialized", () => settle());
    group.once("err", (message: string) => settle(toUpstreamError(message)));
  });
}

/** The server refused a request for carrying more items than its limit. */
export function isTooManyOperations(error: unknown): boolean {
  return upstreamStatusOf(error)?.value === StatusCodes.BadTooManyOperations.value;
}

/**
 * Send `ids` in requests of at most `perCall`, halving it while the server answers
 * BadTooManyOperations (its limit is lower than it stated, or it stated none). Resolves with the
 * size that went through; rejects with any other failure.
 */
export async function sendInChunks<T>(
  ids: readonly T[],
  perCall: number,
  send: (chunk: T[]) => Promise<unknown>,
): Promise<number> {
  let size = Math.max(1, perCall);
  for (let i = 0; i < ids.length; ) {
    const chunk = ids.slice(i, i + size);
    try {
      await send(chunk);
      i += chunk.length;
    } catch (error) {
      if (!isTooManyOperations(error) || chunk.length === 1) throw error;
      size = Math.max(1, Math.floor(chunk.length / 2));
    }
  }
  return size;
}

/**
 * One request's operations sent as requests of at most `perCall` (halved while the server answers
 * BadTooManyOperations), their results joined in order: what a client asked in one request is
 * answered as one, whatever the server's limit.
 */
export async function requestInChunks<T, R>(
  operations: readonly T[],
  perCall: number,
  send: (chunk: T[]) => Promise<R[]>,
): Promise<R[]> {
  const results: R[] = [];
  await sendInChunks(operations, perCall, async (chunk) => {
    results.push(...(await send(chunk)));
  });
  return results;
}

/**
 * Delete `items` in DeleteMonitoredItems requests of at most `perCall` (halved on
 * BadTooManyOperations); resolves with the size that went through and never rejects (the items
 * are forgotten anyway; a subscription that is gone took them with it on the server).
 */
export async function deleteItemBatch(
  subscription: ClientSubscription,
  items: ClientMonitoredItemBase[],
  perCall: number,
): Promise<number> {
  let size = Math.max(1, perCall);
  for (let i = 0; i < items.length; i += size) {
    const chunk = items.slice(i, i + size);
    // node-opcua's own delete also takes the items out of the subscription's table (once only)
    const error = await new Promise<Error | undefined>((resolve) => {
      try {
        deleteItems(subscription, chunk, resolve);
      } catch {
        resolve(undefined);
      }
    });
    if (!isTooManyOperations(error) || chunk.length === 1) continue;
    const session = rawSubscriptionService(subscription);
    const ids = chunk.flatMap((item) =>
      item.monitoredItemId === undefined ? [] : [Number(item.monitoredItemId)],
    );
    size = await sendInChunks(ids, Math.floor(chunk.length / 2), (monitoredItemIds) =>
      session.deleteMonitoredItems({ subscriptionId: subscription.subscriptionId, monitoredItemIds }),
    ).catch(() => size);
  }
  return size;
}

/** What the server lets one request carry (its OperationLimits), each capped at DEFAULT_ITEMS_PER_CALL. */
export interface OperationLimits {
  /** MaxMonitoredItemsPerCall: Create/Modify/Delete/SetMonitoringMode. */
  itemsPerCall: number;
  /** MaxNodesPerRead. */
  nodesPerRead: number;
  /** MaxNodesPerBrowse, MaxNodesPerWrite, MaxNodesPerMethodCall: forwarded requests (request-forwarding.ts). */
  nodesPerBrowse: number;
  nodesPerWrite: number;
  nodesPerMethodCall: number;
  /** ServerCapabilities.MaxMonitoredItemsPerSubscription (not capped; 0: none stated). */
  itemsPerSubscription: number;
}

export const NO_LIMITS: Readonly<OperationLimits> = {
  itemsPerCall: DEFAULT_ITEMS_PER_CALL,
  nodesPerRead: DEFAULT_ITEMS_PER_CALL,
  nodesPerBrowse: DEFAULT_ITEMS_PER_CALL,
  nodesPerWrite: DEFAULT_ITEMS_PER_CALL,
  nodesPerMethodCall: DEFAULT_ITEMS_PER_CALL,
  itemsPerSubscription: 0,
};

/** The server's operation limits (0, absent or unreadable: DEFAULT_ITEMS_PER_CALL, or no limit per subscription). */
export async function readOperationLimits(session: ClientSession): Promise<OperationLimits> {
  const ids = [
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall,
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead,
    VariableIds.Server_ServerCapabilities_MaxMonitoredItemsPerSubscription,
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse,
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerWrite,
    VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerMethodCall,
  ];
  try {
    const values = await session.read(
      ids.map((id) => ({ nodeId: `ns=0;i=${id}`, attributeId: AttributeIds.Value })),
    );
    const [
      itemsPerCall,
      nodesPerRead,
      itemsPerSubscription,
      nodesPerBrowse,
      nodesPerWrite,
      nodesPerMethodCall,
    ] = values.map((limit) => {
      const value = limit.statusCode.isGood() ? Number(limit.value.value) : 0;
      return Number.isFinite(value) && value > 0 ? value : 0;
    });
    const capped = (value: number | undefined) =>
      value ? Math.min(value, DEFAULT_ITEMS_PER_CALL) : DEFAULT_ITEMS_PER_CALL;
    return {
      itemsPerCall: capped(itemsPerCall),
      nodesPerRead: capped(nodesPerRead),
      nodesPerBrowse: capped(nodesPerBrowse),
      nodesPerWrite: capped(nodesPerWrite),
      nodesPerMethodCall: capped(nodesPerMethodCall),
      itemsPerSubscription: itemsPerSubscription ?? 0,
    };
  } catch {
    return { ...NO_LIMITS };
  }
}
