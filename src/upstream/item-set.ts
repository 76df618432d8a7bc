import {
  AttributeIds,
  type ClientMonitoredItemBase,
  type ClientSession,
  type ClientSubscription,
  DataValue,
  MonitoringMode,
  type NodeId,
  type StatusCode,
  StatusCodes,
} from "node-opcua";
import { RedundancyError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { rawSubscriptionService, setItemMonitoringMode } from "../node-opcua-private.ts";
import {
  type CreatedBatch,
  createItemBatch,
  DEFAULT_ITEMS_PER_CALL,
  deleteItemBatch,
  isTooManyOperations,
  NO_LIMITS,
  type OperationLimits,
  sendInChunks,
} from "./item-batches.ts";
import { type Reservation, SubscriptionPool } from "./subscription-pool.ts";
import { upstreamStatusOf } from "./upstream-error.ts";

export interface ItemSpec {
  nodeId: NodeId;
  attributeId?: number;
  samplingInterval: number;
  /** Absent: the server's subscription.queueSize. */
  queueSize?: number | undefined;
}

interface ItemRecord {
  spec: ItemSpec;
  monitored?: ClientMonitoredItemBase;
  /** The request the item was created in (the subscription holds it until its last item goes). */
  batch?: CreatedBatch;
  /** Creation failed (connection lost meanwhile, or the server refused the item): retried on reconnect. */
  failed?: boolean;
}

/**
 * CreateMonitoredItems requests in flight per link: enough to keep the server busy, few enough that
 * the health probe's status query is not queued behind a burst of thousands of items.
 */
const MAX_BATCHES_IN_FLIGHT = 2;

type Entry = [key: string, record: ItemRecord];

/**
 * The data monitored items of one upstream link. Items live on the link's subscription while the
 * set is attached to one; node-opcua re-creates them itself after a reconnect or server restart.
 * Items added together are created together: one CreateMonitoredItems request per batch of up to
 * `itemsPerCall` items (the server's operation limit), and deleted likewise.
 */
export class UpstreamItemSet {
  readonly #items = new Map<string, ItemRecord>();
  readonly #onValue: (key: string, value: DataValue) => void;
  readonly #logger: Logger;
  readonly #requestTimeoutMs: number;
  readonly #defaultQueueSize: number;
  /** The link's own subscription while attached (the first of the pool's). */
  #subscription: ClientSubscription | null = null;
  /** Where the items live: the link's subscription and as many more as the server's limit needs. */
  readonly #pool: SubscriptionPool;
  #mode: MonitoringMode = MonitoringMode.Reporting;
  /** Items waiting for a CreateMonitoredItems request, in the order they were added. */
  readonly #toCreate = new Map<string, ItemRecord>();
  #batchesInFlight = 0;
  #createScheduled = false;
  /** Items waiting for a DeleteMonitoredItems request, per subscription they live on. */
  readonly #toDelete = new Map<
    ClientSubscription,
    { item: ClientMonitoredItemBase; batch?: CreatedBatch }[]
  >();
  #deleteScheduled = false;
  /** Items per Create/Delete/SetMonitoringMode request: the server's MaxMonitoredItemsPerCall. */
  itemsPerCall = DEFAULT_ITEMS_PER_CALL;
  /** Nodes per Read (the server's MaxNodesPerRead). */
  nodesPerRead = DEFAULT_ITEMS_PER_CALL;
  /** The server's limits as read at the last new session (forwarded requests are split by them). */
  operationLimits: Readonly<OperationLimits> = NO_LIMITS;
  /** The server's operation limits, read at each new session. */
  set limits(limits: OperationLimits) {
    this.operationLimits = limits;
    this.itemsPerCall = limits.itemsPerCall;
    this.nodesPerRead = limits.nodesPerRead;
    this.#pool.limit = limits.itemsPerSubscription;
  }

  /** Canonical NodeId → this server's namespace indices. */
  readonly #toLink: (nodeId: NodeId) => NodeId;

  constructor(
    onValue: (key: string, value: DataValue) => void,
    logger: Logger,
    toLink: (nodeId: NodeId) => NodeId = (nodeId) => nodeId,
    options: {
      requestTimeoutMs?: number;
      defaultQueueSize?: number;
      /** Opens one more subscription like the link's own (when the server's limit per subscription is reached). */
      openSubscription?: () => Promise<ClientSubscription>;
      /** Told of every subscription opened that way. */
      onSubscriptionOpened?: (subscription: ClientSubscription) => void;
    } = {},
  ) {
    this.#onValue = onValue;
    this.#logger = logger;
    this.#toLink = toLink;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#defaultQueueSize = options.defaultQueueSize ?? 1000;
    this.#pool = new SubscriptionPool(
      options.openSubscription ??
        (() =>
          Promise.reject(
            new RedundancyError("ERR_UPSTREAM_REQUEST", "no further subscription", {
              statusCode: "BadTooManyMonitoredItems",
            }),
          )),
      options.onSubscriptionOpened ?? (() => undefined),
    );
  }

  /** Every subscription the items live on (the link's own first). */
  get subscriptions(): ClientSubscription[] {
    return this.#pool.subscriptions;
  }

  get size(): number {
    return this.#items.size;
  }
  /** Items that exist on the server now (the rest are being created, or were refused). */
  get created(): number {
    let count = 0;
    for (const record of this.#items.values()) if (record.monitored) count++;
    return count;
  }
  get reporting(): boolean {
    return this.#mode === MonitoringMode.Reporting;
  }

  /**
   * Start creating every item on `subscription` (which holds `ownItems` items of the link's own),
   * and on more subscriptions where the server's limit per subscription requires.
   */
  attach(subscription: ClientSubscription, ownItems = 0): void {
    this.#subscription = subscription;
    this.#pool.reset(subscription, ownItems);
    for (const [key, record] of this.#items) if (!record.monitored) this.#create(key, record);
  }

  /**
   * Stop carrying the items. With `deleteUpstream` the upstream items are deleted (the session goes
   * on, e.g. a cold standby going back to health checks only); otherwise they are simply forgotten
   * (the session is closing, which deletes them with the subscription).
   */
  async detach(options: { deleteUpstream: boolean; timeoutMs: number }): Promise<void> {
    const subscription = this.#subscription;
    // the further subscriptions go as a whole (their items with them); the link's own stays
    const extras = this.#pool.reset(null);
    const doomed = [...this.#items.values()].flatMap((r) =>
      r.monitored && r.monitored.subscription === subscription
        ? [{ item: r.monitored, ...(r.batch ? { batch: r.batch } : {}) }]
        : [],
    );
    this.#subscription = null;
    this.#toCreate.clear();
    for (const record of this.#items.values()) {
      record.monitored = undefined;
      record.batch = undefined;
    }
    if (!options.deleteUpstream || !subscription) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, options.timeoutMs);
    });
    const deletions = [
      ...(doomed.length > 0 ? [this.#deleteNow(subscription, doomed)] : []),
      ...extras.map((extra) => extra.terminate().catch(() => undefined)),
    ];
    await Promise.race([Promise.all(deletions), deadline]).finally(() => clearTimeout(timer));
  }

  /** Read every item once and hand the values on like notifications (after an unfillable gap). */
  async readAll(session: ClientSession): Promise<void> {
    const entries = [...this.#items.entries()];
    if (entries.length === 0) return;
    // in Reads of at most the server's MaxNodesPerRead (halved while it answers BadTooManyOperations)
    this.nodesPerRead = await sendInChunks(entries, this.nodesPerRead, async (chunk) => {
      const values = await session.read(
        chunk.map(([, r]) => ({
          nodeId: this.#toLink(r.spec.nodeId),
          attributeId: r.spec.attributeId ?? AttributeIds.Value,
        })),
      );
      values.forEach((value, i) => {
        const [key, record] = chunk[i]!;
        if (this.#items.get(key) === record) this.#onValue(key, value);
      });
    });
  }

  /** After a reconnect: create again the items whose creation failed. */
  retryFailed(): void {
    if (!this.#subscription) return;
    for (const [key, record] of this.#items) {
      if (record.failed && !record.monitored) this.#create(key, record);
    }
  }

  add(key: string, spec: ItemSpec): void {
    if (this.#items.has(key)) return;
    const record: ItemRecord = { spec };
    this.#items.set(key, record);
    if (this.#subscription) this.#create(key, record);
  }

  remove(key: string): void {
    const record = this.#items.get(key);
    if (!record) return;
    this.#items.delete(key);
    this.#toCreate.delete(key);
    if (record.monitored && this.#subscription) {
      this.#pool.release(record.monitored.subscription, 1);
      this.#scheduleDelete(record.monitored.subscription, record.monitored, record.batch);
    }
  }

  /** Reporting (active or hot standby) or Disabled (warm standby), for every item at once. */
  async setReporting(reporting: boolean): Promise<void> {
    const mode = reporting ? MonitoringMode.Reporting : MonitoringMode.Disabled;
    this.#mode = mode;
    const monitored = [...this.#items.values()].flatMap((r) => (r.monitored ? [r.monitored] : []));
    await this.#applyMode(monitored, mode);
  }

  /** SetMonitoringMode for `monitored`, in requests of `itemsPerCall` (node-opcua sends one per item). */
  async #applyMode(monitored: ClientMonitoredItemBase[], mode: MonitoringMode): Promise<void> {
    if (!this.#subscription) return;
    const bySubscription = new Map<ClientSubscription, number[]>();
    for (const item of monitored) {
      // node-opcua keeps the mode it re-creates items with: keep it in step with SetMonitoringMode
      setItemMonitoringMode(item, mode);
      const id = item.monitoredItemId;
      if (id === undefined) continue;
      const ids = bySubscription.get(item.subscription) ?? [];
      ids.push(id);
      bySubscription.set(item.subscription, ids);
    }
    for (const [subscription, ids] of bySubscription) {
      const session = rawSubscriptionService(subscription);
      this.itemsPerCall = await sendInChunks(ids, this.itemsPerCall, (monitoredItemIds) =>
        session.setMonitoringMode({
          subscriptionId: subscription.subscriptionId,
          monitoringMode: mode,
          monitoredItemIds,
        }),
      );
    }
  }

  #create(key: string, record: ItemRecord): void {
    this.#toCreate.set(key, record);
    if (this.#createScheduled) return;
    // Items added in one go (a downstream CreateMonitoredItems, an attach) leave in few requests.
    this.#createScheduled = true;
    setImmediate(() => {
      this.#createScheduled = false;
      this.#pumpCreations();
    });
  }

  #pumpCreations(): void {
    const subscription = this.#subscription;
    while (subscription && this.#batchesInFlight < MAX_BATCHES_IN_FLIGHT && this.#toCreate.size > 0) {
      this.#batchesInFlight++;
      void this.#nextBatch(subscription).finally(() => {
        this.#batchesInFlight--;
        this.#pumpCreations();
      });
    }
  }

  /** One batch of waiting items, into places on a subscription with room (what does not fit waits again). */
  async #nextBatch(main: ClientSubscription): Promise<void> {
    const batch = this.#takeBatch(this.itemsPerCall);
    const reservation = await this.#pool.reserve(batch.length);
    if (this.#subscription !== main) {
      if (reservation) this.#pool.release(reservation.subscription, reservation.places);
      return; // detached meanwhile: the items are created again at the next attach
    }
    if (!reservation) {
      // no further subscription could be opened: the items are retried after the next reconnect
      this.#logger.warn({ items: batch.length }, "cannot open a further upstream subscription");
      for (const [key, record] of batch) this.#refused(key, record, undefined, "no subscription", false);
      return;
    }
    const surplus = batch.splice(reservation.places);
    for (const [key, record] of surplus) if (this.#items.get(key) === record) this.#toCreate.set(key, record);
    if (surplus.length > 0) this.#pumpCreations();
    if (batch.length > 0) await this.#createBatch(main, reservation, batch);
  }

  /** Up to `max` waiting items that share sampling interval and queue size (one request). */
  #takeBatch(max: number): Entry[] {
    const batch: Entry[] = [];
    let first: ItemSpec | undefined;
    for (const [key, record] of this.#toCreate) {
      first ??= record.spec;
      if (
        record.spec.samplingInterval !== first.samplingInterval ||
        record.spec.queueSize !== first.queueSize
      )
        continue;
      batch.push([key, record]);
      this.#toCreate.delete(key);
      if (batch.length >= max) break;
    }
    return batch;
  }

  async #createBatch(main: ClientSubscription, reservation: Reservation, entries: Entry[]): Promise<void> {
    const { subscription } = reservation;
    const current = entries.filter(([key, record]) => this.#items.get(key) === record);
    this.#pool.release(subscription, entries.length - current.length);
    if (current.length === 0) return;
    const spec = current[0]![1].spec;
    const mode = this.#mode;
    let created: CreatedBatch;
    try {
      created = await createItemBatch(
        subscription,
        current.map(([, r]) => ({
          nodeId: this.#toLink(r.spec.nodeId),
          attributeId: r.spec.attributeId ?? AttributeIds.Value,
        })),
        {
          samplingInterval: spec.samplingInterval,
          queueSize: spec.queueSize ?? this.#defaultQueueSize,
          mode,
        },
        this.#requestTimeoutMs,
      );
    } catch (error) {
      this.#pool.release(subscription, current.length);
      const message = error instanceof Error ? error.message : String(error);
      if (isTooManyOperations(error) && current.length > 1) {
        // The server's limit is lower than it said (or it said none): halve and try again.
        this.itemsPerCall = Math.max(1, Math.floor(current.length / 2));
        for (const [key, record] of current) this.#create(key, record);
        return;
      }
      // A server's refusal reads "BadNodeIdUnknown (0x80340000)"; anything else is a transport failure.
      this.#logger.warn({ items: current.length, reason: message }, "cannot create upstream monitored items");
      const status = upstreamStatusOf(error);
      for (const [key, record] of current) this.#refused(key, record, status, message, false);
      return;
    }
    const stale = this.#subscription !== main;
    const kept: ClientMonitoredItemBase[] = [];
    const tooMany: Entry[] = [];
    current.forEach(([key, record], i) => {
      const monitored = created.items[i]!;
      if (!monitored.statusCode.isGood()) {
        created.release();
        // node-opcua has already removed the refused item from the subscription.
        if (monitored.statusCode.equals(StatusCodes.BadTooManyMonitoredItems)) tooMany.push([key, record]);
        else {
          this.#pool.release(subscription, 1);
          this.#refused(key, record, monitored.statusCode, monitored.statusCode.toString());
        }
      } else if (stale || this.#items.get(key) !== record) {
        this.#pool.release(subscription, 1);
        this.#scheduleDelete(subscription, monitored, created);
      } else {
        record.monitored = monitored;
        record.batch = created;
        record.failed = false;
        // bound, not a closure: one small object per item (a closure costs several times more)
        monitored.on("changed", this.#deliverValue.bind(this, key));
        kept.push(monitored);
      }
    });
    // This subscription is full (the server's limit per subscription, stated or not): on to another.
    if (tooMany.length > 0 && !stale) {
      if (this.#pool.refusedAsFull(subscription, tooMany.length)) {
        for (const [key, record] of tooMany) this.#create(key, record);
      } else {
        for (const [key, record] of tooMany) {
          const status = StatusCodes.BadTooManyMonitoredItems;
          this.#refused(key, record, status, status.toString());
        }
      }
    }
    // The mode changed while the items were being created.
    if (!stale && kept.length > 0 && this.#mode !== mode) await this.#applyMode(kept, this.#mode);
  }

  #deliverValue(key: string, value: DataValue): void {
    this.#onValue(key, value);
  }

  #scheduleDelete(
    subscription: ClientSubscription,
    item: ClientMonitoredItemBase,
    batch?: CreatedBatch,
  ): void {
    const list = this.#toDelete.get(subscription) ?? [];
    list.push({ item, ...(batch ? { batch } : {}) });
    this.#toDelete.set(subscription, list);
    if (this.#deleteScheduled) return;
    this.#deleteScheduled = true;
    setImmediate(() => {
      this.#deleteScheduled = false;
      const all = [...this.#toDelete];
      this.#toDelete.clear();
      for (const [s, doomed] of all) void this.#deleteNow(s, doomed);
    });
  }

  async #deleteNow(
    subscription: ClientSubscription,
    doomed: { item: ClientMonitoredItemBase; batch?: CreatedBatch }[],
  ): Promise<void> {
    this.itemsPerCall = await deleteItemBatch(
      subscription,
      doomed.map((d) => d.item),
      this.itemsPerCall,
    );
    for (const d of doomed) d.batch?.release();
  }

  /** Creation failed: retried after the next reconnect; a server's refusal is its answer for the item. */
  #refused(
    key: string,
    record: ItemRecord,
    statusCode: StatusCode | undefined,
    reason: string,
    log = true,
  ): void {
    record.failed = true;
    if (log) this.#logger.warn({ item: key, reason }, "cannot create upstream monitored item");
    if (statusCode && this.#items.get(key) === record) {
      this.#onValue(key, new DataValue({ statusCode, serverTimestamp: new Date() }));
    }
  }
}
