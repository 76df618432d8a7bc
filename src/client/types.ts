import type { PairState, SwitchReason } from "../redundancy/types.ts";
import type { LinkRole, LinkState, LinkStateChange } from "../upstream/link.ts";
import type { RecoveryCounters } from "../upstream/subscription-watch.ts";
import type { ClockStepEvent, ServerClockStatus } from "./server-clocks.ts";

export interface FailoverEvent {
  /** URL of the previous active server (null when there was none). */
  from: string | null;
  to: string;
  fromIndex: number | null;
  toIndex: number;
  /** The servers' configured names (default host:port). */
  fromName: string | null;
  toName: string;
  reason: SwitchReason;
  detail: string;
  /** How long the pair had no working active server (0 for planned switches). */
  durationMs: number;
  at: Date;
}

export interface StateChangeEvent {
  from: PairState;
  to: PairState;
  reason: string;
}

export interface AllServersLostEvent {
  reason: SwitchReason;
  detail: string;
  at: Date;
}

export interface RecoveredEvent {
  server: string;
  index: number;
  /** How long no server was available. */
  downMs: number;
  at: Date;
}

/** Notifications an upstream server published that its subscription never delivered. */
export interface GapEvent {
  server: string;
  index: number;
  subscriptionId: number;
  /** NotificationMessages missing; null when unknown (the subscription had to be re-created). */
  missingMessages: number | null;
  cause: "sequence" | "recreated";
  /** How the values were made current: ResendData, a Read of every item, the re-created items' initial values. */
  recovered: "resendData" | "read" | "initialValues" | "failed";
  at: Date;
}

/**
 * A server presented a certificate the trust list refuses (first contact, or a new certificate
 * after a restart): the link stays down, retrying at its reconnect backoff, until it is trusted.
 */
export interface CertificateRefusedEvent {
  server: string;
  index: number;
  /** SHA-1 thumbprint (hex) of the refused certificate. */
  thumbprint: string;
  /** The certificate the server had when last connected, when it was another one. */
  previous: string | null;
  /** Why, e.g. BadCertificateUntrusted. */
  status: string;
  /** One readable line, with what to do. */
  message: string;
  at: Date;
}

/** A user-defined monitor item started or stopped failing on a server. */
export interface MonitorChangedEvent {
  server: string;
  index: number;
  nodeId: string;
  failing: boolean;
  reason: string;
  at: Date;
}

/** Something about monitor items an operator should know (a raised noChangeMs, failing everywhere). */
export interface MonitorNoticeEvent {
  server: string | null;
  index: number | null;
  nodeId: string | null;
  message: string;
  at: Date;
}

export interface RedundantClientEvents {
  gap: [GapEvent];
  certificateRefused: [CertificateRefusedEvent];
  stateChanged: [StateChangeEvent];
  failover: [FailoverEvent];
  linkStateChanged: [LinkStateChange];
  allServersLost: [AllServersLostEvent];
  recovered: [RecoveredEvent];
  monitorChanged: [MonitorChangedEvent];
  monitorNotice: [MonitorNoticeEvent];
  serverFacts: [ServerFactsEvent];
  clockStep: [ClockStepEvent];
}

/** A server's ServiceLevel or ServerState changed (read by the status query or its subscription). */
export interface ServerFactsEvent {
  server: string;
  index: number;
  serverState: string | null;
  serviceLevel: number | null;
  at: Date;
}

export interface ServerStatus {
  url: string;
  name: string;
  state: LinkState;
  role: LinkRole;
  active: boolean;
  serverState: string | null;
  serviceLevel: number | null;
  lastError: string | null;
  /** When the last error happened (ISO time), null without one. */
  lastErrorAt: string | null;
  /** The last error still stands: the server is not connected (again) since. */
  lastErrorCurrent: boolean;
  /** Of the pair's monitoredItems, how many exist on this server now (a standby that lags is not ready). */
  monitoredItems: number;
  /**
   * The publishing interval of the link's subscriptions as the server granted it (ms); it follows
   * the downstream clients with subscription.followDownstream.
   */
  publishingIntervalMs: number;
  /** The server's clock against the gateway's, its steps, and time regressions delivered from it. */
  clock: ServerClockStatus & { timeRegressions: number };
  /** What reconnects fetched with Republish and what was lost (gaps), since start. */
  recovery: RecoveryCounters;
  /** User-defined monitor items on this server (failing, or why not evaluated). */
  monitors: { nodeId: string; failing: boolean; reason: string | null }[];
}

export interface PairStatus {
  name: string;
  mode: "cold" | "warm" | "hot";
  state: PairState;
  active: string | null;
  activeIndex: number | null;
  failovers: number;
  lastFailover: FailoverEvent | null;
  monitoredItems: number;
  /** Monitors fail on every connected server: the best of them is active all the same. */
  monitorsFailingEverywhere: boolean;
  /**
   * Hot mode: standby values dropped because an item's buffer (`hot.bufferSize`) was full, since
   * start — values a failover at that moment would have lost.
   */
  hotBufferOverflows: number;
  servers: ServerStatus[];
}

export interface MonitorOptions {
  attributeId?: number;
  /** Upstream sampling interval in ms (default: the pair's subscription.samplingIntervalMs). */
  samplingInterval?: number;
  /** Upstream queue size (default: each server's subscription.queueSize, the pair's unless overridden). */
  queueSize?: number;
}

export interface MonitorHandle {
  readonly nodeId: string;
  stop(): void;
}
