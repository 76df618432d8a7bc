/**
 * The product's central promise: in hot mode, with two servers reading the same device (shared-clock
 * simulators at a 20 ms tick), the delivered Counter has no gap, no duplicate and no regression
 * across several failovers and failbacks.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { startRig } from "../helpers/pair-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

test("hot mode: SIGKILL, restart, blackhole and restore of the primary lose and repeat nothing", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const rig = await startRig({
    mode: "hot",
    tickMs: 20,
    pair: { failback: { policy: "auto", holdMs: 1000 } },
  });
  try {
    const { sims, proxies, client, counter, failovers } = rig;
    const failoversBefore = client.status().failovers;
    const switches = async (n: number, to: number, what: string) => {
      const event = await waitFor(() => failovers[n - 1], 15_000, what);
      assert.equal(event.toIndex, to, `${what}: ${event.reason} ${event.detail}`);
      await counter.waitForMore(25, 10_000, `values after ${what}`);
      return event;
    };
    await counter.waitForMore(25, 10_000, "values from the primary");

    await sims[0]!.kill();
    assert.equal((await switches(1, 1, "failover after SIGKILL")).reason, "commLost");
    await sims[0]!.restart();
    assert.equal((await switches(2, 0, "failback after restart")).reason, "failback");

    proxies[0]!.setMode("blackhole");
    assert.equal((await switches(3, 1, "failover after blackhole")).reason, "commLost");
    proxies[0]!.setMode("pass");
    assert.equal((await switches(4, 0, "failback after restore")).reason, "failback");

    proxies[0]!.setMode("reset");
    assert.equal((await switches(5, 1, "failover after reset")).reason, "commLost");

    const report = counter.report();
    t.diagnostic(`${report.count} values over ${failovers.length} switches; lost ${report.lost}`);
    assert.deepEqual(
      { lost: report.lost, duplicates: report.duplicates, regressions: report.regressions },
      { lost: 0, duplicates: 0, regressions: 0 },
      JSON.stringify(report.gaps),
    );
    assert.deepEqual(counter.bad, [], "no Bad value while a server was available");
    assert.equal(client.status().failovers - failoversBefore, 5, "no switch beyond the five faults");
  } finally {
    await rig.dispose();
  }
});
