/** The states of one upstream link: the one list the link, the status and the metrics share. */
export const LINK_STATES = ["idle", "connecting", "connected", "lost", "stopped"] as const;
export type LinkState = (typeof LINK_STATES)[number];
