/** The types of an upstream link (link.ts) and its connection (connection.ts); link.ts re-exports them. */
import type { DataValue } from "node-opcua";
import type { UpstreamSecurity, UpstreamUser } from "../config/schema-security.ts";
import type { ClockSample } from "../redundancy/clock-offset.ts";
import type { ServerFacts } from "../redundancy/types.ts";
import type { GapRecovery } from "./gap-recovery.ts";
import type { LinkState } from "./link-state.ts";
import type { SubscriptionGap } from "./subscription-watch.ts";

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
