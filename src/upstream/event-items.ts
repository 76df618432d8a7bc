/**
 * The event monitored items of one upstream link (README "Events and alarms"): an item per
 * (notifier, EventFilter) the engine carries, on the link's subscription while the link carries
 * data ("full" role), kept across reconnects (node-opcua re-creates the items of a transferred or
 * re-created subscription; items whose creation failed are created again on reconnect), Disabled
 * on a warm standby like the value items.
 *
 * Filters and notifiers are canonical (see namespace-remap.ts); they are re-indexed to the
 * server's NamespaceArray when an item is created, and the event fields back to canonical.
 *
 * Refreshes: `conditionRefresh()` calls ConditionRefresh on the link's subscription; `refreshOne()`
 * replays the retained conditions for one filter only, through a temporary item of its own and
 * ConditionRefresh2, so that one downstream client's refresh reaches no other client.
 */
import { EventEmitter } from "node:events";
import {
  AttributeIds,
  type ClientMonitoredItemBase,
  type ClientSubscription,
  type EventFilter,
  MonitoringMode,
  NodeId,
  NodeIdType,
  type StatusCode,
  StatusCodes,
  TimestampsToReturn,
  type Variant,
} from "node-opcua";
import type { Logger } from "../log.ts";
import { forgetItem, rawSubscriptionService } from "../node-opcua-private.ts";
import { refreshSubscription } from "./condition-refresh.ts";
import { type NamespaceIndexMap, remapEventFilter, remapFieldVariant } from "./event-filter.ts";
import type { UpstreamItemSet } from "./item-set.ts";
import type { LinkNamespaces } from "./namespace-remap.ts";

export interface EventItemSpec {
  /** Canonical NodeId of the notifier (an Object whose EventNotifier says SubscribeToEvents). */
  notifier: NodeId;
  /** Canonical filter (with the engine's hidden fields). */
  filter: EventFilter;
}

interface EventRecord {
  spec: EventItemSpec;
  monitored?: ClientMonitoredItemBase;
  failed?: boolean;
}

/** node-opcua's default event queue; an alarm storm of more events per publish loses the oldest. */
const EVENT_QUEUE_SIZE = 1000;

const byName = StatusCodes as unknown as Record<string, StatusCode | undefined>;

/** The StatusCode node-opcua names in a refusal message ("BadEventFilterInvalid (0x…)"). */
function statusFromError(error: unknown): StatusCode {
  const message = error instanceof Error ? error.message : String(error);
  const name = /(Bad\w+)/.exec(message)?.[1];
  return (
    (name && Object.hasOwn(byName, name) ? byName[name] : undefined) ?? StatusCodes.BadCommunicationError
  );
}

function indexMaps(namespaces: LinkNamespaces): {
  toLink: NamespaceIndexMap;
  toCanonical: NamespaceIndexMap;
} {
  const probe = (i: number) => new NodeId(NodeIdType.NUMERIC, 1, i);
  return {
    toLink: (i) => namespaces.toLink(probe(i)).namespace,
    toCanonical: (i) => namespaces.toCanonical(probe(i)).namespace,
  };
}

/**
 * Deletes an event item upstream, then takes it out of node-opcua's table once a publish after the
 * delete has come: node-opcua asserts (an unhandled rejection) on an event for an item no longer in
 * its table, and events queued before the delete may still be on their way.
 */
async function deleteEventItem(
  subscription: ClientSubscription,
  item: ClientMonitoredItemBase,
): Promise<void> {
  item.removeAllListeners("changed");
  const id = item.monitoredItemId;
  if (id === undefined) {
    forgetItem(subscription, item);
    return;
  }
  try {
    await rawSubscriptionService(subscription).deleteMonitoredItems({
      subscriptionId: subscription.subscriptionId,
      monitoredItemIds: [id],
    });
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        subscription.off("raw_notification", onMessage);
        setTimeout(resolve, 200);
      };
      const onMessage = () => done();
      const timer = setTimeout(done, 5000);
      subscription.on("raw_notification", onMessage);
    });
  } catch {
    // the session is gone: so is the item
  }
  forgetItem(subscription, item);
}

export interface EventItemEvents {
  /** An event of an item (fields in canonical namespace indices). */
  event: [key: string, fields: Variant[]];
  /** An item was created (Good) or refused (the server's StatusCode). */
  eventStatus: [key: string, status: StatusCode];
}

export class UpstreamEventItems extends EventEmitter<EventItemEvents> {
  readonly #items = new Map<string, EventRecord>();
  readonly #logger: Logger;
  readonly #namespaces: LinkNamespaces;
  #subscription: ClientSubscription | null = null;
  #mode: MonitoringMode = MonitoringMode.Reporting;
  /** Refreshes of the link's subscription, one after the other. */
  #refreshing: Promise<unknown> = Promise.resolve();

  constructor(logger: Logger, namespaces: LinkNamespaces) {
    super();
    this.#logger = logger;
    this.#namespaces = namespaces;
  }

  get size(): number {
    return this.#items.size;
  }
  get attached(): boolean {
    return this.#subscription !== null;
  }

  attach(subscription: ClientSubscription): void {
    this.#subscription = subscription;
    for (const [key, record] of this.#items) if (!record.monitored) void this.#create(key, record);
  }

  /** Forget the items (the session is closing) or delete them upstream (the session goes on). */
  async detach(options: { deleteUpstream: boolean }): Promise<void> {
    const subscription = this.#subscription;
    this.#subscription = null;
    const doomed: ClientMonitoredItemBase[] = [];
    for (const record of this.#items.values()) {
      if (record.monitored) doomed.push(record.monitored);
      record.monitored = undefined;
      record.failed = false;
    }
    if (options.deleteUpstream && subscription) {
      // not awaited: the item leaves node-opcua's table only after a later publish (deleteEventItem)
      for (const m of doomed) void deleteEventItem(subscription, m);
    }
  }

  /** Resolves once every item exists upstream or was refused (at most `timeoutMs`). */
  async whenCreated(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    const pending = () => [...this.#items.values()].some((r) => !r.monitored && !r.failed);
    while ((pending() || !this.#subscription) && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  retryFailed(): void {
    if (!this.#subscription) return;
    for (const [key, record] of this.#items)
      if (record.failed && !record.monitored) void this.#create(key, record);
  }

  add(key: string, spec: EventItemSpec): void {
    if (this.#items.has(key)) return;
    const record: EventRecord = { spec };
    this.#items.set(key, record);
    if (this.#subscription) void this.#create(key, record);
  }

  remove(key: string): void {
    const record = this.#items.get(key);
    if (!record) return;
    this.#items.delete(key);
    if (record.monitored && this.#subscription) void deleteEventItem(this.#subscription, record.monitored);
  }

  async setReporting(reporting: boolean): Promise<void> {
    const mode = reporting ? MonitoringMode.Reporting : MonitoringMode.Disabled;
    if (mode === this.#mode) return;
    this.#mode = mode;
    await Promise.all(
      [...this.#items.values()].map((r) => r.monitored?.setMonitoringMode(mode).catch(() => undefined)),
    );
  }

  /** ConditionRefresh of the link's whole subscription; resolves when its replay has arrived. */
  conditionRefresh(): Promise<StatusCode> {
    const run = this.#refreshing.then(() => {
      const subscription = this.#subscription;
      return subscription
        ? refreshSubscription(subscription, deleteEventItem)
        : StatusCodes.BadServerNotConnected;
    });
    this.#refreshing = run.catch(() => undefined);
    return run;
  }

  /**
   * The retained conditions for one item's filter, to `onEvent` only: a temporary subscription of
   * the same session with an item of the same notifier and filter, ConditionRefresh on it.
   */
  async refreshOne(key: string, onEvent: (fields: Variant[]) => void): Promise<StatusCode> {
    const record = this.#items.get(key);
    const main = this.#subscription;
    if (!record || !main) return StatusCodes.BadServerNotConnected;
    let temporary: ClientSubscription | undefined;
    try {
      temporary = await main.session.createSubscription2({
        requestedPublishingInterval: main.publishingInterval,
        requestedMaxKeepAliveCount: 10,
        requestedLifetimeCount: 100,
        publishingEnabled: true,
      });
      const item = await this.#monitor(temporary, record.spec, MonitoringMode.Reporting);
      if (!item.statusCode.isGood()) return item.statusCode;
      const { toCanonical } = indexMaps(this.#namespaces);
      item.on("changed", (fields: unknown) => {
        onEvent((fields as Variant[]).map((v) => remapFieldVariant(v, toCanonical)));
      });
      return await refreshSubscription(temporary, deleteEventItem);
    } catch (error) {
      return statusFromError(error);
    } finally {
      temporary?.terminate().catch(() => undefined);
    }
  }

  #monitor(
    subscription: ClientSubscription,
    spec: EventItemSpec,
    mode: MonitoringMode,
  ): Promise<ClientMonitoredItemBase> {
    const { toLink } = indexMaps(this.#namespaces);
    return subscription.monitor(
      { nodeId: this.#namespaces.toLink(spec.notifier), attributeId: AttributeIds.EventNotifier },
      {
        samplingInterval: 0,
        queueSize: EVENT_QUEUE_SIZE,
        discardOldest: true,
        filter: remapEventFilter(spec.filter, toLink),
      },
      TimestampsToReturn.Neither,
      mode,
    );
  }

  async #create(key: string, record: EventRecord): Promise<void> {
    const subscription = this.#subscription;
    if (!subscription) return;
    let monitored: ClientMonitoredItemBase;
    try {
      monitored = await this.#monitor(subscription, record.spec, this.#mode);
    } catch (error) {
      record.failed = true;
      this.#logger.warn({ item: key, err: error }, "cannot create upstream event item");
      if (this.#items.get(key) === record) this.emit("eventStatus", key, statusFromError(error));
      return;
    }
    if (this.#subscription !== subscription || this.#items.get(key) !== record) {
      void deleteEventItem(subscription, monitored);
      return;
    }
    if (!monitored.statusCode.isGood()) {
      record.failed = true;
      this.#logger.warn({ item: key, status: monitored.statusCode.name }, "upstream refused an event item");
      this.emit("eventStatus", key, monitored.statusCode);
      return;
    }
    record.monitored = monitored;
    record.failed = false;
    const { toCanonical } = indexMaps(this.#namespaces);
    monitored.on("changed", (fields: unknown) => {
      if (this.#items.get(key) !== record) return;
      this.emit(
        "event",
        key,
        (fields as Variant[]).map((v) => remapFieldVariant(v, toCanonical)),
      );
    });
    this.emit("eventStatus", key, StatusCodes.Good);
    if (this.#mode !== MonitoringMode.Reporting)
      await monitored.setMonitoringMode(this.#mode).catch(() => undefined);
  }
}

/**
 * Event items that follow a link's value items: carried on the same subscription, attached,
 * detached (deleted upstream or forgotten) and retried together with them, so that the link
 * needs no code of its own for them.
 */
export function followItemSet(
  items: UpstreamItemSet,
  logger: Logger,
  namespaces: LinkNamespaces,
): UpstreamEventItems {
  const events = new UpstreamEventItems(logger, namespaces);
  const attach = items.attach.bind(items);
  const detach = items.detach.bind(items);
  const retryFailed = items.retryFailed.bind(items);
  items.attach = (subscription) => {
    attach(subscription);
    events.attach(subscription);
  };
  items.detach = async (options) => {
    await Promise.all([detach(options), events.detach(options)]);
  };
  items.retryFailed = () => {
    retryFailed();
    events.retryFailed();
  };
  return events;
}
