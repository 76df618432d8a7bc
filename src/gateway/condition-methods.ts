/**
 * Condition methods downstream (README "Events and alarms"):
 * - ConditionRefresh / ConditionRefresh2 (on ConditionType) refresh the caller's own subscription
 *   (or its one item) from the active upstream server: RefreshStart, that server's retained
 *   conditions for each item's filter, RefreshEnd; no other client sees any of it.
 * - The methods a client calls on a condition with the NodeId of the type's method (Acknowledge,
 *   Confirm, AddComment, Enable, Disable, the shelving methods) are forwarded to the active
 *   upstream server on the same condition (NodeId re-mapped), with the arguments as given (the
 *   EventId the upstream issued, as the gateway delivers the upstream's EventIds); its StatusCode
 *   comes back as it is. A condition's own mirrored method nodes are forwarded by method-binding.ts.
 */
import {
  type AddressSpace,
  type CallMethodResultOptions,
  type ISessionContext,
  type MethodResult,
  type NodeId,
  StatusCodes,
  type Subscription,
  type UAMethod,
  type Variant,
} from "node-opcua";
import type { EventForwarding } from "./event-items.ts";
import { statusCodeOf, type UpstreamPort } from "./upstream-port.ts";
import type { ValueRemap } from "./value-remap.ts";

const CONDITION_REFRESH = "i=3875";
const CONDITION_REFRESH2 = "i=12912";

/** Type-level condition methods a client calls with a condition's NodeId as the object. */
export const FORWARDED_CONDITION_METHODS = {
  Acknowledge: "i=9111",
  Confirm: "i=9113",
  AddComment: "i=9029",
  Enable: "i=9027",
  Disable: "i=9028",
  Unshelve: "i=2947",
  OneShotShelve: "i=2948",
  TimedShelve: "i=2949",
} as const;

interface SessionWithSubscriptions {
  getSubscription?(id: number): Subscription | null;
}

function subscriptionOf(context: ISessionContext, id: unknown): Subscription | null {
  const session = context.session as unknown as SessionWithSubscriptions | undefined;
  return typeof id === "number" ? (session?.getSubscription?.(id) ?? null) : null;
}

function bind(
  addressSpace: AddressSpace,
  nodeId: string,
  run: (inputArguments: Variant[], context: ISessionContext) => Promise<CallMethodResultOptions>,
): void {
  const method = addressSpace.findNode(nodeId) as UAMethod | null;
  // Two parameters: node-opcua tells a promise-returning implementation from a callback one by arity.
  method?.bindMethod(
    (inputArguments: Variant[], context: ISessionContext) =>
      run(inputArguments, context) as Promise<MethodResult>,
  );
}

export function bindConditionMethods(
  addressSpace: AddressSpace,
  events: EventForwarding,
  port: UpstreamPort,
  mapping: () => { toUpstream(nodeId: NodeId): NodeId; remap: ValueRemap } | null,
): void {
  bind(addressSpace, CONDITION_REFRESH, async ([subscriptionId], context) => {
    const subscription = subscriptionOf(context, subscriptionId?.value);
    if (!subscription) return { statusCode: StatusCodes.BadSubscriptionIdInvalid };
    return { statusCode: await events.refresh(subscription) };
  });
  bind(addressSpace, CONDITION_REFRESH2, async ([subscriptionId, monitoredItemId], context) => {
    const subscription = subscriptionOf(context, subscriptionId?.value);
    if (!subscription) return { statusCode: StatusCodes.BadSubscriptionIdInvalid };
    const itemId = monitoredItemId?.value as number;
    if (!subscription.getMonitoredItem(itemId)) return { statusCode: StatusCodes.BadMonitoredItemIdInvalid };
    return { statusCode: await events.refresh(subscription, itemId) };
  });
  for (const methodId of Object.values(FORWARDED_CONDITION_METHODS)) {
    bind(addressSpace, methodId, async (inputArguments, context) => {
      const object = context.object?.nodeId;
      const map = mapping();
      if (!object || !map) return { statusCode: StatusCodes.BadNodeIdUnknown };
      let objectId: NodeId;
      try {
        objectId = map.toUpstream(object);
      } catch {
        return { statusCode: StatusCodes.BadNodeIdUnknown }; // not a mirrored condition
      }
      try {
        const [result] = await port.call([
          { objectId, methodId, inputArguments: inputArguments.map(map.remap.toUpstream) },
        ]);
        if (!result) return { statusCode: StatusCodes.BadInternalError };
        return {
          statusCode: result.statusCode,
          inputArgumentResults: result.inputArgumentResults ?? [],
          outputArguments: (result.outputArguments ?? []).map(map.remap.toDownstream),
        };
      } catch (error) {
        return { statusCode: statusCodeOf(error) };
      }
    });
  }
}
