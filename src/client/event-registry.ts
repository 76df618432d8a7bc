/**
 * Event subscriptions of a pair (README "Events and alarms"): one upstream event item per
 * (notifier, canonical filter) on every link that carries data, shared by every listener with an
 * equal filter; the listeners get the active server's events, fields in their own order with the
 * upstream's values (EventIds included), and a refresh framed by onRefresh("start"/"end"):
 *
 * - after every switch of the active server, the new server's retained conditions
 *   (ConditionRefresh on its subscription, once its event items exist), to every listener, so that
 *   an alarm list is rebuilt from the new server and an alarm cleared meanwhile goes;
 * - on `refresh()` of one handle (a downstream client's ConditionRefresh), the retained conditions
 *   for that listener only (upstream: ConditionRefresh of a temporary subscription with an item of
 *   the same filter).
 *
 * The upstream's own RefreshStart/RefreshEnd events are not passed on: the engine frames every
 * refresh itself (node-opcua servers send the bracket to Server-object items only).
 *
 * Hot mode: the standbys' events are buffered (at most `bufferSize` per item); at a switch the new
 * server's buffered events from the Time of the last delivered event on that are not already
 * delivered are delivered, in order, before its live stream. An event is "already delivered" when
 * one with equal EventType, SourceNode, Time, Message and ConditionId was (EventIds differ between
 * servers, so they cannot be compared).
 * The same rule drops, for 10 s after a switch, a live event of the new active server that was
 * already delivered (a server that lags the previous one at a planned switch); not condition
 * events (the refresh after the switch states them anyway, and an Acknowledge may raise one that
 * matches the previous on these fields). The refresh after the switch replays conditions only, so
 * it does not suspend the rule: a lagging server's BaseEvent inside the bracket is a repeat too.
 */
import type { EventFilter, NodeId, StatusCode, Variant } from "node-opcua";
import { StatusCodes } from "node-opcua";
import type { Mode, PairState } from "../redundancy/types.ts";
import {
  eventFilterKey,
  type HiddenFields,
  splitHiddenFields,
  withHiddenFields,
} from "../upstream/event-filter.ts";
import type { UpstreamLink } from "../upstream/link.ts";

export interface EventListener {
  /** The fields the listener's filter selects, in its order (canonical namespace indices). */
  onEvent(fields: Variant[]): void;
  /** A refresh begins or ends: the events between are the retained conditions. */
  onRefresh(phase: "start" | "end"): void;
  /** The upstream item was created (Good) or refused (its StatusCode). */
  onStatus?(status: StatusCode): void;
}

/** What the registry follows of its pair (RedundantClient): switches, every server lost. */
export interface PairEvents {
  on(event: "failover", listener: (e: { toIndex: number; fromIndex: number | null }) => void): unknown;
  on(event: "recovered", listener: (e: { index: number }) => void): unknown;
  on(event: "allServersLost", listener: () => void): unknown;
  on(event: "stateChanged", listener: (e: { from: PairState; to: PairState }) => void): unknown;
  status(): { activeIndex: number | null };
}

export interface EventHandle {
  /** The listener's own refresh (RefreshStart, retained conditions, RefreshEnd); resolves with the upstream's status. */
  refresh(): Promise<StatusCode>;
  stop(): void;
}

interface Buffered {
  own: Variant[];
  fingerprint: string;
  time: number;
}

interface Entry {
  key: string;
  listeners: Set<EventListener>;
  /** The latest status of the upstream item on the active server. */
  status: StatusCode | null;
  /** Fingerprints of the events delivered lately (hot-mode matching), oldest first. */
  delivered: string[];
  deliveredSet: Set<string>;
  lastDeliveredTime: number | null;
  /** Hot standbys' events per server. */
  buffers: Map<number, Buffered[]>;
}

const REFRESH_START = "ns=0;i=2787";
const REFRESH_END = "ns=0;i=2788";
const DELIVERED_MEMORY = 2000;
/** How long after a switch the new server's live events are compared with the delivered ones. */
const DEDUPE_AFTER_SWITCH_MS = 10_000;

function text(v: Variant): string {
  const value = v?.value as unknown;
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return String(value.getTime());
  if (typeof value === "object" && "text" in (value as object))
    return String((value as { text?: string }).text ?? "");
  return String(value);
}

function fingerprint(h: HiddenFields): string {
  return [h.eventType, h.sourceNode, h.time, h.message, h.conditionId].map(text).join("|");
}

function timeOf(h: HiddenFields): number {
  const value = h.time?.value as unknown;
  return value instanceof Date ? value.getTime() : 0;
}

export class EventRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #links: readonly UpstreamLink[];
  readonly #mode: Mode;
  readonly #bufferSize: number;
  #active: number | null = null;
  /** Bumped at every switch: a refresh still running for an older one ends without effect. */
  #generation = 0;
  /** Until when (ms) live events are compared with delivered ones: shortly after a switch. */
  #dedupeUntil = 0;
  /** Events delivered (for the demo's status line and /metrics). */
  delivered = 0;

  constructor(links: readonly UpstreamLink[], pair: PairEvents, options: { mode: Mode; bufferSize: number }) {
    this.#links = links;
    this.#mode = options.mode;
    this.#bufferSize = options.bufferSize;
    // the first activation, failovers and failbacks, a server back after all were lost
    pair.on("stateChanged", ({ from, to }) => {
      const active = pair.status().activeIndex;
      if (from === "starting" && to === "active" && active !== null) this.activate(active, null);
    });
    pair.on("failover", (e) => this.activate(e.toIndex, e.fromIndex));
    pair.on("recovered", (e) => this.activate(e.index, null));
    pair.on("allServersLost", () => this.lose());
    links.forEach((link, server) => {
      link.events.on("event", (key, fields) => this.#onEvent(server, key, fields));
      link.events.on("eventStatus", (key, status) => {
        const entry = this.#entries.get(key);
        if (!entry || server !== this.#active) return;
        entry.status = status;
        for (const l of entry.listeners) l.onStatus?.(status);
      });
    });
  }

  get size(): number {
    return this.#entries.size;
  }

  acquire(notifier: NodeId, filter: EventFilter, listener: EventListener): EventHandle {
    const key = eventFilterKey(notifier, filter);
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = {
        key,
        listeners: new Set(),
        status: null,
        delivered: [],
        deliveredSet: new Set(),
        lastDeliveredTime: null,
        buffers: new Map(),
      };
      this.#entries.set(key, entry);
      const spec = { notifier, filter: withHiddenFields(filter) };
      for (const link of this.#links) link.events.add(key, spec);
    } else if (entry.status) {
      listener.onStatus?.(entry.status);
    }
    entry.listeners.add(listener);
    const owned = entry;
    let stopped = false;
    return {
      refresh: () => this.#refreshOne(owned, listener),
      stop: () => {
        if (stopped) return;
        stopped = true;
        owned.listeners.delete(listener);
        if (owned.listeners.size > 0) return;
        this.#entries.delete(key);
        for (const link of this.#links) link.events.remove(key);
      },
    };
  }

  /** The pair switched to `to` (from `from`, null after every server was lost). */
  activate(to: number, from: number | null): void {
    this.#active = to;
    this.#setReporting(to);
    if (from !== null) this.#dedupeUntil = Date.now() + DEDUPE_AFTER_SWITCH_MS;
    const generation = ++this.#generation;
    for (const entry of this.#entries.values()) {
      if (this.#mode === "hot" && from !== null) this.#backfill(entry, to);
      entry.buffers.clear();
    }
    void this.#refreshAll(to, generation);
  }

  /** Every server lost: nothing is active; buffers go (what comes next is refreshed anyway). */
  lose(): void {
    this.#active = null;
    this.#setReporting(null);
    this.#generation++;
    for (const entry of this.#entries.values()) entry.buffers.clear();
  }

  /** Warm standbys' event items are Disabled, like their value items (roles.ts isReporting). */
  #setReporting(active: number | null): void {
    this.#links.forEach((link, i) => {
      const reporting = this.#mode !== "warm" || active === null || i === active;
      link.events.setReporting(reporting).catch(() => undefined);
    });
  }

  #onEvent(server: number, key: string, fields: Variant[]): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    const { own, hidden } = splitHiddenFields(fields);
    const type = text(hidden.eventType);
    if (type === REFRESH_START || type === REFRESH_END) return; // the engine frames refreshes itself
    if (server !== this.#active) {
      if (this.#mode !== "hot") return;
      const buffer = entry.buffers.get(server) ?? [];
      buffer.push({ own, fingerprint: fingerprint(hidden), time: timeOf(hidden) });
      if (buffer.length > this.#bufferSize) buffer.shift();
      entry.buffers.set(server, buffer);
      return;
    }
    const print = fingerprint(hidden);
    const time = timeOf(hidden);
    // a server made active while alive may still send what the previous one delivered (it lags)
    const since = entry.lastDeliveredTime;
    const isCondition = text(hidden.conditionId) !== "";
    const recent = Date.now() < this.#dedupeUntil;
    if (recent && !isCondition && since !== null && time <= since && entry.deliveredSet.has(print)) return;
    this.#deliver(entry, own, print, time);
  }

  #deliver(entry: Entry, own: Variant[], print: string, time: number): void {
    entry.delivered.push(print);
    entry.deliveredSet.add(print);
    if (entry.delivered.length > DELIVERED_MEMORY) entry.deliveredSet.delete(entry.delivered.shift()!);
    if (time > 0) entry.lastDeliveredTime = Math.max(entry.lastDeliveredTime ?? 0, time);
    this.delivered += entry.listeners.size;
    for (const l of entry.listeners) l.onEvent(own);
  }

  /** The new server's buffered events from the last delivered Time on, less those delivered. */
  #backfill(entry: Entry, to: number): void {
    const since = entry.lastDeliveredTime;
    for (const event of entry.buffers.get(to) ?? []) {
      if (since !== null && event.time < since) continue;
      if (entry.deliveredSet.has(event.fingerprint)) continue;
      this.#deliver(entry, event.own, event.fingerprint, event.time);
    }
  }

  async #refreshAll(server: number, generation: number): Promise<void> {
    const link = this.#links[server];
    if (!link || this.#entries.size === 0) return;
    const entries = [...this.#entries.values()];
    await link.events.whenCreated(10_000);
    if (generation !== this.#generation) return;
    for (const entry of entries) for (const l of entry.listeners) l.onRefresh("start");
    await link.events.conditionRefresh();
    for (const entry of entries) for (const l of entry.listeners) l.onRefresh("end");
  }

  async #refreshOne(entry: Entry, listener: EventListener): Promise<StatusCode> {
    const server = this.#active;
    const link = server === null ? undefined : this.#links[server];
    if (!link) return StatusCodes.BadServerNotConnected;
    listener.onRefresh("start");
    try {
      return await link.events.refreshOne(entry.key, (fields) => {
        const { own, hidden } = splitHiddenFields(fields);
        // the replay is the retained conditions; live events on the temporary item come by the shared one
        if (hidden.retain?.value === true) listener.onEvent(own);
      });
    } finally {
      listener.onRefresh("end");
    }
  }
}
