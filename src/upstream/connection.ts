import {
  AttributeIds,
  ClientReverseConnect,
  type ClientSession,
  type ClientSubscription,
  type DataValue,
  type OPCUACertificateManager,
  OPCUAClient,
  TimestampsToReturn,
} from "node-opcua";
import type { Clock } from "../clock.ts";
import { RedundancyError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { setBeforeSubscriptionRecreate } from "../node-opcua-private.ts";
import { breakChannel, TransportTracker, transportTimeoutMs, withTimeout } from "./channel.ts";
import { clientApplicationName } from "./client-pki.ts";
import { type GapRecovery, recoverGap } from "./gap-recovery.ts";
import { HealthProbe, type ProbeResult } from "./health-probe.ts";
import { readOperationLimits } from "./item-batches.ts";
import type { UpstreamItemSet } from "./item-set.ts";
import type { LinkSettings } from "./link-types.ts";
import { type LinkNamespaces, repointItems } from "./namespace-remap.ts";
import { modifySubscriptions, type PublishingRate } from "./publishing-rate.ts";
import { fenceLateRequests } from "./request-fence.ts";
import { upstreamClientSecurity, upstreamUserIdentity } from "./security-options.ts";
import { reportingRefusals } from "./server-certificate.ts";
import { type RecoveryCounters, type SubscriptionGap, SubscriptionWatch } from "./subscription-watch.ts";

export const ServerStateNodeId = "i=2259";
const NamespaceArrayNodeId = "i=2255";
export const ServiceLevelNodeId = "i=2267";
/** The health items on the link's own subscription (they count against the server's limit per subscription). */
const HEALTH_ITEMS = [ServerStateNodeId, ServiceLevelNodeId];

/** What a connection tells its link; never called once the connection is aborted. */
export interface ConnectionEvents {
  /** The client exists and dials (or waits for the server to dial in). */
  connecting(): void;
  /** A connection attempt failed; node-opcua tries again after `delay`. */
  backoff(count: number, delay: number): void;
  /** The channel or the session was lost (node-opcua's reconnect runs). */
  lost(reason: string): void;
  /** The server connected with this certificate (which the trust list accepted). */
  trusted(client: OPCUAClient): void;
  certificateRefused(thumbprint: string, status: string): void;
  probe(result: ProbeResult): void;
  health(nodeId: string, value: DataValue): void;
  /** A gap Republish could not fill, after the values were made current again. */
  gap(gap: SubscriptionGap, recovered: GapRecovery): void;
}

export interface ConnectionContext {
  settings: LinkSettings;
  logger: Logger;
  clock: Clock;
  items: UpstreamItemSet;
  namespaces: LinkNamespaces;
  /** The link's counters: they add up over every connection of the link. */
  recovery: RecoveryCounters;
  /** The publishing interval the link's subscriptions are created and kept at. */
  publishing: PublishingRate;
  /** True while the link's role is "full" (the data items ride on the subscription). */
  carriesItems(): boolean;
}

export function noSession(): RedundancyError {
  return new RedundancyError("ERR_UPSTREAM_REQUEST", "no session", { statusCode: "BadSessionClosed" });
}

/**
 * One connection's lifetime: the OPC UA client, its session and subscriptions, the health probe;
 * set up by `open`, ended by `abort` (at once: no callback reaches the link after it) and `close`.
 * The link (link.ts) makes a new one for every fresh start and keeps the state across them.
 */
export class UpstreamConnection {
  readonly #context: ConnectionContext;
  readonly #events: ConnectionEvents;
  readonly #logger: Logger;
  /** Aborted when the link lets go of this connection: late callbacks of node-opcua are ignored. */
  readonly #abort = new AbortController();
  #client: OPCUAClient | null = null;
  #transports: TransportTracker | null = null;
  #reverseListener: ClientReverseConnect | null = null;
  #session: ClientSession | null = null;
  #subscription: ClientSubscription | null = null;
  #probe: HealthProbe | null = null;
  /** One per subscription of the session (the link's own, and those the items spread over). */
  readonly #watches: SubscriptionWatch[] = [];

  constructor(context: ConnectionContext, events: ConnectionEvents) {
    this.#context = context;
    this.#events = events;
    this.#logger = context.logger;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }
  get aborted(): boolean {
    return this.#abort.signal.aborted;
  }
  /** The session once created, whatever its health. */
  get session(): ClientSession | null {
    return this.#session;
  }
  /** The publishing interval the server granted the link's own subscription (undefined before it exists). */
  get publishingIntervalMs(): number | undefined {
    return this.#subscription?.publishingInterval;
  }
  /** True while §6.7 recovery runs: values then are replayed, not live. */
  get recovering(): boolean {
    return this.#watches.some((watch) => watch.recovering);
  }

  /**
   * Connect, create the session and the link's subscription, start the health probe. Resolves
   * early when aborted; rejects when the session or the subscription cannot be set up (the
   * connection itself is retried by node-opcua, forever).
   */
  async open(manager: OPCUACertificateManager): Promise<void> {
    const s = this.#context.settings;
    const signal = this.#abort.signal;
    const certificateManager = reportingRefusals(manager, (thumbprint, status) => {
      if (!signal.aborted) this.#events.certificateRefused(thumbprint, status.name);
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
    this.#events.connecting();
    client.on("backoff", (count: number, delay: number) => {
      if (!signal.aborted) this.#events.backoff(count, delay);
    });
    client.on("connection_lost", () => {
      if (signal.aborted) return;
      for (const watch of this.#watches) watch.recovering = true;
      this.#events.lost("connection lost");
    });
    // A new session (the server restarted?): read the NamespaceArray before node-opcua re-creates
    // the items, and move their NodeIds to the namespaces' new indices.
    setBeforeSubscriptionRecreate(client, async (session: ClientSession) => {
      if (signal.aborted) return undefined;
      await this.#readNamespaces(session);
      this.#context.items.limits = await readOperationLimits(session); // a restarted server may state others
      return undefined;
    });
    client.on("connection_reestablished", () => {
      if (signal.aborted) return;
      for (const watch of this.#watches) watch.recovering = false;
      if (this.#session) void this.#readNamespaces(this.#session);
      this.#events.trusted(client); // node-opcua may have fetched a new one, which the trust list accepted
      this.#logger.info("connection re-established");
      this.#probe?.checkNow();
    });
    if (s.reverseConnect) {
      const listener = new ClientReverseConnect({ connectionUrl: s.reverseConnect.listen });
      this.#reverseListener = listener;
      await listener.start();
      if (signal.aborted) return;
      await client.connectReverse(listener, { serverUri: s.reverseConnect.serverUri });
    } else {
      await client.connect(s.url);
    }
    if (signal.aborted) return;
    const session = await client.createSession(await upstreamUserIdentity(s.user));
    if (signal.aborted) {
      await session.close().catch(() => undefined);
      return;
    }
    this.#session = session;
    this.#events.trusted(client);
    fenceLateRequests(session, s.requestTimeoutMs);
    await this.#readNamespaces(session);
    this.#context.items.limits = await readOperationLimits(session);
    // the items use canonical NodeIds: the table must be known before they are created
    await this.#context.namespaces.settle(2 * (s.statusQuery.intervalMs + s.statusQuery.timeoutMs));
    if (signal.aborted) return;
    session.on("session_closed", () => !signal.aborted && this.#events.lost("session closed"));
    const subscription = await this.#createSubscription(session);
    if (signal.aborted) return;
    this.#subscription = subscription;
    this.watchSubscription(subscription);
    if (this.#context.carriesItems()) this.attachItems();
    this.#probe = new HealthProbe({
      session,
      subscription,
      clock: this.#context.clock,
      intervalMs: s.statusQuery.intervalMs,
      timeoutMs: s.statusQuery.timeoutMs,
      onResult: (result) => !signal.aborted && this.#events.probe(result),
    });
    this.#probe.start();
  }

  /** The data items onto the link's own subscription (when it exists). */
  attachItems(): void {
    if (this.#subscription) this.#context.items.attach(this.#subscription, HEALTH_ITEMS.length);
  }

  /** Sequence numbers and gaps of one subscription of the session. */
  watchSubscription(subscription: ClientSubscription): void {
    const session = this.#session;
    if (!session) return;
    const signal = this.#abort.signal;
    this.#watches.push(
      new SubscriptionWatch(subscription, this.#context.recovery, (gap) => {
        if (!signal.aborted) void this.#onGap(gap, session);
      }),
    );
  }

  /** One more subscription for data items (the server limits items per subscription). */
  async openDataSubscription(): Promise<ClientSubscription> {
    const session = this.#session;
    if (!session) throw noSession();
    const subscription = await session.createSubscription2(this.#subscriptionParameters());
    this.#logger.info(
      { subscriptionId: subscription.subscriptionId, items: this.#context.items.size },
      "further upstream subscription opened (the server limits items per subscription)",
    );
    return subscription;
  }

  /** Every subscription of the session to the link's current publishing interval. */
  async modifySubscriptions(): Promise<void> {
    const main = this.#subscription;
    if (!main || this.aborted) return;
    const subscriptions = this.#context.items.subscriptions;
    await modifySubscriptions(
      subscriptions.includes(main) ? subscriptions : [main, ...subscriptions],
      this.#context.publishing.parameters(),
    );
  }

  /** The probe's next answer says nothing about the time before now. */
  invalidateProbe(): void {
    this.#probe?.invalidate();
  }

  /** A silent outage: make node-opcua re-create the channel and re-activate the session. */
  breakChannel(): void {
    breakChannel(this.#client, this.#transports ?? undefined);
  }

  /** Let go at once: no callback reaches the link any more; the health checks stop. */
  abort(): void {
    this.#abort.abort();
    this.#probe?.stop();
    this.#probe = null;
    for (const watch of this.#watches.splice(0)) watch.stop();
  }

  /** Close the session and the client (each within 2 s), and the reverse-connect listener. */
  async close(): Promise<void> {
    this.abort();
    const client = this.#client;
    const session = this.#session;
    const transports = this.#transports;
    const listener = this.#reverseListener;
    this.#client = null;
    this.#session = null;
    this.#transports = null;
    this.#subscription = null;
    this.#reverseListener = null;
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
    if (listener) await withTimeout(listener.stop(), 2000).catch(() => undefined);
  }

  #subscriptionParameters() {
    return {
      ...this.#context.publishing.parameters(),
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 100,
    };
  }

  async #createSubscription(session: ClientSession): Promise<ClientSubscription> {
    const subscription = await session.createSubscription2(this.#subscriptionParameters());
    const signal = this.#abort.signal;
    for (const nodeId of HEALTH_ITEMS) {
      const item = await subscription.monitor(
        { nodeId, attributeId: AttributeIds.Value },
        { samplingInterval: 0, queueSize: 1 },
        TimestampsToReturn.Both,
      );
      item.on("changed", (value: DataValue) => !signal.aborted && this.#events.health(nodeId, value));
    }
    return subscription;
  }

  /** Read the NamespaceArray; when the order changed, re-point the subscription's items. */
  async #readNamespaces(session: ClientSession): Promise<void> {
    try {
      const [array] = await session.read([{ nodeId: NamespaceArrayNodeId, attributeId: AttributeIds.Value }]);
      const uris = array?.statusCode.isGood() ? (array.value.value as string[] | null) : null;
      if (!uris) return;
      const before = this.#context.namespaces.update([...uris]);
      if (before === undefined) return;
      this.#logger.warn({ before, after: uris }, "the server's NamespaceArray changed: NodeIds re-mapped");
      const subscriptions = this.#context.items.subscriptions;
      if (subscriptions.length === 0 && this.#subscription) subscriptions.push(this.#subscription);
      for (const subscription of subscriptions) repointItems(subscription, before, uris);
    } catch (error) {
      this.#logger.warn({ err: error }, "cannot read the NamespaceArray");
    }
  }

  /** A gap Republish could not fill: make the values current again, then report it. */
  async #onGap(gap: SubscriptionGap, session: ClientSession): Promise<void> {
    const { items, settings } = this.#context;
    const recovered =
      gap.cause === "recreated"
        ? "initialValues" // re-created items report their current values by themselves
        : await recoverGap(session, gap.subscriptionId, items, settings.statusQuery.timeoutMs);
    this.#events.gap(gap, recovered);
  }
}
