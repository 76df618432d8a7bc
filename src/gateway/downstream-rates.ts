/**
 * The fastest rate at which a downstream client can see a mirrored value change: over every
 * downstream monitored item, the larger of its subscription's publishing interval and its own
 * sampling interval (0: exception-based, the publishing interval decides). The upstream
 * publishing interval follows it (subscription.followDownstream), so that a client publishing
 * every 20 ms does not wait 100 ms for the upstream, and clients publishing every 5 s do not make
 * the upstream servers publish ten times a second.
 *
 * A change is announced once per turn of the event loop (a CreateMonitoredItems of 100,000 items
 * is one change, not 100,000).
 */
import type { MonitoredItemBase, Subscription } from "node-opcua";

/** MonitoredItemBase does not declare samplingInterval; node-opcua's MonitoredItem has it (revised). */
function samplingIntervalOf(item: MonitoredItemBase): number {
  const samplingInterval = (item as { samplingInterval?: number }).samplingInterval;
  return typeof samplingInterval === "number" && samplingInterval > 0 ? samplingInterval : 0;
}

export class DownstreamRates {
  /** Each item's interval, to take it out again when the item goes. */
  readonly #items = new Map<MonitoredItemBase, number>();
  /** How many items have each interval. */
  readonly #counts = new Map<number, number>();
  readonly #onChange: (fastestMs: number | null) => void;
  #announced: number | null = null;
  #scheduled = false;

  /** `onChange` gets the fastest interval (null: no item is left). */
  constructor(onChange: (fastestMs: number | null) => void) {
    this.#onChange = onChange;
  }

  add(subscription: Subscription, item: MonitoredItemBase): void {
    if (this.#items.has(item)) return;
    const intervalMs = Math.max(subscription.publishingInterval, samplingIntervalOf(item));
    this.#items.set(item, intervalMs);
    this.#counts.set(intervalMs, (this.#counts.get(intervalMs) ?? 0) + 1);
    this.#schedule();
  }

  remove(item: MonitoredItemBase): void {
    const intervalMs = this.#items.get(item);
    if (intervalMs === undefined) return;
    this.#items.delete(item);
    const left = (this.#counts.get(intervalMs) ?? 1) - 1;
    if (left > 0) this.#counts.set(intervalMs, left);
    else this.#counts.delete(intervalMs);
    this.#schedule();
  }

  /** The fastest interval now (null: no item). */
  get fastestMs(): number | null {
    let fastest: number | null = null;
    for (const intervalMs of this.#counts.keys())
      if (fastest === null || intervalMs < fastest) fastest = intervalMs;
    return fastest;
  }

  /** Forget every item (the server stops: nothing is announced). */
  clear(): void {
    this.#items.clear();
    this.#counts.clear();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      const fastest = this.fastestMs;
      if (fastest === this.#announced) return;
      this.#announced = fastest;
      this.#onChange(fastest);
    });
  }
}
