import { EventEmitter } from "node:events";
import {
  AttributeIds,
  type BrowseDescriptionLike,
  type BrowseResult,
  type CallMethodRequestLike,
  type CallMethodResult,
  type ClientSession,
  type DataValue,
  type HistoryReadRequestOptions,
  type HistoryReadResult,
  type NodeIdLike,
  type ReadValueIdOptions,
  resolveNodeId,
  type StatusCode,
  type WriteValueOptions,
} from "node-opcua";
import { type Clock, systemClock } from "../clock.ts";
import { parsePairConfig } from "../config/load.ts";
import type { PairConfig, PairConfigInput } from "../config/schema.ts";
import { upstreamSettings } from "../config/schema-upstream.ts";
import { RedundancyError } from "../errors.ts";
import { type Logger, silentLogger } from "../log.ts";
import { RedundancyMachine } from "../redundancy/machine.ts";
import { PAIR_TRANSITIONS } from "../redundancy/pair-state.ts";
import type { Decision, PairState, ServerFacts } from "../redundancy/types.ts";
import { checkTransition } from "../transitions.ts";
import { UpstreamLink } from "../upstream/link.ts";
import { CanonicalNamespaces } from "../upstream/namespace-remap.ts";
import { noCommunication } from "./data-values.ts";
import { EventRegistry } from "./event-registry.ts";
import { ItemRegistry, pairItems, type ValueListener } from "./item-registry.ts";
import { MonitorItems } from "./monitor-items.ts";
import { pairStatus } from "./pair-status.ts";
import { RequestForwarding } from "./request-forwarding.ts";
import { isReporting, linkRoles } from "./roles.ts";
import type { ServerClocks } from "./server-clocks.ts";
import { followServerFacts } from "./server-facts.ts";
import type {
  FailoverEvent,
  MonitorHandle,
  MonitorOptions,
  PairStatus,
  RedundantClientEvents,
} from "./types.ts";

export interface RedundantClientOptions {
  clock?: Clock;
  logger?: Logger;
  /** Reads, writes, calls and browses fail with BadTimeout after this long (default 5000 ms). */
  requestTimeoutMs?: number;
  /** The PKI folder of the upstream client (own certificate, trusted server certificates). */
  pkiFolder?: string;
}

/** A monitor's handle (a class, not a closure: one per monitored item). */
class RegistryHandle implements MonitorHandle {
  readonly nodeId: string;
  readonly #key: string;
  #onValue: ValueListener | null;
  readonly #items: ItemRegistry;
  constructor(nodeId: string, key: string, onValue: ValueListener, items: ItemRegistry) {
    this.nodeId = nodeId;
    this.#key = key;
    this.#onValue = onValue;
    this.#items = items;
  }
  stop(): void {
    const onValue = this.#onValue;
    if (!onValue) return;
    this.#onValue = null;
    this.#items.release(this.#key, onValue);
  }
}

/**
 * A redundant set of upstream OPC UA servers used as one: the library face of the engine.
 * Values come from the active server (hot mode: without loss or duplicates across a failover);
 * requests go to the active server only, never queued for later.
 */
export class RedundantClient extends EventEmitter<RedundantClientEvents> {
  readonly config: PairConfig;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #requests: RequestForwarding;
  readonly #links: UpstreamLink[];
  readonly #machine: RedundancyMachine;
  readonly #items: ItemRegistry;
  readonly #clocks: ServerClocks;
  readonly #monitors: MonitorItems;
  /** Event subscriptions: `events.acquire(notifier, filter, listener)` (event-registry.ts). */
  readonly events: EventRegistry;
  #state: PairState = "starting";
  /** Cold mode: standbys connected for health checks because the machine tried them. */
  readonly #coldStandbys = new Set<number>();
  #wakeTimer: NodeJS.Timeout | null = null;
  #failovers = 0;
  #lastFailover: FailoverEvent | null = null;
  /** When the active server stopped serving (for failover durations), or every server was lost. */
  #outageSince: number | null = null;
  #started = false;
  /** Canonical namespace indices: the first NamespaceArray read (see upstream/namespace-remap.ts). */
  readonly #namespaces = new CanonicalNamespaces();

  constructor(config: PairConfigInput | PairConfig, options: RedundantClientOptions = {}) {
    super();
    this.config = parsePairConfig(config);
    this.#clock = options.clock ?? systemClock;
    this.#logger = (options.logger ?? silentLogger).child({ pair: this.config.name });
    const requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    const c = this.config;
    this.#links = c.servers.map(
      (server, index) =>
        new UpstreamLink(
          {
            index,
            url: server.url,
            statusQuery: c.statusQuery,
            ...upstreamSettings(c, server),
            reconnect: c.reconnect,
            requestTimeoutMs,
            ...(server.reverseConnect ? { reverseConnect: server.reverseConnect } : {}),
            clientName: `opcua-redundancy-${c.name}`,
            security: server.security,
            user: server.user,
            pkiFolder: options.pkiFolder,
          },
          { logger: this.#logger, clock: this.#clock, namespaces: this.#namespaces },
        ),
    );
    this.#machine = new RedundancyMachine(
      {
        serverCount: c.servers.length,
        mode: c.mode,
        failback: c.failback,
        minDwellMs: c.minDwellMs,
        serviceLevelMinimum: c.serviceLevel.minimum,
        failureCount: c.failureCount,
        // At start, a primary still connecting is waited for a little: a loaded machine is slow to create sessions.
        startupGraceMs: 2 * (c.statusQuery.intervalMs + c.statusQuery.timeoutMs),
        retryDelayMs: c.reconnect.maxDelayMs,
        serverNames: c.servers.map((server, i) => server.name ?? `server ${i}`),
      },
      this.#clock.now(),
    );
    this.#requests = new RequestForwarding({
      pairName: c.name,
      timeoutMs: requestTimeoutMs,
      active: () => {
        const link = this.#links[this.#machine.active ?? -1];
        const session = link?.session;
        return link && session
          ? { session, namespaces: link.namespaces, limits: link.items.operationLimits }
          : null;
      },
    });
    [this.#items, this.#clocks] = pairItems(this.#links, c, { logger: this.#logger, clock: this.#clock });
    this.#clocks.on("step", (event) => this.emit("clockStep", event));
    this.events = new EventRegistry(this.#links, this, { mode: c.mode, bufferSize: c.hot.bufferSize });
    this.#monitors = new MonitorItems(
      this.#links,
      {
        monitors: c.monitors,
        failureCount: c.failureCount,
        subscription: c.subscription,
        timeoutMs: c.statusQuery.timeoutMs,
        serverNames: c.servers.map((server, i) => server.name ?? `server ${i}`),
      },
      { clock: this.#clock, logger: this.#logger, active: () => this.#machine.active },
    );
    // Monitor verdicts reach the machine as facts, through the same path as the links' facts.
    this.#monitors.on("changed", (server) => this.#onFacts(server, this.#links[server]!.facts));
    this.#monitors.on("monitorChanged", (event) => this.emit("monitorChanged", event));
    this.#monitors.on("monitorNotice", (event) => this.emit("monitorNotice", event));
    for (const link of this.#links) {
      link.on("facts", (facts) => this.#onFacts(link.settings.index, facts));
      followServerFacts(link, this.#clock, (event) => this.emit("serverFacts", event));
      link.on("state", (change) => this.emit("linkStateChanged", change));
      link.on("gap", (gap) =>
        this.emit("gap", {
          server: gap.url,
          index: gap.server,
          subscriptionId: gap.subscriptionId,
          missingMessages: gap.missingMessages,
          cause: gap.cause,
          recovered: gap.recovered,
          at: new Date(this.#clock.now()),
        }),
      );
      link.on("certificateRefused", ({ server, url, ...refusal }) =>
        this.emit("certificateRefused", {
          server: url,
          index: server,
          ...refusal,
          at: new Date(this.#clock.now()),
        }),
      );
    }
  }

  get state(): PairState {
    return this.#state;
  }

  /**
   * The NamespaceArray the engine's NodeIds refer to (the canonical one, see
   * upstream/namespace-remap.ts); null until a server has been read.
   */
  get namespaceUris(): readonly string[] | null {
    return this.#namespaces.uris;
  }
  /** The active server's session, for own subscriptions on it (one session per server, no second). */
  activeSession(): ClientSession | null {
    return this.#links[this.#machine.active ?? -1]?.session ?? null;
  }

  /** Connects the servers; resolves once a server is active or every server has failed once. */
  async start(): Promise<void> {
    if (this.#started) throw new RedundancyError("ERR_INVALID_ARGUMENT", "start() was called twice");
    this.#started = true;
    this.#apply(this.#machine.evaluate(this.#clock.now()));
    if (this.#state !== "starting") return;
    await new Promise<void>((resolve) => {
      const check = () => {
        if (this.#state === "starting") return;
        this.off("stateChanged", check);
        resolve();
      };
      this.on("stateChanged", check);
    });
  }

  async stop(): Promise<void> {
    this.#machine.stop();
    this.#monitors.stop();
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    this.#wakeTimer = null;
    this.#setState("stopped", "stopped");
    await Promise.all(this.#links.map((link) => link.stop()));
  }

  /**
   * Follow a node's value. Several monitors of one node share one upstream item per server.
   * `onValue` gets the current value at once when the pair already has it.
   */
  monitor(nodeId: NodeIdLike, options: MonitorOptions, onValue: ValueListener): MonitorHandle {
    if (this.#state === "stopped") throw new RedundancyError("ERR_CLIENT_STOPPED", "the client is stopped");
    const resolved = resolveNodeId(nodeId);
    const attributeId = options.attributeId ?? AttributeIds.Value;
    const key = ItemRegistry.keyOf(resolved, attributeId);
    const spec = {
      nodeId: resolved,
      attributeId,
      samplingInterval: options.samplingInterval ?? this.config.subscription.samplingIntervalMs,
      queueSize: options.queueSize, // absent: each server's own subscription.queueSize
    };
    const { mirror, created } = this.#items.acquire(key, spec, onValue);
    if (created) {
      const active = this.#machine.active;
      if (active !== null) mirror.activate(active);
      else if (this.#state === "allLost") mirror.lose(noCommunication(this.#clock.now()));
    } else if (mirror.lastDelivered) {
      onValue(mirror.lastDelivered);
    }
    return new RegistryHandle(resolved.toString(), key, onValue, this.#items);
  }

  /**
   * The fastest publishing interval the client's users need (the gateway: its fastest downstream
   * request; null: none). With subscription.followDownstream every server's subscriptions publish
   * at it, kept within [minMs, maxMs] (null: each server's configured interval); without, nothing
   * changes.
   */
  requestPublishingInterval(intervalMs: number | null): void {
    const follow = this.config.subscription.followDownstream;
    if (!follow) return;
    const target = intervalMs === null ? null : Math.min(follow.maxMs, Math.max(follow.minMs, intervalMs));
    for (const link of this.#links) void link.setPublishingInterval(target);
  }

  read(nodes: readonly (ReadValueIdOptions | NodeIdLike)[], maxAge = 0): Promise<DataValue[]> {
    return this.#requests.read(nodes, maxAge);
  }

  /** Writes go to the active server only; with none active they fail at once and are never retried. */
  write(nodes: readonly WriteValueOptions[]): Promise<StatusCode[]> {
    return this.#requests.write(nodes);
  }

  call(methods: readonly CallMethodRequestLike[]): Promise<CallMethodResult[]> {
    return this.#requests.call(methods);
  }

  /**
   * HistoryRead on the active server, answered as it is. Its continuation points belong to that
   * server's session: after a failover they are invalid there (BadContinuationPointInvalid).
   */
  historyRead(request: HistoryReadRequestOptions): Promise<HistoryReadResult[]> {
    return this.#requests.historyRead(request);
  }

  browse(nodes: readonly BrowseDescriptionLike[]): Promise<BrowseResult[]> {
    return this.#requests.browse(nodes);
  }

  /** Continuation points belong to the session that made them: valid only until a failover. */
  browseNext(
    continuationPoints: readonly Buffer[],
    releaseContinuationPoints = false,
  ): Promise<BrowseResult[]> {
    return this.#requests.browseNext(continuationPoints, releaseContinuationPoints);
  }

  /** Operator command: switch to `target` (index or URL), or to the best other server. */
  failover(target?: number | string): void {
    const index =
      typeof target === "string" ? this.config.servers.findIndex((s) => s.url === target) : target;
    if (index === -1 || (index !== undefined && (index < 0 || index >= this.#links.length))) {
      throw new RedundancyError(
        "ERR_INVALID_ARGUMENT",
        `no server ${String(target)} in pair ${this.config.name}`,
      );
    }
    const result = this.#machine.requestSwitch(this.#clock.now(), index);
    if ("refused" in result)
      throw new RedundancyError("ERR_FAILOVER_REFUSED", `failover refused: ${result.refused}`);
    this.#apply(result);
  }

  status(): PairStatus {
    return pairStatus({
      config: this.config,
      state: this.#state,
      active: this.#machine.active,
      failovers: this.#failovers,
      lastFailover: this.#lastFailover,
      links: this.#links,
      items: this.#items,
      monitors: this.#monitors,
      clocks: this.#clocks,
    });
  }

  #onFacts(server: number, facts: ServerFacts): void {
    if (this.#state === "stopped") return;
    const now = this.#clock.now();
    if (server === this.#machine.active && facts.status !== "up" && this.#outageSince === null) {
      this.#outageSince = now;
    }
    // A cold standby that failed its try is disconnected: the next try starts a fresh attempt.
    if (facts.status === "down" && server !== this.#machine.active) this.#coldStandbys.delete(server);
    const monitorsFailing = this.#monitors.failing(server);
    this.#apply(this.#machine.update(server, { ...facts, monitorsFailing }, now));
  }

  /** Carry out the machine's decisions, then bring the links' roles in line. */
  #apply(decisions: Decision[]): void {
    for (const decision of decisions) {
      if (decision.kind === "switch") this.#activate(decision);
      else if (decision.kind === "lost") this.#allLost(decision);
      else this.#coldStandbys.add(decision.server);
    }
    this.#applyRoles();
    this.#scheduleWake();
  }

  #activate(decision: Extract<Decision, { kind: "switch" }>): void {
    const now = this.#clock.now();
    const { from, to, reason, detail } = decision;
    const wasLost = this.#state === "allLost";
    const outageSince = this.#outageSince;
    this.#outageSince = null;
    this.#items.forEachMirror((mirror) => mirror.activate(to));
    this.#logger.info({ from, to, reason, detail }, "active server");
    if (wasLost) {
      const downMs = outageSince === null ? 0 : now - outageSince;
      this.emit("recovered", { server: this.config.servers[to]!.url, index: to, downMs, at: new Date(now) });
    } else if (from !== null) {
      const event: FailoverEvent = {
        from: this.config.servers[from]!.url,
        to: this.config.servers[to]!.url,
        fromIndex: from,
        toIndex: to,
        fromName: this.#serverName(from),
        toName: this.#serverName(to),
        reason,
        detail,
        durationMs: reason === "commLost" && outageSince !== null ? now - outageSince : 0,
        at: new Date(now),
      };
      this.#failovers++;
      this.#lastFailover = event;
      this.emit("failover", event);
    }
    this.#setState("active", `${reason}: ${detail}`);
  }

  #allLost(decision: Extract<Decision, { kind: "lost" }>): void {
    const now = this.#clock.now();
    this.#outageSince ??= now;
    const bad = noCommunication(now);
    this.#items.forEachMirror((mirror) => mirror.lose(bad));
    this.#logger.warn({ detail: decision.detail }, "every server lost");
    this.#setState("allLost", decision.detail);
    this.emit("allServersLost", { reason: decision.reason, detail: decision.detail, at: new Date(now) });
  }

  #applyRoles(): void {
    if (this.#state === "stopped") return;
    const active = this.#machine.active;
    const roles = linkRoles({
      mode: this.config.mode,
      serverCount: this.#links.length,
      active,
      lastActive: this.#machine.lastActive,
      coldStandbys: this.#coldStandbys,
    });
    this.#links.forEach((link, i) => {
      const reporting = isReporting(this.config.mode, i, active);
      if (link.items.reporting !== reporting) {
        link.items.setReporting(reporting).catch((error: unknown) => {
          this.#logger.warn({ err: error, server: i }, "cannot change monitoring mode");
        });
      }
      link
        .setRole(roles[i]!)
        .catch((error: unknown) => this.#logger.error({ err: error }, "link role change failed"));
    });
  }

  #scheduleWake(): void {
    if (this.#wakeTimer) clearTimeout(this.#wakeTimer);
    this.#wakeTimer = null;
    const at = this.#machine.nextWakeAt();
    if (at === null || this.#state === "stopped") return;
    this.#wakeTimer = setTimeout(
      () => {
        this.#wakeTimer = null;
        this.#apply(this.#machine.evaluate(this.#clock.now()));
      },
      Math.max(0, at - this.#clock.now()),
    );
  }

  #serverName(index: number): string {
    return this.config.servers[index]!.name ?? `server ${index}`;
  }

  /** The one place where a pair state changes: checked against PAIR_TRANSITIONS, one log line, one event. */
  #setState(to: PairState, reason: string): void {
    const from = this.#state;
    if (from === to) return;
    checkTransition(PAIR_TRANSITIONS, from, to, this.#logger);
    this.#state = to;
    this.#logger.info({ from, to, reason }, "pair state");
    this.emit("stateChanged", { from, to, reason });
  }
}
