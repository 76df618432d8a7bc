/**
 * The CreateMonitoredItems result of a downstream item, for a create hook that must answer a Bad
 * status (the upstream refused the item's EventFilter). node-opcua's onCreateMonitoredItem hook
 * gets the item only and ignores what it returns; the result object the response is made of comes
 * from Subscription.preCreateMonitoredItem, so that method is wrapped (once per process) to
 * remember which result belongs to which item. Behaviour is otherwise unchanged.
 */
import { type MonitoredItemBase, type MonitoredItemCreateResult, Subscription } from "node-opcua";

const results = new WeakMap<object, MonitoredItemCreateResult>();

type PreCreate = (
  this: Subscription,
  ...args: unknown[]
) => { monitoredItem?: object | null; createResult: MonitoredItemCreateResult };

const prototype = Subscription.prototype as unknown as {
  preCreateMonitoredItem: PreCreate;
  __resultsKept?: boolean;
};
if (!prototype.__resultsKept) {
  prototype.__resultsKept = true;
  const original = prototype.preCreateMonitoredItem;
  prototype.preCreateMonitoredItem = function (this: Subscription, ...args: unknown[]) {
    const outcome = original.apply(this, args);
    if (outcome.monitoredItem) results.set(outcome.monitoredItem, outcome.createResult);
    return outcome;
  };
}

/** The create result node-opcua will answer for `item` (until the response is sent). */
export function createResultOf(item: MonitoredItemBase): MonitoredItemCreateResult | undefined {
  return results.get(item);
}
