/**
 * A simulated upstream OPC UA server (a real node-opcua OPCUAServer on loopback) for tests, the
 * demo and the `simulate` command. See README "simulate" for the address space.
 */
import { EventEmitter } from "node:events";
import {
  type AddressSpace,
  DataType,
  ObjectIds,
  OPCUAServer,
  RegisterServerMethod,
  ServerState,
  type StatusCode,
  StatusCodes,
  VariableIds,
} from "node-opcua";
import { RedundancyError } from "../errors.ts";
import { type AcceptedWrite, buildSimulationNodes, type SimulationNodes } from "./address-space.ts";
import { buildAlarms, type SimulatorAlarms } from "./alarms.ts";
import { bindBrowseDelay } from "./browse-delay.ts";
import { type BulkNodes, buildBulkNodes } from "./bulk.ts";
import { buildCustomTypes, type CustomTypeNodes } from "./custom-types.ts";
import { buildDynamicNodes } from "./dynamic-nodes.ts";
import { buildExtraNamespaces, type NamespaceOrder } from "./namespaces.ts";
import { applyNodeChanges, type NodeChanges } from "./node-changes.ts";
import { createSimulatorCertificateManagers } from "./pki.ts";
import { type SimulatorSecurity, simulatorSecurityOptions } from "./security.ts";
import { bindSimClock, SimClock, setValueWithServerTime } from "./sim-clock.ts";
import { bindStandardNodes, type StandardNodes } from "./standard-nodes.ts";
import { Ticker } from "./ticker.ts";

export interface SimulatorOptions {
  /** TCP port; 0 (default) = any free port. */
  port?: number;
  /** Address to listen on and to advertise (default "127.0.0.1"). */
  host?: string;
  /** Tick period in ms (default 1000, minimum 10). */
  tickMs?: number;
  /** Counter = floor(unix_ms / tickMs) with the tick boundary as source timestamp. */
  sharedClock?: boolean;
  /** How long a graceful stop shows ServerState Shutdown before closing (default 2000 ms). */
  shutdownDelayMs?: number;
  /** Application and product name (default "opcua-redundancy simulator"). */
  name?: string;
  /** Extra Int32 variables ns=1;s=Bulk.<i>, all set to Counter at every tick (default 0). */
  bulk?: number;
  /** Every 5th Bulk variable holds a Custom Point (ns=1;i=3001) with X = Counter (default false). */
  bulkStructures?: boolean;
  /** Order of the extra namespaces alpha and beta (indices 2 and 3), see namespaces.ts (default normal). */
  namespaceOrder?: NamespaceOrder;
  /** Reverse Connect: dial this client listener (opc.tcp://host:port) and keep dialing when closed. */
  reverseConnect?: string;
  /** Endpoint security and the one user allowed in (default: None and anonymous). */
  security?: SimulatorSecurity;
  /**
   * Monitored items per Create/Modify/Delete/SetMonitoringMode request; more is refused with
   * BadTooManyOperations (default 0 = no limit).
   */
  maxMonitoredItemsPerCall?: number;
  /** The server's certificate store (default: a cache shared by simulators); empty = a new certificate. */
  pkiFolder?: string;
  /** Nodes per Read request; more is refused with BadTooManyOperations (default: node-opcua's 10000). */
  maxNodesPerRead?: number;
  /**
   * Nodes per Browse, Read, Write and Call request (stated in OperationLimits), as servers with
   * small limits have them; more is refused with BadTooManyOperations (default: node-opcua's).
   */
  maxNodesPerRequest?: number;
  /** false: enforce maxMonitoredItemsPerCall without stating it in ServerCapabilities (default true). */
  advertiseLimits?: boolean;
  /**
   * Events and the tank alarm (alarms.ts): BaseEvent period (default 1000 ms, 0 = none), level
   * cycle (default 20000 ms); false = neither (the alarm's nodes cost ~0.5 s of start-up).
   */
  events?: { eventMs?: number; alarmCycleMs?: number } | false;
  /** Deliberate differences from a normal simulator: variables left out or retyped (node-changes.ts). */
  nodeChanges?: NodeChanges;
  /**
   * Monitored items one subscription may hold; more are refused with BadTooManyMonitoredItems
   * (default 1,000,000; node-opcua's own default is 100,000). Stated in ServerCapabilities unless
   * advertiseLimits is false.
   */
  maxMonitoredItemsPerSubscription?: number;
  /** The server's clock is this far ahead of the host's (ms; writable at run time: ns=1;s=ClockOffsetMs). */
  clockOffsetMs?: number;
  /** With sharedClock: sample the device on an own phase (ms after each boundary), stamp with the own clock. */
  ownClock?: { phaseMs: number };
  /** Browse and BrowseNext answered this late (ms; writable at run time: ns=1;s=BrowseDelayMs; default 0). */
  browseDelayMs?: number;
}

export interface WriteLogEntry {
  /** ISO time of the write. */
  time: string;
  /** e.g. "ns=1;s=Status". */
  nodeId: string;
  /** The written value (JSON-friendly). */
  value: unknown;
}

export interface Simulator {
  readonly endpointUrl: string;
  readonly port: number;
  /** Every client write to the simulation variables, oldest first. */
  readonly writes: WriteLogEntry[];
  on(event: "write", listener: (entry: WriteLogEntry) => void): this;
  /** Every request as node-opcua decoded it (e.g. a CreateMonitoredItemsRequest), before it is served. */
  on(event: "request", listener: (request: { schema: { name: string } }) => void): this;
  off(event: "write", listener: (entry: WriteLogEntry) => void): this;
  /** Requests received so far by service, e.g. "CreateMonitoredItemsRequest" → 3. */
  readonly requests: ReadonlyMap<string, number>;
  /** Sets the standard ServerStatus.State (i=2259) and the SimulatedServerState variable. */
  setServerState(state: ServerState): void;
  /** graceful: ServerState Shutdown for shutdownDelayMs, then close; default: close at once. */
  stop(options?: { graceful?: boolean }): Promise<void>;
}

const MAX_SERVER_STATE = ServerState.Unknown;

function validate(name: string, value: unknown): StatusCode {
  if (name === "SimulatedServerState") {
    const ok =
      typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_SERVER_STATE;
    return ok ? StatusCodes.Good : StatusCodes.BadOutOfRange;
  }
  return StatusCodes.Good;
}

function checkOptions(options: SimulatorOptions) {
  const port = options.port ?? 0;
  const tickMs = options.tickMs ?? 1000;
  const shutdownDelayMs = options.shutdownDelayMs ?? 2000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RedundancyError("ERR_INVALID_ARGUMENT", `simulator port must be 0..65535, got ${port}`);
  }
  if (!Number.isFinite(tickMs) || tickMs < 10) {
    throw new RedundancyError("ERR_INVALID_ARGUMENT", `simulator tickMs must be at least 10, got ${tickMs}`);
  }
  if (!Number.isFinite(shutdownDelayMs) || shutdownDelayMs < 0) {
    throw new RedundancyError(
      "ERR_INVALID_ARGUMENT",
      `simulator shutdownDelayMs must be >= 0, got ${shutdownDelayMs}`,
    );
  }
  return {
    port,
    tickMs,
    shutdownDelayMs,
    host: options.host ?? "127.0.0.1",
    sharedClock: options.sharedClock ?? false,
  };
}

class SimulatorImpl extends EventEmitter implements Simulator {
  readonly writes: WriteLogEntry[] = [];
  readonly requests = new Map<string, number>();
  endpointUrl = "";
  port = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private stopping: Promise<void> | undefined;
  private nodes!: SimulationNodes;
  private standard!: StandardNodes;
  private bulk: BulkNodes | undefined;
  private alarms: SimulatorAlarms | undefined;
  nodeChanges: NodeChanges | undefined;
  private custom: CustomTypeNodes | undefined;

  constructor(
    private readonly server: OPCUAServer,
    private readonly ticker: Ticker,
    private readonly shutdownDelayMs: number,
    private readonly bulkCount = 0,
    private readonly namespaceOrder: NamespaceOrder = "normal",
    private readonly advertiseLimits = true,
    private readonly events: { eventMs: number; alarmCycleMs: number } | false = false,
    private readonly clock = new SimClock(),
    private readonly bulkStructures = false,
    private readonly browseDelayMs = 0,
  ) {
    super();
  }

  async start(host: string): Promise<void> {
    await this.server.initialize();
    this.server.on("request", (request: { schema: { name: string } }) => {
      const service = request.schema.name;
      this.requests.set(service, (this.requests.get(service) ?? 0) + 1);
      this.emit("request", request);
    });
    const addressSpace = this.server.engine.addressSpace;
    if (!addressSpace) {
      throw new RedundancyError("ERR_SIMULATOR", "simulator: node-opcua built no address space");
    }
    this.nodes = buildSimulationNodes(addressSpace, { onWrite: (w) => this.onWrite(w), validate });
    const folder = addressSpace.findNode("ns=1;s=Simulation") as unknown as Parameters<
      typeof buildExtraNamespaces
    >[1];
    buildExtraNamespaces(addressSpace, folder, this.namespaceOrder);
    this.custom = await buildCustomTypes(addressSpace, folder);
    buildDynamicNodes(addressSpace, folder);
    this.standard = bindStandardNodes(this.server.engine, this.nodes.serviceLevel.get());
    bindSimClock(addressSpace, this.clock, (w) => this.onWrite(w));
    bindBrowseDelay(this.server, addressSpace, this.browseDelayMs, (w) => this.onWrite(w));
    if (!this.advertiseLimits) hideOperationLimits(addressSpace);
    if (this.bulkCount > 0)
      this.bulk = buildBulkNodes(addressSpace, this.bulkCount, this.bulkStructures ? 5 : 0);
    if (this.events) {
      this.alarms = buildAlarms(addressSpace, folder as unknown as Parameters<typeof buildAlarms>[1], {
        ...this.events,
        tickMs: this.ticker.tickMs,
      });
    }
    if (this.nodeChanges) applyNodeChanges(addressSpace, this.nodeChanges);
    this.publish();
    this.ticking = true;
    this.schedule();
    await this.server.start();
    const port = this.server.endpoints[0]?.port;
    if (port === undefined) {
      throw new RedundancyError("ERR_SIMULATOR", "simulator: the server has no endpoint");
    }
    this.port = port;
    this.endpointUrl = `opc.tcp://${host}:${port}`;
  }

  setServerState(state: ServerState): void {
    this.standard.setServerState(state); // validates first
    this.nodes.simulatedServerState.set(state);
  }

  stop(options: { graceful?: boolean } = {}): Promise<void> {
    this.stopping ??= this.shutdown(options.graceful === true ? this.shutdownDelayMs : 0);
    return this.stopping;
  }

  private async shutdown(delayMs: number): Promise<void> {
    // Values keep flowing while the server shows Shutdown; the ticker stops before the address space goes.
    const stopTicking = setTimeout(() => this.stopTicking(), delayMs);
    if (delayMs === 0) {
      this.stopTicking();
    }
    try {
      await this.server.shutdown(delayMs);
    } finally {
      clearTimeout(stopTicking);
      this.stopTicking();
    }
  }

  private stopTicking(): void {
    this.ticking = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private onWrite(write: AcceptedWrite): void {
    if (write.nodeId === this.nodes.serviceLevel.nodeId) {
      this.standard.setServiceLevel(write.value as number);
    } else if (write.nodeId === this.nodes.simulatedServerState.nodeId) {
      this.standard.setServerState(write.value as ServerState);
    }
    const entry: WriteLogEntry = { time: new Date().toISOString(), nodeId: write.nodeId, value: write.value };
    this.writes.push(entry);
    this.emit("write", entry);
  }

  private schedule(): void {
    if (!this.ticking) {
      return;
    }
    this.timer = setTimeout(() => {
      this.publish();
      this.schedule();
    }, this.ticker.delayToNextTick(Date.now()));
  }

  private publish(): void {
    const status = this.nodes.quality.get() ? StatusCodes.Good : StatusCodes.BadNoCommunication;
    const ticks = this.ticker.advance(Date.now());
    if (this.nodes.freeze.get()) return; // time goes on, the values stand still
    const serverTime = new Date(this.clock.now()); // the server's clock, which may differ from the source's
    for (const tick of ticks) {
      const { counter, sine } = this.nodes;
      setValueWithServerTime(
        counter,
        { dataType: DataType.Int32, value: tick.counter },
        status,
        tick.timestamp,
        serverTime,
      );
      setValueWithServerTime(
        sine,
        { dataType: DataType.Double, value: tick.sine },
        status,
        tick.timestamp,
        serverTime,
      );
      this.bulk?.publish(tick.counter, tick.timestamp);
      this.alarms?.onTick(tick.counter, tick.timestamp);
      this.custom?.publish(tick.counter, tick.timestamp);
    }
  }
}

/** A server that enforces limits it does not state (allowed: every OperationLimits property is optional). */
function hideOperationLimits(addressSpace: AddressSpace): void {
  const limits = addressSpace.findNode(`ns=0;i=${ObjectIds.Server_ServerCapabilities_OperationLimits}`);
  for (const limit of limits?.findReferencesAsObject("HasProperty", true) ?? []) {
    addressSpace.deleteNode(limit);
  }
  const perSubscription = addressSpace.findNode(
    `ns=0;i=${VariableIds.Server_ServerCapabilities_MaxMonitoredItemsPerSubscription}`,
  );
  if (perSubscription) addressSpace.deleteNode(perSubscription);
}

/** Starts a simulator; resolves when it accepts connections. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const { port, tickMs, shutdownDelayMs, host, sharedClock } = checkOptions(options);
  const name = options.name ?? "opcua-redundancy simulator";
  // one cached certificate per application URI: a named simulator gets a URI (and store) of its own
  const slug = options.name === undefined ? "" : options.name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  const applicationUri = slug ? `urn:opcua-redundancy:simulator:${slug}` : "urn:opcua-redundancy:simulator";
  const pki = createSimulatorCertificateManagers(slug, options.pkiFolder);
  const server = new OPCUAServer({
    port,
    host,
    hostname: host,
    ...simulatorSecurityOptions(options.security),
    registerServerMethod: RegisterServerMethod.HIDDEN,
    maxConnectionsPerEndpoint: 100,
    serverCertificateManager: pki.server,
    userCertificateManager: pki.user,
    serverCapabilities: {
      minSupportedSampleRate: 0,
      maxSessions: 100,
      // node-opcua's 100,000 per subscription is below what the scale benchmark asks for
      maxMonitoredItemsPerSubscription: options.maxMonitoredItemsPerSubscription ?? 1_000_000,
      // node-opcua's own default (10000) unless a test asks for a tighter one
      operationLimits: {
        ...(options.maxMonitoredItemsPerCall === undefined
          ? {}
          : { maxMonitoredItemsPerCall: options.maxMonitoredItemsPerCall }),
        ...(options.maxNodesPerRequest === undefined
          ? {}
          : {
              maxNodesPerBrowse: options.maxNodesPerRequest,
              maxNodesPerRead: options.maxNodesPerRequest,
              maxNodesPerWrite: options.maxNodesPerRequest,
              maxNodesPerMethodCall: options.maxNodesPerRequest,
            }),
        ...(options.maxNodesPerRead === undefined ? {} : { maxNodesPerRead: options.maxNodesPerRead }),
      },
    },
    serverInfo: {
      applicationUri,
      productUri: "urn:opcua-redundancy:simulator",
      applicationName: { text: name, locale: "en" },
    },
    buildInfo: { productName: name, manufacturerName: "opcua-redundancy" },
    ...(options.reverseConnect
      ? {
          reverseConnect: {
            connections: [{ endpointUrl: options.reverseConnect }],
            reconnectDelay: 200,
            maxReconnectDelay: 1000,
          },
        }
      : {}),
  });
  const clock = new SimClock(options.clockOffsetMs ?? 0);
  const offsetMs = () => clock.offsetMs;
  const ownClock = options.ownClock ? { phaseMs: options.ownClock.phaseMs, offsetMs } : undefined;
  const ticker = new Ticker({
    tickMs,
    sharedClock,
    startMs: Date.now(),
    offsetMs,
    ...(ownClock ? { ownClock } : {}),
  });
  const simulator = new SimulatorImpl(
    server,
    ticker,
    shutdownDelayMs,
    Math.max(0, Math.floor(options.bulk ?? 0)),
    options.namespaceOrder,
    options.advertiseLimits ?? true,
    options.events === false
      ? false
      : { eventMs: options.events?.eventMs ?? 1000, alarmCycleMs: options.events?.alarmCycleMs ?? 20000 },
    clock,
    options.bulkStructures ?? false,
    options.browseDelayMs ?? 0,
  );
  simulator.nodeChanges = options.nodeChanges;
  try {
    await simulator.start(host);
  } catch (error) {
    await simulator.stop().catch(() => undefined);
    if (error instanceof RedundancyError) {
      throw error;
    }
    const message = error instanceof Error ? error.message : String(error);
    throw new RedundancyError("ERR_SIMULATOR", `simulator failed to start on ${host}:${port}: ${message}`, {
      cause: error,
    });
  }
  return simulator;
}
