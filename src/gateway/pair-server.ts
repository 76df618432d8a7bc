/**
 * One pair served as one OPC UA server (DESIGN §5): a node-opcua OPCUAServer on the pair's listen
 * port whose address space mirrors the upstream servers', with values, writes and calls going to the
 * active upstream server through the pair's RedundantClient.
 */
import { isIP } from "node:net";
import {
  type AddressSpace,
  DataType,
  type Namespace,
  NodeClass,
  type OPCUAServer,
  RegisterServerMethod,
  StatusCodes,
  type UAObject,
  type UAVariable,
  Variant,
} from "node-opcua";
import { RedundantClient } from "../client/redundant-client.ts";
import type { PairStatus } from "../client/types.ts";
import type { PairConfig } from "../config/schema.ts";
import { RedundancyError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { setNamespaceIdCounter } from "../node-opcua-private.ts";
import { anyoneCanLogIn, downstreamSecurityOptions } from "../security/downstream-options.ts";
import { pkiStoreFolder } from "../security/gateway-pki.ts";
import { applyRolePermissions } from "../security/roles.ts";
import { buildMirror, type MirrorIndex } from "./address-mirror.ts";
import { forwardAttributeWrites } from "./attribute-writes.ts";
import { bindConditionMethods } from "./condition-methods.ts";
import { registerDataTypes } from "./datatype-mirror.ts";
import { eventHistoryRemap, eventHistoryTarget } from "./event-history.ts";
import { createEventForwarding, type EventForwarding } from "./event-items.ts";
import { raiseGatewayEvents } from "./gateway-events.ts";
import { forwardHistoryRead } from "./history-forwarding.ts";
import { type InstancePhase, instanceServiceLevel } from "./instance-service-level.ts";
import { bindMirroredMethod } from "./method-binding.ts";
import { ModelFollower } from "./model-changes.ts";
import { createMonitoredItemHooks, type MonitoredItemHooks } from "./monitored-items.ts";
import { NamespaceMap } from "./namespace-map.ts";
import { presentUpstreamNamespace } from "./own-namespace.ts";
import { PairEngine } from "./pair-engine.ts";
import { gatewayNamespaceUri, installRedundancyNodes } from "./redundancy-nodes.ts";
import type { PairSetView } from "./redundant-set.ts";
import { gatewayServerSettings } from "./server-settings.ts";
import { pairServiceLevel } from "./service-level.ts";
import { SetMemberServer } from "./set-member-server.ts";
import { type AddressSnapshot, takeSnapshot } from "./snapshot.ts";
import { loadSnapshot, saveSnapshot } from "./snapshot-cache.ts";
import type { StorageProblems } from "./storage-problems.ts";
import { StructureCodec } from "./structure-values.ts";
import type { ValueRemap } from "./value-remap.ts";
import { bindMirroredVariable, valueToDownstream } from "./variable-binding.ts";

/**
 * A crawl of the upstream's address space that failed (a request timed out on a loaded server, the
 * session went) is tried again while the pair stays active, from 2 s doubling to 60 s: waiting for
 * the next activation left a pair that stayed active without a mirror for good.
 */
const MIRROR_RETRY_MS = { first: 2000, max: 60_000 };

export interface PairServerOptions {
  pair: PairConfig;
  logger: Logger;
  /** Where the mirrored address space is cached (none: no cache). */
  cacheFile?: string;
  /** The gateway's PKI folder (src/security/gateway-pki.ts). */
  pkiDir: string;
  /** Reports a cache write that fails, once (default: the write's error is logged as a warning). */
  storage?: StorageProblems;
  /** This instance's redundant set of gateways for the pair (none: a single gateway). */
  set?: PairSetView | null;
}

export class PairServer {
  /** The pair's engine; stays the same object when a reload replaces the servers behind it. */
  readonly client: PairEngine;
  #options: PairServerOptions;
  readonly #logger: Logger;
  readonly #hooks: MonitoredItemHooks;
  readonly #events: EventForwarding;
  #namespaceMap: NamespaceMap | null = null;
  #server: OPCUAServer | null = null;
  #mirror: MirrorIndex | null = null;
  #mirroring: Promise<void> | null = null;
  #mirrorRetryMs = MIRROR_RETRY_MS.first;
  #mirrorRetry: NodeJS.Timeout | null = null;
  #redundancyNodes: { dispose(): void } | null = null;
  #gatewayEvents: (() => void) | null = null;
  /** Starting and stopping are Maintenance for the clients of a set of gateway instances. */
  #phase: InstancePhase = "starting";
  /** NodeId-valued data and structures between the upstream and the gateway (set by each install). */
  #remap: ValueRemap | null = null;
  /** The snapshot and namespace map the mirror was last built from (for model changes). */
  #built: { snapshot: AddressSnapshot; map: NamespaceMap } | null = null;
  readonly #follower: ModelFollower;

  constructor(options: PairServerOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ pair: options.pair.name });
    this.client = new PairEngine(this.#newClient(options.pair), { logger: this.#logger });
    this.#hooks = createMonitoredItemHooks(
      (nodeId) => this.#mirror?.variables.get(nodeId.toString()),
      this.client,
      {
        logger: this.#logger,
        ...(options.pair.subscription.followDownstream
          ? { onFastestRequest: (ms: number | null) => this.client.requestPublishingInterval(ms) }
          : {}),
      },
    );
    this.#events = createEventForwarding({
      addressSpace: () => this.#server?.engine.addressSpace ?? null,
      namespaces: () => this.#namespaceMap,
      port: this.client,
      logger: this.#logger,
    });
    this.#follower = new ModelFollower(
      {
        addressSpace: () => this.addressSpace,
        current: () => (this.#built && this.#mirror ? { ...this.#built, mirror: this.#mirror } : null),
        install: async (snapshot, source) => {
          await this.#install(snapshot, source);
          await this.#saveCache(snapshot);
        },
        forget: (variable) => this.#hooks.forget(variable),
      },
      this.client,
      this.#logger,
      options.pair.addressSpace.rebrowseMs,
    );
  }

  /** Follows the upstream's address-space changes (for tests and the benchmark). */
  get modelChanges(): ModelFollower {
    return this.#follower;
  }

  /** The engine for a pair configuration (at start, and when a reload changes the servers). */
  #newClient(pair: PairConfig): RedundantClient {
    return new RedundantClient(pair, {
      logger: this.#options.logger,
      pkiFolder: pkiStoreFolder(this.#options.pkiDir, "applications"),
    });
  }

  get endpointUrl(): string {
    const endpoint = this.#server?.getEndpointUrl();
    if (!endpoint) throw new RedundancyError("ERR_INVALID_ARGUMENT", "the pair server is not started");
    return endpoint;
  }

  /** Whether the upstream address space is being served (from the upstream or the cache). */
  get mirrored(): boolean {
    return this.#mirror !== null;
  }

  /** The served address space (null before start). */
  get addressSpace(): AddressSpace | null {
    return this.#server?.engine.addressSpace ?? null;
  }

  status(): PairStatus {
    return this.client.status();
  }

  /** Accept clients at once (Bad values, ServiceLevel 1), mirror as soon as the address space is known. */
  async start(): Promise<void> {
    const listen = this.#options.pair.listen;
    if (!listen)
      throw new RedundancyError("ERR_INVALID_ARGUMENT", `pair ${this.#options.pair.name} has no listen port`);
    if (!anyoneCanLogIn(this.#options.pair))
      this.#logger.warn("no user can log in: configure security.users, certificateUsers or anonymous");
    const set = this.#options.set ?? null;
    const server = new SetMemberServer({
      ...gatewayServerSettings(this.#options.pair, set?.members[set.selfIndex]?.applicationUri),
      peers: set ? set.members.filter((_, i) => i !== set.selfIndex) : [],
      ...(await downstreamSecurityOptions(this.#options.pair, this.#options.pkiDir, this.#logger)),
      port: listen.port,
      hostname: listen.host === "0.0.0.0" ? undefined : listen.host,
      // an address binds the endpoint to that interface only; a host name (or 0.0.0.0) names the
      // endpoint and listens on every interface (a VIP or NAT name need not be a local address)
      ...(isIP(listen.host) && listen.host !== "0.0.0.0" && listen.host !== "::"
        ? { host: listen.host }
        : {}),
      registerServerMethod: RegisterServerMethod.HIDDEN,
      onCreateMonitoredItem: async (subscription, item) =>
        (await this.#events.onCreate(subscription, item))
          ? StatusCodes.Good
          : this.#hooks.onCreateMonitoredItem(subscription, item),
      onDeleteMonitoredItem: async (subscription, item) => {
        this.#events.release(item);
        return this.#hooks.onDeleteMonitoredItem(subscription, item);
      },
    });
    this.#server = server;
    await server.initialize();
    reserveOwnNamespaceIds(server);
    applyRolePermissions(server.engine.addressSpace!, this.#options.pair.security);
    this.#bindServiceLevel(server);
    bindConditionMethods(server.engine.addressSpace!, this.#events, this.client, () => {
      const map = this.#namespaceMap;
      return map ? { toUpstream: (nodeId) => map.toUpstream(nodeId), remap: map.valueRemap() } : null;
    });
    forwardHistoryRead(
      server.engine,
      (nodeId) =>
        this.#mirror?.variables.get(nodeId.toString()) ??
        eventHistoryTarget(server.engine.addressSpace?.findNode(nodeId) ?? null, nodeId, this.#namespaceMap),
      this.client,
      eventHistoryRemap(() => this.#namespaceMap),
      valueToDownstream,
    );
    forwardAttributeWrites(
      server.engine,
      (nodeId) => {
        const upstreamNodeId = this.#mirror?.nodes.get(nodeId.toString());
        return upstreamNodeId && this.#remap ? { upstreamNodeId, remap: this.#remap } : undefined;
      },
      (nodeId) => server.engine.addressSpace?.findNode(nodeId) ?? null,
      this.client,
    );
    const cached = this.#options.cacheFile ? await loadSnapshot(this.#options.cacheFile) : undefined;
    if (cached) await this.#install(cached, "cache");
    await server.start();
    this.#logger.info({ endpoint: server.getEndpointUrl() }, "pair endpoint listening");
    this.client.on("stateChanged", ({ to }) => {
      if (to === "active") this.#mirrorFromUpstream();
    });
    void this.client.start();
  }

  /** Downstream OPC UA sessions on this pair's endpoint. */
  get downstreamSessions(): number {
    return this.#server?.currentSessionCount ?? 0;
  }

  /** The pair's current configuration (changes with a reload). */
  get config(): PairConfig {
    return this.#options.pair;
  }

  /**
   * Reload with other upstream servers (same name, same listen endpoint): a new engine connects
   * to them while the endpoint, downstream sessions and subscriptions stay. Resolves once the
   * new engine is active (or every new server failed once) and the previous one has stopped.
   */
  async reconfigure(pair: PairConfig): Promise<void> {
    const next = this.#newClient(pair);
    this.#options = { ...this.#options, pair };
    await next.start();
    await this.client.replace(next);
  }

  /**
   * Stop serving. `delayMs` > 0: downstream clients first see ServerState Shutdown with
   * SecondsTillShutdown counting down (node-opcua's shutdown(timeout)), then the endpoint closes.
   */
  async stop(delayMs = 0): Promise<void> {
    this.#phase = "stopping";
    if (this.#mirrorRetry) clearTimeout(this.#mirrorRetry);
    this.#follower.stop();
    const shutdown = this.#server?.shutdown(delayMs);
    this.#redundancyNodes?.dispose();
    this.#redundancyNodes = null;
    this.#gatewayEvents?.();
    this.#gatewayEvents = null;
    if (delayMs > 0) await shutdown;
    this.#hooks.close();
    this.#events.close();
    await this.client.stop();
    await shutdown;
    this.#server = null;
  }

  /** Take the upstream's address space (once per start; refreshed in the cache). */
  #mirrorFromUpstream(): void {
    if (this.#mirroring) return;
    const started = Date.now();
    let reported = 0;
    // A large address space takes a while: say how far it got, about every 5,000 nodes.
    const progress = (nodes: number) => {
      if (nodes - reported < 5000) return;
      reported = nodes;
      this.#logger.info({ nodes, ms: Date.now() - started }, "mirroring the upstream address space");
    };
    this.#mirroring = takeSnapshot(this.client, progress)
      .then(async (snapshot) => {
        this.#logger.info(
          { nodes: snapshot.nodes.length, ms: Date.now() - started },
          "upstream address space read",
        );
        // over a mirror from the cache, the difference is applied like any model change
        const report = this.#built ? await this.#follower.apply(snapshot, "upstream after the cache") : null;
        if (report) this.#logger.info(report, "mirror from the cache brought up to date");
        else await this.#install(snapshot, "upstream");
        this.#mirrorRetryMs = MIRROR_RETRY_MS.first;
        await this.#saveCache(snapshot);
        this.#follower.start();
      })
      .catch((error: unknown) => {
        const retryMs = this.#mirrorRetryMs;
        this.#mirrorRetryMs = Math.min(retryMs * 2, MIRROR_RETRY_MS.max);
        this.#logger.warn(
          { err: error, retryMs },
          "cannot read the upstream address space; retrying (and at the next activation)",
        );
        this.#mirroring = null;
        // one retry pending at a time (a failed crawl started by an activation may meet one)
        if (this.#mirrorRetry) clearTimeout(this.#mirrorRetry);
        this.#mirrorRetry = setTimeout(() => {
          this.#mirrorRetry = null;
          if (this.#phase !== "stopping" && this.client.status().active !== null) this.#mirrorFromUpstream();
        }, retryMs);
      });
  }

  /** The address-space cache on disk; a write that fails is reported once (storage-problems.ts). */
  async #saveCache(snapshot: AddressSnapshot): Promise<void> {
    const cache = this.#options.cacheFile;
    if (!cache) return;
    const save = () => saveSnapshot(cache, snapshot);
    await (this.#options.storage?.write("addressSpaceCache", this.#options.pair.name, cache, save) ?? save());
  }

  async #install(snapshot: AddressSnapshot, source: string): Promise<void> {
    const server = this.#server;
    if (!server?.engine.addressSpace) return;
    const addressSpace = server.engine.addressSpace;
    if (!presentUpstreamNamespace(addressSpace, snapshot.namespaceUris[1]))
      this.#logger.warn(
        { uri: snapshot.namespaceUris[1], own: addressSpace.getOwnNamespace().namespaceUri },
        "the upstream's own namespace URI cannot be presented at index 1: nsu= addressing of index 1 will not find it",
      );
    const downstreamUris = () => addressSpace.getNamespaceArray().map((ns) => ns.namespaceUri);
    for (const uri of NamespaceMap.missing(snapshot.namespaceUris, downstreamUris()))
      addressSpace.registerNamespace(uri);
    const map = new NamespaceMap(snapshot.namespaceUris, downstreamUris());
    this.#built = { snapshot, map };
    const identical = map.identical;
    const remap = map.valueRemap(
      new StructureCodec(
        addressSpace,
        identical ? null : map.downstreamOf,
        identical ? null : map.upstreamOf,
      ),
    );
    this.#remap = remap;
    this.#namespaceMap = map;
    const mirror = await buildMirror(addressSpace, snapshot, map, {
      variable: ({ variable, upstreamNodeId }) => {
        // resolvable by monitored items at once (a large install takes several turns)
        this.#mirror?.variables.set(variable.nodeId.toString(), { variable, upstreamNodeId });
        bindMirroredVariable(
          variable,
          upstreamNodeId,
          this.client,
          { isMonitored: () => this.#hooks.isMonitored(variable) },
          remap,
          (reason) =>
            this.#logger.warn(
              { nodeId: variable.nodeId.toString(), reason },
              "value not representable downstream: answered BadDataTypeIdUnknown",
            ),
        );
      },
      method: ({ method, upstreamObjectId, upstreamMethodId }) =>
        bindMirroredMethod(method, upstreamObjectId, upstreamMethodId, this.client, remap),
    });
    // the codecs of new DataTypes (until they exist, a value of such a type is answered Bad)
    const codecsStarted = Date.now();
    await registerDataTypes(addressSpace).catch((error: unknown) =>
      this.#logger.warn({ err: error }, "cannot build codecs for the mirrored DataTypes"),
    );
    this.#mirror = this.#mirror ? mergeMirrors(this.#mirror, mirror) : mirror;
    // The gateway's own namespace comes after the mirrored ones: installed with the first mirror.
    const set = this.#options.set;
    this.#redundancyNodes ??= installRedundancyNodes(
      server,
      this.client,
      this.#options.pair.name,
      set ? { view: set } : undefined,
    );
    this.#gatewayEvents ??= this.#raiseGatewayEvents(addressSpace);
    applyRolePermissions(addressSpace, this.#options.pair.security);
    this.#logger.info(
      {
        source,
        variables: mirror.variables.size,
        methods: mirror.methods.size,
        skipped: mirror.skipped.length,
        codecsMs: Date.now() - codecsStarted,
      },
      "address space mirrored",
    );
    for (const skip of mirror.skipped.slice(0, 20)) this.#logger.warn(skip, "node not mirrored");
  }

  /** The pair's diagnostics as OPC UA events on its object (gateway-events.ts). */
  #raiseGatewayEvents(addressSpace: AddressSpace): (() => void) | null {
    const name = this.#options.pair.name;
    const namespace = addressSpace.getNamespace(gatewayNamespaceUri(name));
    const pairObject = namespace?.findNode(`s=${name}`);
    if (!namespace || pairObject?.nodeClass !== NodeClass.Object) return null;
    return raiseGatewayEvents(namespace as Namespace, pairObject as UAObject, this.client, name);
  }

  /**
   * What Server.ServiceLevel shows: the pair's, the active server's level, 1 while none is active;
   * in a set of gateway instances, this instance's rank (instance-service-level.ts).
   */
  get serviceLevel(): number {
    const set = this.#options.set;
    return set
      ? instanceServiceLevel(this.phase, this.client.status(), set.selfIndex)
      : pairServiceLevel(this.client.status());
  }

  #bindServiceLevel(server: OPCUAServer): void {
    const node = server.engine.addressSpace?.findNode("i=2267") as UAVariable | null;
    node?.bindVariable(
      { get: () => new Variant({ dataType: DataType.Byte, value: this.serviceLevel }) },
      true,
    );
  }

  /** Running once the address space is served and the engine has decided (active or lost). */
  get phase(): InstancePhase {
    if (this.#phase === "stopping") return "stopping";
    if (this.#mirror === null || this.client.status().state === "starting") return "starting";
    return "running";
  }
}

/** Nodes built by a later install join the index (an install skips the nodes that already exist). */
function mergeMirrors(existing: MirrorIndex, added: MirrorIndex): MirrorIndex {
  for (const [id, entry] of added.nodes) existing.nodes.set(id, entry);
  for (const [id, entry] of added.variables) existing.variables.set(id, entry);
  for (const [id, entry] of added.methods) existing.methods.set(id, entry);
  existing.skipped.push(...added.skipped);
  return existing;
}

/**
 * Namespace 1 holds both the mirror of the upstream's own namespace and the nodes node-opcua makes
 * for itself (session diagnostics, numbered from i=1000 as sessions come and go). Moving node-opcua's
 * numbering far up keeps its nodes off the NodeIds the upstream uses (typically small numbers).
 */
function reserveOwnNamespaceIds(server: OPCUAServer): void {
  const own = server.engine.addressSpace?.getOwnNamespace();
  if (own) setNamespaceIdCounter(own, 0x7000_0000);
}
