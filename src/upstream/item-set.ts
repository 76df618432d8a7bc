import {
  AttributeIds,
  type ClientMonitoredItemBase,
  type ClientSession,
  type ClientSessionRawSubscriptionService,
  type ClientSubscription,
  DataValue,
  MonitoringMode,
  type NodeId,
  type StatusCode,
  StatusCodes,
  TimestampsToReturn,
} from "node-opcua";
import type { Logger } from "../log.ts";

export interface ItemSpec {
  nodeId: NodeId;
  attributeId?: number;
  samplingInterval: number;
  queueSize: number;
}

interface ItemRecord {
  spec: ItemSpec;
  monitored?: ClientMonitoredItemBase;
  /** Creation failed (connection lost meanwhile, or the server refused the item): retried on reconnect. */
  failed?: boolean;
}

/** node-opcua keeps the mode it re-creates items with here; keep it in step with SetMonitoringMode. */
interface ModeAware {
  internalSetMonitoringMode?(mode: MonitoringMode): void;
  monitoredItemId?: number;
}

/** Item creations in flight per link (see #create). */
const MAX_CREATIONS_IN_FLIGHT = 16;

/** A counting semaphore: at most `limit` holders at once, the others wait in order. */
class Semaphore {
  readonly #waiting: (() => void)[] = [];
  #free: number;
  constructor(limit: number) {
    this.#free = limit;
  }
  acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

/**
 * The data monitored items of one upstream link. Items live on the link's subscription while the
 * set is attached to one; node-opcua re-creates them itself after a reconnect or server restart.
 */
export class UpstreamItemSet {
  readonly #items = new Map<string, ItemRecord>();
  readonly #onValue: (key: string, value: DataValue) => void;
  readonly #logger: Logger;
  #subscription: ClientSubscription | null = null;
  #mode: MonitoringMode = MonitoringMode.Reporting;
  readonly #creations = new Semaphore(MAX_CREATIONS_IN_FLIGHT);

  /** Canonical NodeId → this server's namespace indices. */
  readonly #toLink: (nodeId: NodeId) => NodeId;

  constructor(
    onValue: (key: string, value: DataValue) => void,
    logger: Logger,
    toLink: (nodeId: NodeId) => NodeId = (nodeId) => nodeId,
  ) {
    this.#onValue = onValue;
    this.#logger = logger;
    this.#toLink = toLink;
  }

  get size(): number {
    return this.#items.size;
  }
  get reporting(): boolean {
    return this.#mode === MonitoringMode.Reporting;
  }

  /** Start creating every item on `subscription`. */
  attach(subscription: ClientSubscription): void {
    this.#subscription = subscription;
    for (const [key, record] of this.#items) void this.#create(key, record);
  }

  /**
   * Stop carrying the items. With `deleteUpstream` the upstream items are deleted (the session goes
   * on, e.g. a cold standby going back to health checks only); otherwise they are simply forgotten
   * (the session is closing, which deletes them with the subscription).
   */
  async detach(options: { deleteUpstream: boolean; timeoutMs: number }): Promise<void> {
    const monitored = [...this.#items.values()].flatMap((r) => (r.monitored ? [r.monitored] : []));
    this.#subscription = null;
    for (const record of this.#items.values()) record.monitored = undefined;
    if (!options.deleteUpstream || monitored.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, options.timeoutMs);
    });
    const deletions = Promise.all(monitored.map((m) => m.terminate().catch(() => undefined)));
    await Promise.race([deletions, deadline]).finally(() => clearTimeout(timer));
  }

  /** Read every item once and hand the values on like notifications (after an unfillable gap). */
  async readAll(session: ClientSession): Promise<void> {
    const entries = [...this.#items.entries()];
    if (entries.length === 0) return;
    const values = await session.read(
      entries.map(([, r]) => ({
        nodeId: r.spec.nodeId,
        attributeId: r.spec.attributeId ?? AttributeIds.Value,
      })),
    );
    values.forEach((value, i) => {
      const [key, record] = entries[i]!;
      if (this.#items.get(key) === record) this.#onValue(key, value);
    });
  }

  /** After a reconnect: create again the items whose creation failed. */
  retryFailed(): void {
    if (!this.#subscription) return;
    for (const [key, record] of this.#items) {
      if (record.failed && !record.monitored) void this.#create(key, record);
    }
  }

  add(key: string, spec: ItemSpec): void {
    if (this.#items.has(key)) return;
    const record: ItemRecord = { spec };
    this.#items.set(key, record);
    if (this.#subscription) void this.#create(key, record);
  }

  remove(key: string): void {
    const record = this.#items.get(key);
    if (!record) return;
    this.#items.delete(key);
    record.monitored?.terminate().catch(() => undefined);
  }

  /** Reporting (active or hot standby) or Disabled (warm standby), for every item at once. */
  async setReporting(reporting: boolean): Promise<void> {
    const mode = reporting ? MonitoringMode.Reporting : MonitoringMode.Disabled;
    this.#mode = mode;
    const subscription = this.#subscription;
    if (!subscription) return;
    const monitored = [...this.#items.values()].flatMap((r) => (r.monitored ? [r.monitored] : []));
    const items = monitored as unknown as ModeAware[];
    const ids = items.map((m) => m.monitoredItemId).filter((id): id is number => id !== undefined);
    for (const m of items) m.internalSetMonitoringMode?.(mode);
    if (ids.length === 0) return;
    // One request for all items (node-opcua would send one per item).
    const session = subscription.session as unknown as ClientSessionRawSubscriptionService;
    await session.setMonitoringMode({
      subscriptionId: subscription.subscriptionId,
      monitoringMode: mode,
      monitoredItemIds: ids,
    });
  }

  async #create(key: string, record: ItemRecord): Promise<void> {
    // node-opcua sends one CreateMonitoredItems request per item: a burst of thousands would queue
    // the health probe's status query behind them and the link would look dead. Few at a time.
    await this.#creations.acquire();
    try {
      await this.#createNow(key, record);
    } finally {
      this.#creations.release();
    }
  }

  async #createNow(key: string, record: ItemRecord): Promise<void> {
    const subscription = this.#subscription;
    if (!subscription || this.#items.get(key) !== record) return;
    try {
      const monitored = await subscription.monitor(
        {
          nodeId: this.#toLink(record.spec.nodeId),
          attributeId: record.spec.attributeId ?? AttributeIds.Value,
        },
        {
          samplingInterval: record.spec.samplingInterval,
          queueSize: record.spec.queueSize,
          discardOldest: true,
        },
        TimestampsToReturn.Both,
        this.#mode,
      );
      if (this.#subscription !== subscription || this.#items.get(key) !== record) {
        await monitored.terminate().catch(() => undefined);
        return;
      }
      if (!monitored.statusCode.isGood()) {
        // node-opcua resolves with a terminated item when the server refuses it.
        this.#refused(key, record, monitored.statusCode.name, monitored.statusCode.toString());
        return;
      }
      record.monitored = monitored;
      record.failed = false;
      monitored.on("changed", (value: DataValue) => this.#onValue(key, value));
      if (
        (monitored as unknown as ModeAware).monitoredItemId !== undefined &&
        this.#mode !== MonitoringMode.Reporting
      ) {
        // The mode changed while the item was being created.
        await this.setReporting(false);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // A server's refusal reads "BadNodeIdUnknown (0x80340000)"; anything else is a transport failure.
      this.#refused(key, record, /^(Bad\w+)/.exec(message)?.[1], message);
    }
  }

  /** Creation failed: retried after the next reconnect; a server's refusal is its answer for the item. */
  #refused(key: string, record: ItemRecord, statusName: string | undefined, reason: string): void {
    record.failed = true;
    this.#logger.warn({ item: key, reason }, "cannot create upstream monitored item");
    const statusCode =
      statusName === undefined
        ? undefined
        : (StatusCodes as unknown as Record<string, StatusCode | undefined>)[statusName];
    if (statusCode && this.#items.get(key) === record) {
      this.#onValue(key, new DataValue({ statusCode, serverTimestamp: new Date() }));
    }
  }
}
