/** Rigs fail the test whose component made a state change its transition table forbids. */
import assert from "node:assert/strict";
import { takeIllegalTransitions } from "../../src/transitions.ts";

/** `dispose`, then assert that no illegal state transition was recorded in this process. */
export function disposeChecked(dispose: () => Promise<void>): () => Promise<void> {
  return async () => {
    await dispose();
    assert.deepEqual(takeIllegalTransitions(), [], "illegal state transitions during the test");
  };
}
