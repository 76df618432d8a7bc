/**
 * Facts and decisions exchanged between the I/O world (links, client) and the pure redundancy core.
 * Nothing here imports node-opcua or touches timers.
 */

export type Mode = "cold" | "warm" | "hot";

/** Communication status of one upstream server as its link sees it. */
export type LinkStatus = "unknown" | "connecting" | "up" | "down";

/** What the core knows about one upstream server. */
export interface ServerFacts {
  /** "up": a session is usable and the status query / keep-alive watchdog pass. */
  status: LinkStatus;
  /** ServerState name (Running, Failed, NoConfiguration, Suspended, Shutdown, Test, CommunicationFault, Unknown). */
  serverState?: string | undefined;
  /** Server.ServiceLevel, 0..255 (OPC UA Part 4 §6.6.2.4.2). */
  serviceLevel?: number | undefined;
  /** How many user-defined monitor items are failing on this server right now. */
  monitorsFailing?: number | undefined;
}

/** Why the active server changed: stable strings, used in events, logs and metrics labels. */
export type SwitchReason =
  | "initial"
  | "commLost"
  | "serverState"
  | "serviceLevel"
  | "monitor"
  | "failback"
  | "manual"
  | "recovered";

/**
 * "active": a server is active or, in cold mode, the active one was just lost and candidates are
 * being connected (`active` is null until one answers or the whole cycle failed: then "allLost").
 */
export type PairState = "starting" | "active" | "allLost" | "stopped";

export type Decision =
  /** Make `to` the active server. `from` is the previous active one (null when there was none). */
  | { kind: "switch"; from: number | null; to: number; reason: SwitchReason; detail: string }
  /** No server can serve: deliver Bad, answer requests with Bad. */
  | { kind: "lost"; from: number | null; reason: SwitchReason; detail: string }
  /**
   * Cold mode: connect this server (one candidate at a time) and report the outcome as facts; while
   * it stays up, keep it connected and keep reporting (the machine may switch to it, or watch it for
   * failback).
   */
  | { kind: "try"; server: number };
