import type { DataValue, NodeId } from "node-opcua";
import { ItemMirror, type MirrorOptions } from "../redundancy/mirror.ts";
import type { ItemSpec } from "../upstream/item-set.ts";
import type { UpstreamLink } from "../upstream/link.ts";
import { sameSample, sourceTimeOf } from "./data-values.ts";

export type ValueListener = (value: DataValue) => void;

/**
 * One shared item: it is also its mirror's options (one object per item, no closure: with 100,000
 * items every per-item object counts), delivering to its listeners.
 */
class SharedItem implements MirrorOptions<DataValue> {
  readonly spec: ItemSpec;
  readonly mirror: ItemMirror<DataValue>;
  /** Usually one listener; a Set only when a node is monitored more than once. */
  listeners: ValueListener | Set<ValueListener> | null;
  readonly serverCount: number;
  readonly buffered: boolean;
  readonly bufferSize: number;

  constructor(
    spec: ItemSpec,
    listener: ValueListener,
    registry: { servers: number; buffered: boolean; bufferSize: number },
  ) {
    this.spec = spec;
    this.listeners = listener;
    this.serverCount = registry.servers;
    this.buffered = registry.buffered;
    this.bufferSize = registry.bufferSize;
    this.mirror = new ItemMirror<DataValue>(this);
  }

  timeOf(sample: DataValue): number | undefined {
    return sourceTimeOf(sample);
  }
  sameSample(a: DataValue, b: DataValue): boolean {
    return sameSample(a, b);
  }
  deliver(value: DataValue): void {
    const listeners = this.listeners;
    if (typeof listeners === "function") listeners(value);
    else if (listeners) for (const l of listeners) l(value);
  }

  add(listener: ValueListener): void {
    const listeners = this.listeners;
    if (listeners === null) this.listeners = listener;
    else if (typeof listeners === "function") {
      if (listeners !== listener) this.listeners = new Set([listeners, listener]);
    } else listeners.add(listener);
  }

  /** Whether `listener` was one; afterwards `empty` says whether any is left. */
  remove(listener: ValueListener): boolean {
    const listeners = this.listeners;
    if (listeners === listener) {
      this.listeners = null;
      return true;
    }
    if (typeof listeners === "function" || listeners === null || !listeners.delete(listener)) return false;
    if (listeners.size === 1) this.listeners = listeners.values().next().value ?? null;
    return true;
  }

  get empty(): boolean {
    return this.listeners === null;
  }
}

/**
 * The pair's monitored items, shared by every monitor of the same node and attribute (one upstream
 * item per server however many monitors there are), each with its stream selection.
 */
export class ItemRegistry {
  readonly #items = new Map<string, SharedItem>();
  readonly #links: readonly UpstreamLink[];
  readonly #buffered: boolean;
  readonly #bufferSize: number;

  constructor(links: readonly UpstreamLink[], options: { buffered: boolean; bufferSize: number }) {
    this.#links = links;
    this.#buffered = options.buffered;
    this.#bufferSize = options.bufferSize;
    for (const link of links) {
      link.on("value", (key, value) => this.#items.get(key)?.mirror.offer(link.settings.index, value));
    }
  }

  get size(): number {
    return this.#items.size;
  }

  /** Of released items, the standby values their full hot buffers dropped. */
  #overflowedReleased = 0;
  /** Standby values dropped by full hot buffers since start, over every item (released ones too). */
  get overflowed(): number {
    let total = this.#overflowedReleased;
    for (const item of this.#items.values()) total += item.mirror.overflowed;
    return total;
  }

  static keyOf(nodeId: NodeId, attributeId: number): string {
    return `${nodeId.toString()}#${attributeId}`;
  }

  /** Add a listener; the first one creates the upstream items. Returns the shared item's mirror. */
  acquire(
    key: string,
    spec: ItemSpec,
    listener: ValueListener,
  ): { mirror: ItemMirror<DataValue>; created: boolean } {
    let item = this.#items.get(key);
    const created = item === undefined;
    if (!item) {
      item = new SharedItem(spec, listener, {
        servers: this.#links.length,
        buffered: this.#buffered,
        bufferSize: this.#bufferSize,
      });
      this.#items.set(key, item);
      for (const link of this.#links) link.items.add(key, spec);
    } else {
      item.add(listener);
    }
    return { mirror: item.mirror, created };
  }

  /** Remove a listener; the last one deletes the upstream items. */
  release(key: string, listener: ValueListener): void {
    const item = this.#items.get(key);
    if (!item?.remove(listener) || !item.empty) return;
    this.#items.delete(key);
    this.#overflowedReleased += item.mirror.overflowed;
    for (const link of this.#links) link.items.remove(key);
  }

  forEachMirror(fn: (mirror: ItemMirror<DataValue>) => void): void {
    for (const item of this.#items.values()) fn(item.mirror);
  }
}
