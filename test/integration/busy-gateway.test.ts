/**
 * A gateway whose own event loop is busy (a burst of tens of thousands of values, a long GC) must
 * not take that for a silent server: its health timers fire late, before the answers and
 * keep-alives that arrived meanwhile are read. Found by `npm run bench` at 50k items (spurious link
 * losses in the measuring window).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { LinkStateChange } from "../../src/upstream/link.ts";
import { startRig } from "../helpers/pair-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS } from "../helpers/wait.ts";

/** Keeps this process's event loop busy, as a burst of work would. */
function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // spin: no timer, no I/O callback runs meanwhile
  }
}

test("a busy event loop (3.5 s, longer than keep-alive + status timeout) is not a server outage", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const rig = await startRig({ mode: "hot" });
  t.after(() => rig.dispose());
  const linkChanges: LinkStateChange[] = [];
  rig.client.on("linkStateChanged", (change) => linkChanges.push(change));
  await rig.counter.waitForMore(20, 10_000, "values before");
  const before = rig.counter.count;

  // keep-alive 1 s + status query timeout 1 s < 3.5 s; three times, to cross a query in flight
  for (let i = 0; i < 3; i++) {
    busy(3500);
    await rig.counter.waitForMore(25, 10_000, `values after busy spell ${i + 1}`);
  }

  assert.deepEqual(rig.failovers, [], "no failover");
  assert.deepEqual(
    linkChanges.map((c) => `${c.server} ${c.from} → ${c.to}: ${c.reason}`),
    [],
    "no link was declared lost",
  );
  const report = rig.counter.report(before);
  assert.equal(report.lost, 0, "hot mode: nothing lost across the busy spells");
  assert.equal(report.duplicates, 0);
});
