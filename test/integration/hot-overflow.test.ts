/**
 * Hot mode with a buffer too small for the outage: the standby values a full buffer dropped are
 * counted (`hotBufferOverflows` in status), and they are the values the failover then could not
 * deliver — the count is what an operator needs to size `hot.bufferSize`.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { startRig } from "../helpers/pair-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

test("hot mode: a full standby buffer counts the values a failover then loses", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const rig = await startRig({ mode: "hot", pair: { hot: { bufferSize: 1 } } });
  t.after(() => rig.dispose());
  await rig.counter.waitForMore(10, 10_000);
  // A loaded machine may let the secondary run 2 values ahead already (an honest overflow too).
  const before = rig.client.status().hotBufferOverflows;
  const from = rig.counter.count;

  // The primary freezes: no value from it, while the secondary's values pile up in a 1-value buffer.
  rig.sims[0]!.freeze();
  await waitFor(() => rig.failovers.length > 0, 20_000, "the failover away from the frozen primary");
  await rig.counter.waitForMore(5, 10_000, "values from the secondary");
  rig.sims[0]!.thaw();

  const overflows = rig.client.status().hotBufferOverflows - before;
  const { lost } = rig.counter.report(from - 1);
  process.stdout.write(`# frozen primary, bufferSize 1: ${overflows} overflow(s), ${lost} value(s) lost\n`);
  assert.ok(overflows > 0, "the standby values dropped during the outage are counted");
  assert.ok(lost > 0, "and they are lost downstream");
  assert.ok(overflows >= lost, `every lost value was an overflow (${overflows} ≥ ${lost})`);
});
