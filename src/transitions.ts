/**
 * State transition tables: every state change of a component goes through its one state-change
 * function, which checks the change here against the component's table (e.g. LINK_TRANSITIONS in
 * upstream/link-state.ts).
 *
 * An illegal transition is a bug: it is logged at error level and the transition is applied anyway
 * (the component's state then follows what really happened), under tests as in production, so that
 * a test sees what a plant would. Under tests it is also recorded (`takeIllegalTransitions`): the
 * test rigs fail the test that caused one. (Throwing under tests made a missing table entry abort
 * the state change, a hang that production never has.)
 */
import type { Logger } from "./log.ts";

/** For each state, the states it may change to (a change to the same state is no change). */
export type TransitionTable<S extends string> = { readonly [From in S]: readonly S[] };

/** Under node's test runner (NODE_TEST_CONTEXT is set in its child processes) or NODE_ENV=test. */
export function underTest(): boolean {
  return process.env.NODE_ENV === "test" || process.env.NODE_TEST_CONTEXT !== undefined;
}

export function isLegalTransition<S extends string>(table: TransitionTable<S>, from: S, to: S): boolean {
  return from === to || table[from].includes(to);
}

/** Illegal transitions seen under test since the last take (none are kept in production). */
const recorded: string[] = [];

/** The illegal transitions recorded so far under test, and forget them. */
export function takeIllegalTransitions(): string[] {
  return recorded.splice(0);
}

/** Checks `from → to` against `table`; see the module comment for what an illegal one does. */
export function checkTransition<S extends string>(
  table: TransitionTable<S>,
  from: S,
  to: S,
  logger: Pick<Logger, "error">,
): void {
  if (isLegalTransition(table, from, to)) return;
  const message = `illegal state transition ${from} → ${to} (allowed from ${from}: ${table[from].join(", ") || "none"})`;
  logger.error({ from, to, code: "ERR_ILLEGAL_TRANSITION" }, message);
  if (underTest()) recorded.push(message);
}
