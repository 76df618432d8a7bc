import type { TransitionTable } from "../transitions.ts";

/** The states of one upstream link: the one list the link, the status and the metrics share. */
export const LINK_STATES = ["idle", "connecting", "connected", "lost", "stopped"] as const;
export type LinkState = (typeof LINK_STATES)[number];

/**
 * The changes UpstreamLink.#setState makes (link.ts), each with where it comes from:
 * - idle → connecting: a connection's client is created (a start, or a fresh start after a
 *   disconnect); idle → lost: the client PKI cannot be set up at the first start;
 *   idle → stopped: stop() (it disconnects first, so every stop is from idle).
 * - connecting → connected: the first status query answered; → lost: an attempt failed (backoff),
 *   the connection or session was lost, the probe failed, the certificate was refused;
 *   → idle: a disconnect (role off, setup failed, stop).
 * - connected → lost: as from connecting; → idle: a disconnect.
 * - lost → connected: the status query answers again (node-opcua reconnected);
 *   → connecting: a fresh start after the PKI failed; → idle: a disconnect (also a stalled
 *   reconnect or a refused certificate, which start over).
 * - stopped: for good (UpstreamLink.stop()).
 */
export const LINK_TRANSITIONS: TransitionTable<LinkState> = {
  idle: ["connecting", "lost", "stopped"],
  connecting: ["connected", "lost", "idle"],
  connected: ["lost", "idle"],
  lost: ["connected", "connecting", "idle"],
  stopped: [],
};
