import type { DataValue, NodeId } from "node-opcua";
import { ItemMirror } from "../redundancy/mirror.ts";
import type { ItemSpec } from "../upstream/item-set.ts";
import type { UpstreamLink } from "../upstream/link.ts";
import { sameSample, sourceTimeOf } from "./data-values.ts";

export type ValueListener = (value: DataValue) => void;

interface SharedItem {
  spec: ItemSpec;
  mirror: ItemMirror<DataValue>;
  listeners: Set<ValueListener>;
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
      const listeners = new Set<ValueListener>();
      const mirror = new ItemMirror<DataValue>({
        serverCount: this.#links.length,
        buffered: this.#buffered,
        bufferSize: this.#bufferSize,
        timeOf: sourceTimeOf,
        sameSample,
        deliver: (value) => {
          for (const l of listeners) l(value);
        },
      });
      item = { spec, mirror, listeners };
      this.#items.set(key, item);
      for (const link of this.#links) link.items.add(key, spec);
    }
    item.listeners.add(listener);
    return { mirror: item.mirror, created };
  }

  /** Remove a listener; the last one deletes the upstream items. */
  release(key: string, listener: ValueListener): void {
    const item = this.#items.get(key);
    if (!item?.listeners.delete(listener) || item.listeners.size > 0) return;
    this.#items.delete(key);
    this.#overflowedReleased += item.mirror.overflowed;
    for (const link of this.#links) link.items.remove(key);
  }

  forEachMirror(fn: (mirror: ItemMirror<DataValue>) => void): void {
    for (const item of this.#items.values()) fn(item.mirror);
  }
}
