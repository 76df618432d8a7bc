import { EventEmitter } from "node:events";
import { type ClientSession, type DataValue, type OPCUAClient, ServerState } from "node-opcua";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import { checkNodeOpcuaPrivates } from "../node-opcua-private.ts";
import type { ServerFacts } from "../redundancy/types.ts";
import { checkTransition } from "../transitions.ts";
import { transportTimeoutMs } from "./channel.ts";
import { clientCertificateManager, defaultPkiFolder } from "./client-pki.ts";
import { type ConnectionEvents, noSession, ServerStateNodeId, UpstreamConnection } from "./connection.ts";
import { followItemSet, type UpstreamEventItems } from "./event-items.ts";
import type { ProbeResult } from "./health-probe.ts";
import { UpstreamItemSet } from "./item-set.ts";
import { LastError } from "./last-error.ts";
import { LINK_TRANSITIONS, type LinkState } from "./link-state.ts";
import type { LinkEvents, LinkRole, LinkSettings } from "./link-types.ts";
import { CanonicalNamespaces, LinkNamespaces } from "./namespace-remap.ts";
import { PublishingRate } from "./publishing-rate.ts";
import { refusalMessage, thumbprintOf } from "./server-certificate.ts";
import { StallGuard } from "./stall-guard.ts";
import type { RecoveryCounters } from "./subscription-watch.ts";

export type {
  LinkCertificateRefusal,
  LinkEvents,
  LinkGap,
  LinkRole,
  LinkSettings,
  LinkState,
  LinkStateChange,
} from "./link-types.ts";

/**
 * One upstream server: an OPC UA client with one session and one subscription, health checks
 * (status query, publish watchdog, ServerState and ServiceLevel) and the data items.
 *
 * The link keeps its role and its state; each fresh start is an `UpstreamConnection`
 * (connection.ts: client, session, subscriptions, probe), dropped with its AbortSignal.
 * Upstream faults never throw: they become state changes, all made by `#setState` and checked
 * against `LINK_TRANSITIONS`. Recovery is node-opcua's own reconnect path (new SecureChannel,
 * ActivateSession, or a new session with TransferSubscriptions); when our probe sees a silent
 * outage it breaks the channel so that the same path runs.
 */
export class UpstreamLink extends EventEmitter<LinkEvents> {
  readonly settings: LinkSettings;
  readonly items: UpstreamItemSet;
  readonly events: UpstreamEventItems;
  readonly #logger: Logger;
  readonly #clock: Clock;
  #state: LinkState = "idle";
  #role: LinkRole = "off";
  #facts: ServerFacts = { status: "unknown" };
  /** The current connection (null while off); a new one at every fresh start. */
  #connection: UpstreamConnection | null = null;
  /** What §6.7 recovery fetched (Republish) and missed, over the link's life. */
  readonly recovery: RecoveryCounters = {
    republishedMessages: 0,
    republishedValues: 0,
    gaps: 0,
    missingMessages: 0,
  };
  #retryTimer: NodeJS.Timeout | null = null;
  readonly #stallGuard: StallGuard;
  readonly lastError = new LastError(() => this.#clock.now());
  /** Thumbprint of the certificate the server had when last connected (secured links). */
  #serverCertificate: string | null = null;
  /** The certificate refused since the last connection, reported once. */
  #refused: { thumbprint: string; message: string } | null = null;

  /** The publishing interval of the link's subscriptions (followDownstream may change it). */
  readonly publishing: PublishingRate;

  /** Canonical ↔ this server's namespace indices, by URI (NamespaceArray read after every connect). */
  readonly namespaces: LinkNamespaces;
  readonly #canonical: CanonicalNamespaces;

  constructor(
    settings: LinkSettings,
    options: { logger: Logger; clock: Clock; namespaces?: CanonicalNamespaces },
  ) {
    super();
    checkNodeOpcuaPrivates(); // a node-opcua without the members this version uses fails here, coded
    this.settings = settings;
    this.#logger = options.logger.child({ server: settings.index, url: settings.url });
    this.#clock = options.clock;
    this.publishing = new PublishingRate(settings.subscription);
    this.#canonical = options.namespaces ?? new CanonicalNamespaces();
    this.namespaces = new LinkNamespaces(this.#canonical, settings.index);
    this.items = new UpstreamItemSet(
      (key, value) => this.emit("value", key, value, !this.#connection?.recovering),
      this.#logger,
      (nodeId) => this.namespaces.toLink(nodeId),
      {
        requestTimeoutMs: settings.requestTimeoutMs,
        defaultQueueSize: settings.subscription.queueSize,
        openSubscription: async () => {
          if (!this.#connection) throw noSession();
          return this.#connection.openDataSubscription();
        },
        onSubscriptionOpened: (subscription) => this.#connection?.watchSubscription(subscription),
      },
    );
    this.events = followItemSet(this.items, this.#logger, this.namespaces);
    const r = settings.reconnect;
    this.#stallGuard = new StallGuard(
      Math.max(15_000, 3 * (r.maxDelayMs + transportTimeoutMs(settings.statusQuery))),
      () => {
        if (this.#role === "off" || this.#state !== "lost") return;
        this.#logger.warn("reconnect stalled: starting over with a fresh connection");
        void this.#disconnect("reconnect stalled").then(() => {
          if (this.#role !== "off") void this.#connect();
        });
      },
    );
  }

  get state(): LinkState {
    return this.#state;
  }
  get role(): LinkRole {
    return this.#role;
  }
  get facts(): Readonly<ServerFacts> {
    return this.#facts;
  }
  /** The session, only while the link is connected and healthy. */
  get session(): ClientSession | null {
    return this.#state === "connected" ? (this.#connection?.session ?? null) : null;
  }

  /** The publishing interval the server granted (the one asked for while there is no subscription). */
  get publishingIntervalMs(): number {
    return this.#connection?.publishingIntervalMs ?? this.publishing.intervalMs;
  }

  /** Change what this link carries; starts or stops the connection as needed. */
  async setRole(role: LinkRole): Promise<void> {
    const previous = this.#role;
    if (role === previous) return;
    this.#role = role;
    if (role === "off") return this.#disconnect("role off");
    if (previous === "off") return this.#connect();
    if (role === "full") this.#connection?.attachItems();
    if (role === "watch")
      await this.items.detach({ deleteUpstream: true, timeoutMs: this.settings.statusQuery.timeoutMs });
  }

  /**
   * The subscriptions' publishing interval (null: the configured one), for this connection and
   * the next ones. A server that refuses the change keeps the previous interval (logged).
   */
  async setPublishingInterval(intervalMs: number | null): Promise<void> {
    if (!this.publishing.set(intervalMs)) return;
    this.#logger.info(
      { publishingIntervalMs: this.publishing.intervalMs },
      "upstream publishing interval changed",
    );
    await this.#connection
      ?.modifySubscriptions()
      .catch((error: unknown) => this.#logger.warn({ err: error }, "cannot change the publishing interval"));
  }

  async stop(): Promise<void> {
    this.#role = "off";
    await this.#disconnect("stopped");
    this.#setState("stopped", "stopped");
  }

  /** A fresh connection: the previous one (if any) is dropped. */
  async #connect(): Promise<void> {
    const previous = this.#connection;
    if (previous) void previous.close();
    const connection = new UpstreamConnection(
      {
        settings: this.settings,
        logger: this.#logger,
        clock: this.#clock,
        items: this.items,
        namespaces: this.namespaces,
        recovery: this.recovery,
        publishing: this.publishing,
        carriesItems: () => this.#role === "full",
      },
      this.#connectionEvents(),
    );
    this.#connection = connection;
    const manager = await clientCertificateManager(this.settings.pkiFolder).catch((error: Error) => error);
    if (connection.aborted) return;
    if (manager instanceof Error) return this.#pkiFailed(manager);
    try {
      await connection.open(manager);
    } catch (error) {
      if (connection.aborted) return;
      // connect() retries forever; reaching here means the session or subscription failed.
      this.lastError.set(this.#refused?.message ?? (error instanceof Error ? error.message : String(error)));
      if (!this.#refused) this.#logger.warn({ err: error }, "upstream session setup failed; retrying");
      if (this.settings.index === 0) this.#canonical.primaryUnavailable();
      await this.#disconnect("setup failed");
      this.#connectLater();
    }
  }

  /** The connection's callbacks (it calls none once aborted). */
  #connectionEvents(): ConnectionEvents {
    return {
      connecting: () => this.#setState("connecting", "connecting"),
      backoff: (count, delay) => {
        if (this.settings.index === 0) this.#canonical.primaryUnavailable();
        this.lastError.set(`connection attempt ${count + 1} failed, next in ${delay} ms`);
        if (this.#state !== "lost") this.#setState("lost", "cannot connect");
      },
      lost: (reason) => this.#lose(reason),
      trusted: (client) => this.#trustedCertificate(client),
      certificateRefused: (thumbprint, status) => this.#onCertificateRefused(thumbprint, status),
      probe: (result) => this.#onProbe(result),
      health: (nodeId, value) => this.#onHealthValue(nodeId, value),
      gap: (gap, recovered) => {
        this.#logger.warn({ ...gap, recovered }, "notifications lost upstream");
        this.emit("gap", { ...gap, server: this.settings.index, url: this.settings.url, recovered });
      },
    };
  }

  #onHealthValue(nodeId: string, value: DataValue): void {
    if (!value.statusCode.isGood()) return;
    if (nodeId === ServerStateNodeId) {
      this.#updateFacts({ serverState: ServerState[value.value.value as number] ?? "Unknown" });
    } else {
      this.#updateFacts({ serviceLevel: Number(value.value.value) });
    }
  }

  #onProbe(result: ProbeResult): void {
    if (result.ok) {
      if (result.clock) this.emit("clockSample", result.clock);
      this.#updateFacts({ serverState: result.serverState, serviceLevel: result.serviceLevel });
      if (this.#state !== "connected") {
        this.#setState("connected", "status query answered");
        if (this.#role === "full") this.items.retryFailed();
      }
      return;
    }
    if (this.#state === "connected" || this.#state === "connecting") {
      this.#lose(result.reason);
      // A silent outage: make node-opcua re-create the channel and re-activate the session.
      this.#connection?.breakChannel();
    }
  }

  /** The certificate the server connected with is the one a later refusal is compared to. */
  #trustedCertificate(client: OPCUAClient): void {
    this.#refused = null;
    if (client.serverCertificate) this.#serverCertificate = thumbprintOf(client.serverCertificate);
  }

  #onCertificateRefused(thumbprint: string, status: string): void {
    const previous = this.#serverCertificate !== thumbprint ? this.#serverCertificate : null;
    const first = this.#refused?.thumbprint !== thumbprint;
    const message = refusalMessage(thumbprint, previous, status);
    this.#refused = { thumbprint, message };
    this.lastError.set(message);
    if (first) {
      this.#logger.warn({ thumbprint, previous, status }, message);
      const { index: server, url } = this.settings;
      this.emit("certificateRefused", { server, url, thumbprint, previous, status, message });
    }
    // Inside node-opcua's reconnect (it had a session), which would retry at once, forever: start
    // over at this link's own backoff. A first connect fails by itself and takes that path anyway.
    if (this.#connection?.session && this.#role !== "off") {
      this.#lose(message);
      void this.#disconnect("certificate refused").then(() => this.#connectLater());
    }
  }

  /** A fresh connection after the longest reconnect delay (cancelled by the next disconnect). */
  #connectLater(): void {
    if (this.#role === "off") return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      if (this.#role !== "off") void this.#connect();
    }, this.settings.reconnect.maxDelayMs);
  }

  #lose(reason: string): void {
    this.lastError.set(reason);
    if (this.#state === "stopped" || this.#state === "idle") return;
    this.#connection?.invalidateProbe();
    this.#setState("lost", reason);
  }

  async #disconnect(reason: string): Promise<void> {
    const connection = this.#connection;
    connection?.abort();
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    await this.items.detach({ deleteUpstream: false, timeoutMs: 0 });
    if (this.#connection === connection) this.#connection = null;
    if (this.#state !== "stopped") this.#setState("idle", reason);
    await connection?.close();
  }

  /** The client PKI cannot be set up (e.g. its folder cannot be created): a link error, retried. */
  #pkiFailed(error: Error): void {
    const message = `client PKI ${this.settings.pkiFolder ?? defaultPkiFolder()}: ${error.message}`;
    this.lastError.set(message);
    this.#logger.warn({ err: error }, "cannot set up the client PKI; retrying at the reconnect backoff");
    this.#setState("lost", message);
    this.#connectLater();
  }

  #updateFacts(change: Partial<ServerFacts>): void {
    const next = { ...this.#facts, ...change };
    if (
      next.status === this.#facts.status &&
      next.serverState === this.#facts.serverState &&
      next.serviceLevel === this.#facts.serviceLevel &&
      next.monitorsFailing === this.#facts.monitorsFailing
    ) {
      return;
    }
    this.#facts = next;
    this.emit("facts", next);
  }

  /**
   * Every state change goes through here: checked against LINK_TRANSITIONS, one log line, one
   * event, facts kept in step.
   */
  #setState(to: LinkState, reason: string): void {
    const from = this.#state;
    if (from === to) return;
    checkTransition(LINK_TRANSITIONS, from, to, this.#logger);
    this.#state = to;
    if (to === "lost") this.#stallGuard.arm();
    else this.#stallGuard.disarm();
    this.#logger.info({ from, to, reason }, "upstream link state");
    this.emit("state", { server: this.settings.index, url: this.settings.url, from, to, reason });
    const status =
      to === "connected" ? "up" : to === "connecting" ? "connecting" : to === "lost" ? "down" : "unknown";
    // ServerState and ServiceLevel are kept: the status query refreshes them on reconnect.
    this.#updateFacts({ status });
  }
}
