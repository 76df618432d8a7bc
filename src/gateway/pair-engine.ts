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
  DataValue,
  NodeIdLike,
  ReadValueIdOptions,
  StatusCode,
  WriteValueOptions,
} from "node-opcua";
import type { RedundantClient } from "../client/redundant-client.ts";
import type { MonitorHandle, MonitorOptions, PairStatus, RedundantClientEvents } from "../client/types.ts";
import type { PairConfig } from "../config/schema.ts";
import type { PairState } from "../redundancy/types.ts";

const FORWARDED_EVENTS = [
  "stateChanged",
  "failover",
  "linkStateChanged",
  "allServersLost",
  "recovered",
] as const satisfies readonly (keyof RedundantClientEvents)[];

interface Registration {
  nodeId: NodeIdLike;
  options: MonitorOptions;
  onValue: (value: DataValue) => void;
  handle: MonitorHandle;
}

export class PairEngine extends EventEmitter<RedundantClientEvents> {
  #client: RedundantClient;
  readonly #registrations = new Set<Registration>();
  #detach: () => void;
  /** Values delivered to the gateway by the pair's engine (for /metrics). */
  valuesForwarded = 0;

  constructor(client: RedundantClient) {
    super();
    this.#client = client;
    this.#detach = this.#forwardEvents(client);
  }

  get state(): PairState {
    return this.#client.state;
  }

  get config(): PairConfig {
    return this.#client.config;
  }

  start(): Promise<void> {
    return this.#client.start();
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
    const counted = (value: DataValue) => {
      this.valuesForwarded++;
      onValue(value);
    };
    const handle = this.#client.monitor(nodeId, options, counted);
    const registration: Registration = { nodeId, options, onValue: counted, handle };
    this.#registrations.add(registration);
    return {
      nodeId: handle.nodeId,
      stop: () => {
        if (!this.#registrations.delete(registration)) return;
        registration.handle.stop();
      },
    };
  }

  /**
   * Switch to `next` (already started, or starting): every live monitor moves to it, events come
   * from it, and the previous client is stopped. Resolves once the previous client has stopped.
   */
  async replace(next: RedundantClient): Promise<void> {
    const previous = this.#client;
    this.#detach();
    this.#client = next;
    this.#detach = this.#forwardEvents(next);
    for (const registration of this.#registrations) {
      const old = registration.handle;
      registration.handle = next.monitor(registration.nodeId, registration.options, registration.onValue);
      old.stop();
    }
    await previous.stop();
    // The downstream view changed at once (new servers): tell listeners like any state change.
    this.emit("stateChanged", {
      from: previous.state,
      to: next.state,
      reason: `configuration reloaded: servers ${next.config.servers.map((s) => s.url).join(", ")}`,
    });
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
    return () => {
      for (const off of listeners) off();
    };
  }
}

/** What the gateway's own nodes need from a pair: its status and the operator failover. */
export type PairControl = Pick<RedundantClient, "status" | "failover">;
