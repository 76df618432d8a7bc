/**
 * Issue 13 point 2: hot failover between servers whose clocks differ (+1.5 s and −0.5 s from the
 * host's). Two servers polling one device on their own phase and stamping with their own clocks
 * (--own-clock) hand over with at most one sample lost or repeated per switch and no regression,
 * thanks to the measured offsets; with the device's own timestamps (identical on both servers,
 * only the servers' clocks apart) it stays exactly 0 lost / 0 repeated.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { startRig } from "../helpers/pair-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

const OFFSETS = [1500, -500];
const CASES = [
  { name: "own clocks, own sampling phases", exact: false, phases: [10, 35] },
  { name: "device timestamps, servers' clocks apart", exact: true, phases: undefined },
];

for (const c of CASES) {
  test(`hot failover, server clocks +1.5 s / −0.5 s: ${c.name}`, {
    timeout: INTEGRATION_TEST_TIMEOUT_MS,
  }, async (t) => {
    const rig = await startRig({
      mode: "hot",
      tickMs: 50,
      pair: { failback: { policy: "auto", holdMs: 1000 } },
      simulatorFor: (i) => ({
        clockOffsetMs: OFFSETS[i],
        ...(c.phases ? { ownClockPhaseMs: c.phases[i] } : {}),
      }),
    });
    try {
      const { sims, proxies, client, counter, failovers } = rig;
      const switches = async (n: number, to: number, what: string) => {
        const event = await waitFor(() => failovers[n - 1], 20_000, what);
        assert.equal(event.toIndex, to, `${what}: ${event.reason} ${event.detail}`);
        await counter.waitForMore(20, 10_000, `values after ${what}`);
      };
      // both offsets measured before the first switch
      await waitFor(
        () =>
          client.status().servers.every((s, i) => Math.abs((s.clock.offsetMs ?? 1e9) - OFFSETS[i]!) < 100),
        10_000,
        "the servers' clock offsets measured",
      );
      await counter.waitForMore(20, 10_000, "values from the primary");
      await sims[0]!.kill();
      await switches(1, 1, "failover after SIGKILL");
      await sims[0]!.restart();
      await switches(2, 0, "failback after restart");
      proxies[0]!.setMode("blackhole");
      await switches(3, 1, "failover after blackhole");
      proxies[0]!.setMode("pass");
      await switches(4, 0, "failback after restore");

      const report = counter.report();
      const offsets = client.status().servers.map((s) => s.clock.offsetMs);
      t.diagnostic(
        `${c.name}: ${report.count} values, ${failovers.length} switches, lost ${report.lost}, ` +
          `repeated ${report.duplicates}, regressions ${report.regressions}, offsets ${offsets.join(" / ")} ms`,
      );
      assert.equal(report.regressions, 0, "no regression");
      if (c.exact) {
        assert.deepEqual({ lost: report.lost, duplicates: report.duplicates }, { lost: 0, duplicates: 0 });
      } else {
        assert.ok(report.lost <= failovers.length, `lost ${report.lost}: ${JSON.stringify(report.gaps)}`);
        assert.ok(report.duplicates <= failovers.length, `repeated ${report.duplicates}`);
      }
      assert.deepEqual(counter.bad, [], "no Bad value while a server was available");
    } finally {
      await rig.dispose();
    }
  });
}
