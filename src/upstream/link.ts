import { EventEmitter } from "node:events";
import {
  AttributeIds,
  ClientReverseConnect,
  type ClientSession,
  type ClientSubscription,
  type DataValue,
  OPCUAClient,
  ServerState,
  TimestampsToReturn,
} from "node-opcua";
import type { Clock } from "../clock.ts";
import type { UpstreamSecurity, UpstreamUser } from "../config/schema-security.ts";
import { RedundancyError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { checkNodeOpcuaPrivates, setBeforeSubscriptionRecreate } from "../node-opcua-private.ts";
import type { ClockSample } from "../redundancy/clock-offset.ts";
import type { ServerFacts } from "../redundancy/types.ts";
import { breakChannel, TransportTracker, transportTimeoutMs, withTimeout } from "./channel.ts";
import { clientApplicationName, clientCertificateManager, defaultPkiFolder } from "./client-pki.ts";
import { followItemSet, type UpstreamEventItems } from "./event-items.ts";
import { type GapRecovery, recoverGap } from "./gap-recovery.ts";
import { HealthProbe, type ProbeResult } from "./health-probe.ts";
import { readOperationLimits } from "./item-batches.ts";
import { UpstreamItemSet } from "./item-set.ts";
import { LastError } from "./last-error.ts";
import type { LinkState } from "./link-state.ts";
import { CanonicalNamespaces, LinkNamespaces, repointItems } from "./namespace-remap.ts";
import { fenceLateRequests } from "./request-fence.ts";
import { upstreamClientSecurity, upstreamUserIdentity } from "./security-options.ts";
import { refusalMessage, reportingRefusals, thumbprintOf } from "./server-certificate.ts";
import { StallGuard } from "./stall-guard.ts";
import { type RecoveryCounters, type SubscriptionGap, SubscriptionWatch } from "./subscription-watch.ts";

export type { LinkState };
/** off: no connection. watch: session and health checks only. full: also carries the data items. */
export type LinkRole = "off" | "watch" | "full";

export interface LinkSettings {
  index: number;
  url: string;
  statusQuery: { intervalMs: number; timeoutMs: number };
  /** queueSize: of the items that do not ask for their own. */
  subscription: {
    publishingIntervalMs: number;
    keepAliveCount: number;
    lifetimeCount: number;
    queueSize: number;
  };
  session: { timeoutMs: number };
  reconnect: { initialDelayMs: number; maxDelayMs: number };
  /** Writes and calls not sent within this long are dropped, never sent late (request-fence.ts). */
  requestTimeoutMs: number;
  /** Reverse Connect: wait for the server to dial in to `listen` instead of dialing `url`. */
  reverseConnect?: { listen: string; serverUri?: string };
  /** Names this link's client in the server's session diagnostics. */
  clientName: string;
  /** Policy and mode (default None), the user (default anonymous): see security-options.ts. */
  security?: UpstreamSecurity;
  user?: UpstreamUser;
  /** The client PKI folder (default: client-pki.ts defaultPkiFolder). */
  pkiFolder?: string;
}

export interface LinkStateChange {
  server: number;
  url: string;
  from: LinkState;
  to: LinkState;
  reason: string;
}

/** Notifications this link's subscription never delivered, and how its values were made current. */
export interface LinkGap extends SubscriptionGap {
  server: number;
  url: string;
  recovered: GapRecovery;
}

/** The trust list refused the certificate the server presents (see server-certificate.ts). */
export interface LinkCertificateRefusal {
  server: number;
  url: string;
  thumbprint: string;
  previous: string | null;
  status: string;
  message: string;
}

export interface LinkEvents {
  certificateRefused: [LinkCertificateRefusal];
  clockSample: [ClockSample];
  facts: [ServerFacts];
  gap: [LinkGap];
  state: [LinkStateChange];
  value: [key: string, value: DataValue, live: boolean]; // live: not replayed by Republish
}

const ServerStateNodeId = "i=2259";
const NamespaceArrayNodeId = "i=2255";
const ServiceLevelNodeId = "i=2267";
/** The health items on the link's own subscription (they count against the server's limit per subscription). */
const HEALTH_ITEMS = [ServerStateNodeId, ServiceLevelNodeId];

/**
 * One upstream server: an OPC UA client with one session and one subscription, health checks
 * (status query, publish watchdog, ServerState and ServiceLevel) and the data items.
 *
 * Upstream faults never throw: they become state changes, all made by `#setState`. Recovery is
 * node-opcua's own reconnect path (new SecureChannel, ActivateSession, or a new session with
 * TransferSubscriptions); when our probe sees a silent outage it breaks the channel so that the
 * same path runs.
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
  #client: OPCUAClient | null = null;
  #transports: TransportTracker | null = null;
  #reverseListener: ClientReverseConnect | null = null;
  #session: ClientSession | null = null;
  #subscription: ClientSubscription | null = null;
  #probe: HealthProbe | null = null;
  /** One per subscription of the session (the link's own, and those the items spread over). */
  #watches: SubscriptionWatch[] = [];
  /** What §6.7 recovery fetched (Republish) and missed, over the link's life. */
  readonly recovery: RecoveryCounters = {
    republishedMessages: 0,
    republishedValues: 0,
    gaps: 0,
    missingMessages: 0,
  };
  /** Bumped on every start/stop so that late callbacks of an old connection are ignored. */
  #generation = 0;
  #retryTimer: NodeJS.Timeout | null = null;
  readonly #stallGuard: StallGuard;
  readonly lastError = new LastError(() => this.#clock.now());
  /** Thumbprint of the certificate the server had when last connected (secured links). */
  #serverCertificate: string | null = null;
  /** The certificate refused since the last connection, reported once. */
  #refused: { thumbprint: string; message: string } | null = null;

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
    this.#canonical = options.namespaces ?? new CanonicalNamespaces();
    this.namespaces = new LinkNamespaces(this.#canonical, settings.index);
    this.items = new UpstreamItemSet(
      (key, value) => this.emit("value", key, value, !this.#watches.some((watch) => watch.recovering)),
      this.#logger,
      (nodeId) => this.namespaces.toLink(nodeId),
      {
        requestTimeoutMs: settings.requestTimeoutMs,
        defaultQueueSize: settings.subscription.queueSize,
        openSubscription: () => this.#openDataSubscription(),
        onSubscriptionOpened: (subscription) => this.#watchSubscription(subscription),
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
    return this.#state === "connected" ? this.#session : null;
  }

  /** Change what this link carries; starts or stops the connection as needed. */
  async setRole(role: LinkRole): Promise<void> {
    const previous = this.#role;
    if (role === previous) return;
    this.#role = role;
    if (role === "off") return this.#disconnect("role off");
    if (previous === "off") return this.#connect();
    if (role === "full" && this.#subscription) this.items.attach(this.#subscription, HEALTH_ITEMS.length);
    if (role === "watch")
      await this.items.detach({ deleteUpstream: true, timeoutMs: this.settings.statusQuery.timeoutMs });
  }

  async stop(): Promise<void> {
    this.#role = "off";
    await this.#disconnect("stopped");
    this.#setState("stopped", "stopped");
  }

  async #connect(): Promise<void> {
    const generation = ++this.#generation;
    const s = this.settings;
    const manager = await clientCertificateManager(s.pkiFolder).catch((error: Error) => error);
    if (generation !== this.#generation) return;
    if (manager instanceof Error) return this.#pkiFailed(manager);
    const certificateManager = reportingRefusals(manager, (thumbprint, status) => {
      if (generation === this.#generation) this.#onCertificateRefused(thumbprint, status.name);
    });
    const transports = new TransportTracker();
    const client = OPCUAClient.create({
      // reverse connect brings its own transports (sockets the server opened)
      ...(s.reverseConnect ? {} : { transportFactory: transports }),
      applicationName: clientApplicationName,
      clientCertificateManager: certificateManager,
      ...upstreamClientSecurity(s.security),
      clientName: `${s.clientName}-${s.index}`,
      endpointMustExist: false,
      keepSessionAlive: false,
      requestedSessionTimeout: s.session.timeoutMs,
      transportTimeout: transportTimeoutMs(s.statusQuery),
      connectionStrategy: {
        initialDelay: s.reconnect.initialDelayMs,
        maxDelay: s.reconnect.maxDelayMs,
        randomisationFactor: 0.1,
        maxRetry: -1,
      },
    });
    this.#client = client;
    this.#transports = transports;
    this.#setState("connecting", "connecting");
    client.on("backoff", (count: number, delay: number) => {
      if (generation !== this.#generation) return;
      if (s.index === 0) this.#canonical.primaryUnavailable();
      this.lastError.set(`connection attempt ${count + 1} failed, next in ${delay} ms`);
      if (this.#state !== "lost") this.#setState("lost", "cannot connect");
    });
    client.on("connection_lost", () => {
      if (generation !== this.#generation) return;
      for (const watch of this.#watches) watch.recovering = true;
      this.#lose("connection lost");
    });
    // A new session (the server restarted?): read the NamespaceArray before node-opcua re-creates
    // the items, and move their NodeIds to the namespaces' new indices.
    setBeforeSubscriptionRecreate(client, async (session: ClientSession) => {
      if (generation !== this.#generation) return undefined;
      await this.#readNamespaces(session);
      this.items.limits = await readOperationLimits(session); // a restarted server may state others
      return undefined;
    });
    client.on("connection_reestablished", () => {
      if (generation !== this.#generation) return;
      for (const watch of this.#watches) watch.recovering = false;
      if (this.#session) void this.#readNamespaces(this.#session);
      this.#trustedCertificate(client); // node-opcua may have fetched a new one, which the trust list accepted
      this.#logger.info("connection re-established");
      this.#probe?.checkNow();
    });
    try {
      if (s.reverseConnect) {
        const listener = new ClientReverseConnect({ connectionUrl: s.reverseConnect.listen });
        this.#reverseListener = listener;
        await listener.start();
        if (generation !== this.#generation) return;
        await client.connectReverse(listener, { serverUri: s.reverseConnect.serverUri });
      } else {
        await client.connect(s.url);
      }
      if (generation !== this.#generation) return;
      const session = await client.createSession(await upstreamUserIdentity(s.user));
      if (generation !== this.#generation) {
        await session.close().catch(() => undefined);
        return;
      }
      this.#session = session;
      this.#trustedCertificate(client);
      fenceLateRequests(session, s.requestTimeoutMs);
      await this.#readNamespaces(session);
      this.items.limits = await readOperationLimits(session);
      // the items use canonical NodeIds: the table must be known before they are created
      await this.namespaces.settle(2 * (s.statusQuery.intervalMs + s.statusQuery.timeoutMs));
      if (generation !== this.#generation) return;
      session.on("session_closed", () => generation === this.#generation && this.#lose("session closed"));
      const subscription = await this.#createSubscription(session);
      if (generation !== this.#generation) return;
      this.#subscription = subscription;
      this.#watchSubscription(subscription);
      if (this.#role === "full") this.items.attach(subscription, HEALTH_ITEMS.length);
      this.#probe = new HealthProbe({
        session,
        subscription,
        clock: this.#clock,
        intervalMs: s.statusQuery.intervalMs,
        timeoutMs: s.statusQuery.timeoutMs,
        onResult: (result) => generation === this.#generation && this.#onProbe(result),
      });
      this.#probe.start();
    } catch (error) {
      if (generation !== this.#generation) return;
      // connect() retries forever; reaching here means the session or subscription failed.
      this.lastError.set(this.#refused?.message ?? (error instanceof Error ? error.message : String(error)));
      if (!this.#refused) this.#logger.warn({ err: error }, "upstream session setup failed; retrying");
      if (s.index === 0) this.#canonical.primaryUnavailable();
      await this.#disconnect("setup failed");
      this.#connectLater();
    }
  }

  #subscriptionParameters() {
    const s = this.settings.subscription;
    return {
      requestedPublishingInterval: s.publishingIntervalMs,
      requestedMaxKeepAliveCount: s.keepAliveCount,
      requestedLifetimeCount: s.lifetimeCount,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 100,
    };
  }

  /** Sequence numbers and gaps of one subscription of the current session. */
  #watchSubscription(subscription: ClientSubscription): void {
    const generation = this.#generation;
    const session = this.#session;
    if (!session) return;
    this.#watches.push(
      new SubscriptionWatch(subscription, this.recovery, (gap) => {
        if (generation === this.#generation) void this.#onGap(gap, session);
      }),
    );
  }

  /** One more subscription for data items (the server limits items per subscription). */
  async #openDataSubscription(): Promise<ClientSubscription> {
    const session = this.#session;
    if (!session)
      throw new RedundancyError("ERR_UPSTREAM_REQUEST", "no session", { statusCode: "BadSessionClosed" });
    const subscription = await session.createSubscription2(this.#subscriptionParameters());
    this.#logger.info(
      { subscriptionId: subscription.subscriptionId, items: this.items.size },
      "further upstream subscription opened (the server limits items per subscription)",
    );
    return subscription;
  }

  async #createSubscription(session: ClientSession): Promise<ClientSubscription> {
    const subscription = await session.createSubscription2(this.#subscriptionParameters());
    for (const nodeId of HEALTH_ITEMS) {
      const item = await subscription.monitor(
        { nodeId, attributeId: AttributeIds.Value },
        { samplingInterval: 0, queueSize: 1 },
        TimestampsToReturn.Both,
      );
      item.on("changed", (value: DataValue) => this.#onHealthValue(nodeId, value));
    }
    return subscription;
  }

  #onHealthValue(nodeId: string, value: DataValue): void {
    if (!value.statusCode.isGood()) return;
    if (nodeId === ServerStateNodeId) {
      this.#updateFacts({ serverState: ServerState[value.value.value as number] ?? "Unknown" });
    } else {
      this.#updateFacts({ serviceLevel: Number(value.value.value) });
    }
  }

  /** Read the NamespaceArray; when the order changed, re-point the subscription's items. */
  async #readNamespaces(session: ClientSession): Promise<void> {
    try {
      const [array] = await session.read([{ nodeId: NamespaceArrayNodeId, attributeId: AttributeIds.Value }]);
      const uris = array?.statusCode.isGood() ? (array.value.value as string[] | null) : null;
      if (!uris) return;
      const before = this.namespaces.update([...uris]);
      if (before === undefined) return;
      this.#logger.warn({ before, after: uris }, "the server's NamespaceArray changed: NodeIds re-mapped");
      const subscriptions = this.items.subscriptions;
      if (subscriptions.length === 0 && this.#subscription) subscriptions.push(this.#subscription);
      for (const subscription of subscriptions) repointItems(subscription, before, uris);
    } catch (error) {
      this.#logger.warn({ err: error }, "cannot read the NamespaceArray");
    }
  }

  /** A gap Republish could not fill: make the values current again, then report it. */
  async #onGap(gap: SubscriptionGap, session: ClientSession): Promise<void> {
    const recovered =
      gap.cause === "recreated"
        ? "initialValues" // re-created items report their current values by themselves
        : await recoverGap(session, gap.subscriptionId, this.items, this.settings.statusQuery.timeoutMs);
    this.#logger.warn({ ...gap, recovered }, "notifications lost upstream");
    this.emit("gap", { ...gap, server: this.settings.index, url: this.settings.url, recovered });
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
      breakChannel(this.#client, this.#transports ?? undefined);
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
    if (this.#session && this.#role !== "off") {
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
    this.#probe?.invalidate();
    this.#setState("lost", reason);
  }

  async #disconnect(reason: string): Promise<void> {
    this.#generation++;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#probe?.stop();
    this.#probe = null;
    for (const watch of this.#watches.splice(0)) watch.stop();
    await this.items.detach({ deleteUpstream: false, timeoutMs: 0 });
    const client = this.#client;
    const session = this.#session;
    this.#client = null;
    this.#session = null;
    const transports = this.#transports;
    this.#transports = null;
    this.#subscription = null;
    if (this.#state !== "stopped") this.#setState("idle", reason);
    // Close the session properly: session-limited servers keep stale sessions otherwise.
    if (session) await withTimeout(session.close(true), 2000).catch(() => undefined);
    if (client) {
      const ended = await withTimeout(
        client.disconnect().then(() => true),
        2000,
      ).catch(() => true);
      // A disconnect stuck on a dead link: cut the socket so that nothing keeps the process alive.
      if (ended === undefined) transports?.reset();
    }
    const listener = this.#reverseListener;
    this.#reverseListener = null;
    if (listener) await withTimeout(listener.stop(), 2000).catch(() => undefined);
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

  /** Every state change goes through here: one log line, one event, facts kept in step. */
  #setState(to: LinkState, reason: string): void {
    const from = this.#state;
    if (from === to) return;
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
