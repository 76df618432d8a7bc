/**
 * Monitoring many Bulk variables (ns=1;s=Bulk.<i>) from one client: batched creation, and a compact
 * per-item record of when each item last delivered a good value (for "every item has a value").
 */
import {
  AttributeIds,
  type ClientSession,
  type ClientSubscription,
  type DataValue,
  type MonitoringParametersOptions,
  TimestampsToReturn,
} from "node-opcua";

export const BULK_PARAMETERS: MonitoringParametersOptions = {
  samplingInterval: 0,
  queueSize: 10,
  discardOldest: true,
};

export function bulkItem(index: number): { nodeId: string; attributeId: number } {
  return { nodeId: `ns=1;s=Bulk.${index}`, attributeId: AttributeIds.Value };
}

/**
 * When each item last delivered a good value (ms since epoch; 0 = never), how many came, and the
 * per-item sequence check (shared clock: every Bulk value is the tick's counter).
 */
export class BulkValues {
  readonly lastGoodAt: Float64Array;
  readonly #lastValue: Float64Array;
  received = 0;
  bad = 0;
  lost = 0;
  duplicates = 0;
  regressions = 0;

  constructor(readonly items: number) {
    this.lastGoodAt = new Float64Array(items);
    this.#lastValue = new Float64Array(items).fill(Number.NaN);
  }

  readonly onValue = (index: number, dataValue: DataValue): void => {
    if (!dataValue.statusCode.isGood()) {
      this.bad++;
      return;
    }
    this.received++;
    this.lastGoodAt[index] = Date.now();
    const value = Number(dataValue.value.value);
    const step = value - this.#lastValue[index]!;
    this.#lastValue[index] = value;
    if (step === 0) this.duplicates++;
    else if (step < 0) this.regressions++;
    else if (step > 1) this.lost += step - 1;
  };

  /** The sequence figures so far (subtract two of these for a window). */
  sequence(): { received: number; lost: number; duplicates: number; regressions: number } {
    return {
      received: this.received,
      lost: this.lost,
      duplicates: this.duplicates,
      regressions: this.regressions,
    };
  }

  /** Items whose last good value came at or after `time`. */
  countSince(time: number): number {
    let n = 0;
    for (const at of this.lastGoodAt) if (at >= time && at > 0) n++;
    return n;
  }
}

/** Creates monitored items for Bulk.0 … Bulk.<items-1>, `batchSize` per CreateMonitoredItems request. */
export async function monitorBulkBatched(
  subscription: ClientSubscription,
  items: number,
  batchSize: number,
  values: BulkValues,
  /** Index of the first Bulk item (several subscriptions share one BulkValues). */
  offset = 0,
): Promise<{ refused: number; refusedStatus?: string }> {
  let refused = 0;
  let refusedStatus: string | undefined;
  for (let first = offset; first < offset + items; first += batchSize) {
    const count = Math.min(batchSize, offset + items - first);
    const group = await subscription.monitorItems(
      Array.from({ length: count }, (_, k) => bulkItem(first + k)),
      BULK_PARAMETERS,
      TimestampsToReturn.Both,
    );
    group.on("changed", (_item, dataValue, index) => values.onValue(first + index, dataValue));
    for (const item of group.monitoredItems) {
      if (!item.statusCode.isGood()) {
        refused++;
        refusedStatus ??= item.statusCode.name;
      }
    }
  }
  return { refused, ...(refusedStatus ? { refusedStatus } : {}) };
}

/**
 * Creates the items one CreateMonitoredItems request each, `inFlight` requests at a time: what the
 * gateway's upstream links did before they batched (the baseline that shows what batching is worth).
 */
export async function monitorBulkOneByOne(
  subscription: ClientSubscription,
  items: number,
  inFlight: number,
  values: BulkValues,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items; index = next++) {
      const item = await subscription.monitor(bulkItem(index), BULK_PARAMETERS, TimestampsToReturn.Both);
      item.on("changed", (dataValue: DataValue) => values.onValue(index, dataValue));
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/** Downstream items per subscription: the gateway's default MaxMonitoredItemsPerSubscription. */
export const ITEMS_PER_SUBSCRIPTION = 100_000;

/**
 * Bulk.0 … Bulk.<items-1> as a client does with a server that states
 * MaxMonitoredItemsPerSubscription: `first` takes the first 100,000, a new subscription of the
 * session each further 100,000.
 */
export async function monitorBulkSpread(
  session: ClientSession,
  first: ClientSubscription,
  items: number,
  batchSize: number,
  values: BulkValues,
): Promise<{ refused: number }> {
  let refused = 0;
  for (let offset = 0; offset < items; offset += ITEMS_PER_SUBSCRIPTION) {
    const subscription =
      offset === 0
        ? first
        : await session.createSubscription2({
            requestedPublishingInterval: first.publishingInterval,
            requestedMaxKeepAliveCount: first.maxKeepAliveCount,
            requestedLifetimeCount: first.lifetimeCount,
            publishingEnabled: true,
          });
    const count = Math.min(ITEMS_PER_SUBSCRIPTION, items - offset);
    refused += (await monitorBulkBatched(subscription, count, batchSize, values, offset)).refused;
  }
  return { refused };
}
