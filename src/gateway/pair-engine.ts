/**
 * The gateway's handle on a pair's redundancy engine, stable across configuration reloads.
 *
 * A reload that changes a pair's server URLs needs a new RedundantClient (its links and state
 * machine are built for one server list), but the pair's downstream endpoint, sessions and
 * subscriptions must stay. Everything in the gateway therefore talks to this facade: requests go
 * to the current client, events of the current client are re-emitted, and every live upstream
 * monitor is re-created on the new client when the client is replaced.
 */
import { EventEmitter } from "node:events";
import type {
  BrowseDescriptionLike,
  BrowseResult,
  CallMethodRequestLike,
  CallMethodResult,
  ClientSession,
  DataValue,
  EventFilter,
  HistoryReadRequestOptions,
  HistoryReadResult,
  NodeIdLike,
  ReadValueIdOptions,
  StatusCode,
  WriteValueOptions,
} from "node-opcua";
import { resolveNodeId } from "node-opcua";
import type { EventHandle, EventListener } from "../client/event-registry.ts";
import type { RedundantClient } from "../client/redundant-client.ts";
import type { MonitorHandle, MonitorOptions, PairStatus, RedundantClientEvents } from "../client/types.ts";
import type { PairConfig } from "../config/schema.ts";
import { type Logger, silentLogger } from "../log.ts";
import { PAIR_TRANSITIONS } from "../redundancy/pair-state.ts";
import type { PairState } from "../redundancy/types.ts";
import { checkTransition } from "../transitions.ts";

/** Re-emitted as they are; "stateChanged" goes through PairEngine.#setState. */
const FORWARDED_EVENTS = [
  "failover",
  "linkStateChanged",
  "allServersLost",
  "recovered",
  "gap",
  "certificateRefused",
  "clockStep",
  "monitorChanged",
  "monitorNotice",
  "serverFacts",
] as const satisfies readonly (keyof RedundantClientEvents)[];

interface Registration {
  nodeId: NodeIdLike;
  options: MonitorOptions;
  onValue: (value: DataValue) => void;
  handle: MonitorHandle;
  /** Source time of the last Good value delivered (null after a Bad or untimed one): for handovers. */
  lastSourceTime: number | null;
  /** The new client's values waiting while the previous client's stream catches up. */
  pending: DataValue[];
  /** The previous client's monitor, kept until the new client's first value (no gap at a reload). */
  retiring: MonitorHandle | null;
  retired: () => void;
}

const NOTHING = (): void => undefined;
const NO_HANDLE: MonitorHandle = { nodeId: "", stop: NOTHING };

/** Source time of a Good value (ms), else null. */
function timeOf(value: DataValue): number | null {
  return value.statusCode.isGood() ? (value.sourceTimestamp?.getTime() ?? null) : null;
}

/** How long a replaced client keeps delivering while the new one has not yet. */
const HANDOVER_TIMEOUT_MS = 5000;

export class PairEngine extends EventEmitter<RedundantClientEvents> {
  #client: RedundantClient;
  readonly #registrations = new Set<Registration>();
  readonly #eventRegistrations = new Set<{
    notifier: NodeIdLike;
    filter: EventFilter;
    listener: EventListener;
    handle: EventHandle;
  }>();
  #detach: () => void;
  readonly #logger: Logger;
  /** The state the listeners were told last (the current client's, or the replaced one's). */
  #announced: PairState;
  /** Values delivered to the gateway by the pair's engine (for /metrics). */
  valuesForwarded = 0;
  /** The publishing interval asked for (RedundantClient.requestPublishingInterval), kept for a reload. */
  #publishingRequest: number | null = null;

  constructor(client: RedundantClient, options: { logger?: Logger } = {}) {
    super();
    this.#client = client;
    this.#logger = options.logger ?? silentLogger;
    this.#announced = client.state;
    this.#detach = this.#forwardEvents(client);
  }

  get state(): PairState {
    return this.#client.state;
  }

  get config(): PairConfig {
    return this.#client.config;
  }

  get namespaceUris(): readonly string[] | null {
    return this.#client.namespaceUris;
  }

  /** The active server's session (see RedundantClient.activeSession). */
  activeSession(): ClientSession | null {
    return this.#client.activeSession();
  }

  start(): Promise<void> {
    return this.#client.start();
  }

  /** See RedundantClient.requestPublishingInterval; a client that replaces this one gets it too. */
  requestPublishingInterval(intervalMs: number | null): void {
    this.#publishingRequest = intervalMs;
    this.#client.requestPublishingInterval(intervalMs);
  }

  stop(): Promise<void> {
    return this.#client.stop();
  }

  status(): PairStatus {
    return this.#client.status();
  }

  failover(target?: number | string): void {
    this.#client.failover(target);
  }

  read(nodes: readonly (ReadValueIdOptions | NodeIdLike)[], maxAge = 0): Promise<DataValue[]> {
    return this.#client.read(nodes, maxAge);
  }

  write(nodes: readonly WriteValueOptions[]): Promise<StatusCode[]> {
    return this.#client.write(nodes);
  }

  call(methods: readonly CallMethodRequestLike[]): Promise<CallMethodResult[]> {
    return this.#client.call(methods);
  }

  historyRead(request: HistoryReadRequestOptions): Promise<HistoryReadResult[]> {
    return this.#client.historyRead(request);
  }

  browse(nodes: readonly BrowseDescriptionLike[]): Promise<BrowseResult[]> {
    return this.#client.browse(nodes);
  }

  browseNext(
    continuationPoints: readonly Buffer[],
    releaseContinuationPoints = false,
  ): Promise<BrowseResult[]> {
    return this.#client.browseNext(continuationPoints, releaseContinuationPoints);
  }

  monitor(nodeId: NodeIdLike, options: MonitorOptions, onValue: (value: DataValue) => void): MonitorHandle {
    const registration: Registration = {
      nodeId,
      options,
      onValue,
      handle: NO_HANDLE,
      lastSourceTime: null,
      pending: [],
      retiring: null,
      retired: NOTHING,
    };
    registration.handle = this.#subscribe(this.#client, registration);
    this.#registrations.add(registration);
    // a bound method, not a closure: one small object per monitored item
    return { nodeId: registration.handle.nodeId, stop: this.#stop.bind(this, registration) };
  }

  #stop(registration: Registration): void {
    if (!this.#registrations.delete(registration)) return;
    registration.handle.stop();
    registration.pending.length = 0;
    this.#retire(registration);
  }

  /** Events of a notifier (RedundantClient.events, canonical NodeIds); moves to the new client at a reload. */
  monitorEvents(notifier: NodeIdLike, filter: EventFilter, listener: EventListener): EventHandle {
    const registration = {
      notifier,
      filter,
      listener,
      handle: this.#client.events.acquire(resolveNodeId(notifier), filter, listener),
    };
    this.#eventRegistrations.add(registration);
    return {
      refresh: () => registration.handle.refresh(),
      stop: () => {
        if (!this.#eventRegistrations.delete(registration)) return;
        registration.handle.stop();
      },
    };
  }

  /**
   * Switch to `next` (already started): every live monitor moves to it and events come from it.
   * The previous client keeps delivering each item until the streams line up (see #subscribe;
   * at most 5 s). Resolves once the previous client has stopped.
   */
  async replace(next: RedundantClient): Promise<void> {
    const previous = this.#client;
    this.#detach();
    this.#client = next;
    this.#detach = this.#forwardEvents(next);
    if (this.#publishingRequest !== null) next.requestPublishingInterval(this.#publishingRequest);
    const handedOver: Promise<void>[] = [];
    for (const registration of this.#registrations) {
      registration.retiring = registration.handle;
      handedOver.push(
        new Promise<void>((resolve) => {
          registration.retired = resolve;
        }),
      );
      registration.handle = this.#subscribe(next, registration);
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(handedOver),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, HANDOVER_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    for (const registration of this.#registrations) this.#retire(registration);
    // event items move at once: the new servers' retained conditions, framed, rebuild alarm lists
    for (const registration of this.#eventRegistrations) {
      registration.handle.stop();
      registration.handle = next.events.acquire(
        resolveNodeId(registration.notifier),
        registration.filter,
        registration.listener,
      );
      void registration.handle.refresh();
    }
    await previous.stop();
    // The downstream view changed at once (new servers): tell listeners like any state change,
    // even when the new client's state is the one they knew.
    this.#setState(
      next.state,
      `configuration reloaded: servers ${next.config.servers.map((s) => s.url).join(", ")}`,
      true,
    );
  }

  /**
   * The one place the engine's "stateChanged" comes from: the current client's changes and a
   * reload's. Checked against PAIR_TRANSITIONS; from is what the listeners were told last.
   */
  #setState(to: PairState, reason: string, always = false): void {
    const from = this.#announced;
    if (from === to && !always) return;
    checkTransition(PAIR_TRANSITIONS, from, to, this.#logger);
    this.#announced = to;
    this.emit("stateChanged", { from, to, reason });
  }

  /**
   * During a handover the previous client's stream goes on while the new client's values wait;
   * once the previous stream has reached the new stream's first source time, the waiting values
   * newer than the last delivered one follow and the previous monitor stops: no value is lost,
   * repeated or delivered out of order when both sets of servers read the same devices.
   */
  #subscribe(client: RedundantClient, registration: Registration): MonitorHandle {
    return client.monitor(
      registration.nodeId,
      registration.options,
      this.#onValue.bind(this, client, registration),
    );
  }

  #onValue(client: RedundantClient, registration: Registration, value: DataValue): void {
    const handover = registration.retiring !== null;
    if (!handover) {
      if (client === this.#client) this.#deliver(registration, value);
      return; // else: a replaced client's late value
    }
    if (client !== this.#client) {
      this.#deliver(registration, value, true);
    } else if (timeOf(value) === null) {
      this.#retire(registration); // no time to line the streams up with: switch now
      this.#deliver(registration, value);
      return;
    } else {
      registration.pending.push(value);
    }
    const first = registration.pending[0];
    const last = registration.lastSourceTime;
    if (first && last !== null && last >= (timeOf(first) as number)) this.#retire(registration);
  }

  #deliver(registration: Registration, value: DataValue, onlyNewer = false): void {
    const time = timeOf(value);
    if (
      onlyNewer &&
      time !== null &&
      registration.lastSourceTime !== null &&
      time <= registration.lastSourceTime
    )
      return;
    registration.lastSourceTime = time;
    this.valuesForwarded++;
    registration.onValue(value);
  }

  /** Ends a registration's handover: waiting values follow, the previous monitor stops. */
  #retire(registration: Registration): void {
    const pending = registration.pending.splice(0);
    registration.retiring?.stop();
    registration.retiring = null;
    for (const value of pending) this.#deliver(registration, value, true);
    registration.retired();
  }

  #forwardEvents(client: RedundantClient): () => void {
    // The same payload passes through unchanged, whatever the event: an untyped view of both emitters.
    const source = client as unknown as EventEmitter;
    const target = this as unknown as EventEmitter;
    const listeners = FORWARDED_EVENTS.map((event) => {
      const listener = (payload: unknown) => target.emit(event, payload);
      source.on(event, listener);
      return () => source.off(event, listener);
    });
    const onState = ({ to, reason }: { to: PairState; reason: string }) => this.#setState(to, reason);
    client.on("stateChanged", onState);
    return () => {
      for (const off of listeners) off();
      client.off("stateChanged", onState);
    };
  }
}

/** What the gateway's own nodes need from a pair: its status and the operator failover. */
export type PairControl = Pick<RedundantClient, "status" | "failover">;
