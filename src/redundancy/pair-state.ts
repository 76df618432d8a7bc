import type { TransitionTable } from "../transitions.ts";
import type { PairState } from "./types.ts";

/**
 * The changes of a pair's state (RedundantClient.#setState, and PairEngine's, which also announces
 * a reload), each with where it comes from:
 * - starting → active: the first switch; → allLost: every server failed at start;
 *   → stopped: stop() before any server was active.
 * - active → allLost: no server left; → stopped: stop().
 * - allLost → active: a server recovered; → stopped: stop().
 * - stopped: for good. (A switch between servers is no state change: active stays active.)
 */
export const PAIR_TRANSITIONS: TransitionTable<PairState> = {
  starting: ["active", "allLost", "stopped"],
  active: ["allLost", "stopped"],
  allLost: ["active", "stopped"],
  stopped: [],
};
