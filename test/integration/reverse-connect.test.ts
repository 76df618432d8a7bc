/**
 * Reverse Connect (Part 6 §7.1.3): the primary dials in to the link's listener (simulator
 * --reverse-connect), the secondary is an ordinary server. Failover away from the reverse-connect
 * primary and back (it dials in again after a restart) works in every mode.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { RedundantClient } from "../../src/client/redundant-client.ts";
import type { FailoverEvent } from "../../src/client/types.ts";
import { CounterRecorder } from "../helpers/counter-recorder.ts";
import { testStatusQuery } from "../helpers/pair-rig.ts";
import { freePort } from "../helpers/ports.ts";
import { type SimProcess, spawnSimulator } from "../helpers/sim-process.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

for (const mode of ["cold", "warm", "hot"] as const) {
  test(`${mode} mode: a reverse-connect primary and an ordinary secondary fail over both ways`, {
    timeout: INTEGRATION_TEST_TIMEOUT_MS,
  }, async () => {
    const listen = `opc.tcp://127.0.0.1:${await freePort()}`;
    const sims: SimProcess[] = [];
    let client: RedundantClient | undefined;
    try {
      sims.push(await spawnSimulator({ tickMs: 20, sharedClock: true, reverseConnect: listen }));
      sims.push(await spawnSimulator({ tickMs: 20, sharedClock: true }));
      const [primary, secondary] = sims as [SimProcess, SimProcess];
      client = new RedundantClient({
        name: "reverse",
        mode,
        servers: [{ url: primary.endpointUrl, reverseConnect: { listen } }, { url: secondary.endpointUrl }],
        statusQuery: testStatusQuery,
        failback: { policy: "auto", holdMs: 1000 },
        minDwellMs: 500,
      });
      const pair = client;
      const failovers: FailoverEvent[] = [];
      pair.on("failover", (e) => failovers.push(e));
      const counter = new CounterRecorder();
      pair.monitor("ns=1;s=Counter", {}, counter.onValue);
      await pair.start();
      await waitFor(() => pair.status().activeIndex === 0, 30_000, "the reverse-connect primary active");
      await counter.waitForMore(10, 10_000, "values from the reverse-connect primary");

      await primary.kill();
      await waitFor(() => pair.status().activeIndex === 1, 15_000, "failover to the secondary");
      await counter.waitForMore(10, 10_000, "values from the secondary");

      await primary.restart(); // dials in to the listener again
      await waitFor(() => pair.status().activeIndex === 0, 30_000, "back to the primary once it dialled in");
      const back = Date.now();
      await counter.firstAfter(back, 10_000);
      await counter.waitForMore(10, 10_000, "values after the return");
      const report = counter.report();
      assert.equal(report.regressions, 0);
      assert.equal(report.duplicates, 0);
      if (mode === "hot") assert.equal(report.lost, 0, `gaps: ${JSON.stringify(report.gaps)}`);
      assert.ok(failovers.length >= 2);
    } finally {
      await client?.stop();
      await Promise.all(sims.map((s) => s.dispose()));
    }
  });
}
