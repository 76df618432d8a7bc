/**
 * PairEngine's "stateChanged" comes from one function (checked against PAIR_TRANSITIONS): the
 * current client's changes pass through it, and a reload (replace) announces the new client's
 * state through it, from the state the listeners were told last.
 */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { test } from "node:test";
import type { StateChangeEvent } from "../../src/client/types.ts";
import { PairEngine } from "../../src/gateway/pair-engine.ts";
import type { PairState } from "../../src/redundancy/types.ts";

class FakeClient extends EventEmitter {
  state: PairState;
  readonly config: { servers: { url: string }[] };
  readonly events = { acquire: () => ({ refresh: async () => undefined, stop: () => undefined }) };
  constructor(state: PairState, url: string) {
    super();
    this.state = state;
    this.config = { servers: [{ url }] };
  }
  change(to: PairState, reason: string): void {
    const from = this.state;
    this.state = to;
    this.emit("stateChanged", { from, to, reason });
  }
  async stop(): Promise<void> {
    this.change("stopped", "stopped");
  }
}

test("the current client's state changes pass through; a reload announces the new state once", async () => {
  const first = new FakeClient("starting", "opc.tcp://a");
  const engine = new PairEngine(first as never);
  const seen: StateChangeEvent[] = [];
  engine.on("stateChanged", (e) => seen.push(e));
  first.change("active", "initial");
  assert.deepEqual(seen, [{ from: "starting", to: "active", reason: "initial" }]);

  const second = new FakeClient("active", "opc.tcp://b");
  await engine.replace(second as never);
  // the replaced client's own stop is not the engine's: one event, from what listeners knew
  assert.deepEqual(seen.slice(1), [
    { from: "active", to: "active", reason: "configuration reloaded: servers opc.tcp://b" },
  ]);
  second.change("allLost", "every server lost");
  assert.deepEqual(seen.at(-1), { from: "active", to: "allLost", reason: "every server lost" });
  first.change("allLost", "late"); // the replaced client: no longer heard
  assert.equal(seen.length, 3);
});
