/** Return to the primary: after `holdMs` of continuous health, and never faster than the dwell allows. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { LinkStateChange } from "../../src/upstream/link.ts";
import { startRig } from "../helpers/pair-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

test("failback waits holdMs after the primary is healthy again", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  const holdMs = 2000;
  const rig = await startRig({ mode: "warm", pair: { failback: { policy: "auto", holdMs } } });
  try {
    const upAt: number[] = [];
    rig.client.on("linkStateChanged", (c: LinkStateChange) => {
      if (c.server === 0 && c.to === "connected") upAt.push(Date.now());
    });
    await rig.counter.waitForMore(5, 10_000);
    await rig.sims[0]!.kill();
    await waitFor(() => rig.failovers[0], 10_000, "failover");
    await rig.sims[0]!.restart();
    const failback = await waitFor(() => rig.failovers[1], holdMs + 15_000, "failback");
    assert.equal(failback.reason, "failback");
    assert.equal(failback.toIndex, 0);
    const healthyAt = upAt.at(-1)!;
    const waited = failback.at.getTime() - healthyAt;
    assert.ok(
      waited >= holdMs - 5,
      `failback ${waited} ms after the primary was healthy, hold is ${holdMs} ms`,
    );
    assert.ok(waited <= holdMs + 2000, `failback came late: ${waited} ms`);
  } finally {
    await rig.dispose();
  }
});

test("manual failback: the primary's return does not switch back, an operator command does", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  const rig = await startRig({ mode: "hot", pair: { failback: { policy: "manual", holdMs: 0 } } });
  try {
    await rig.counter.waitForMore(5, 10_000);
    rig.proxies[0]!.setMode("reset");
    await waitFor(() => rig.failovers[0], 10_000, "failover");
    rig.proxies[0]!.setMode("pass");
    await waitFor(
      () => rig.client.status().servers[0]!.state === "connected",
      15_000,
      "primary connected again",
    );
    // The primary is healthy; a further 25 values pass without a switch back.
    await rig.counter.waitForMore(25, 10_000);
    assert.equal(rig.client.status().activeIndex, 1);
    assert.equal(rig.failovers.length, 1);
    rig.client.failover(0);
    assert.equal(rig.client.status().activeIndex, 0);
    assert.equal(rig.failovers[1]?.reason, "manual");
  } finally {
    await rig.dispose();
  }
});

test("a primary link flapping every 300 ms causes no more switches than hold and dwell allow", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async (t) => {
  const holdMs = 1000;
  const minDwellMs = 2000;
  const rig = await startRig({ mode: "hot", pair: { failback: { policy: "auto", holdMs }, minDwellMs } });
  const primaryStates: string[] = [];
  rig.client.on("linkStateChanged", (c: LinkStateChange) => {
    if (c.server === 0) primaryStates.push(`${c.to}: ${c.reason}`);
  });
  try {
    await rig.counter.waitForMore(10, 10_000);
    const flaps = 20;
    const started = Date.now();
    // The fault driver: reset / pass every 300 ms, 20 times (6 s).
    await new Promise<void>((resolve) => {
      let n = 0;
      const timer = setInterval(() => {
        rig.proxies[0]!.setMode(n % 2 === 0 ? "reset" : "pass");
        if (++n === flaps) {
          clearInterval(timer);
          resolve();
        }
      }, 300);
    });
    rig.proxies[0]!.setMode("pass");
    const duringFlapping = rig.failovers.length;
    const elapsed = Date.now() - started;
    const bound = 1 + Math.floor(elapsed / Math.max(holdMs, minDwellMs));
    t.diagnostic(`${duringFlapping} switches in ${elapsed} ms of flapping (bound ${bound})`);
    assert.ok(duringFlapping >= 1, "the first reset must fail over");
    assert.ok(duringFlapping <= bound, `${duringFlapping} switches > ${bound}`);
    // Once the link is stable, the pair returns to the primary, and hot mode lost nothing throughout.
    await waitFor(
      () => rig.client.status().activeIndex === 0,
      holdMs + minDwellMs + 15_000,
      "failback",
    ).catch((error: Error) => {
      throw new Error(`${error.message}; the primary link's states: ${JSON.stringify(primaryStates)}`);
    });
    await rig.counter.waitForMore(10, 10_000);
    const report = rig.counter.report();
    assert.equal(report.lost + report.duplicates + report.regressions, 0, JSON.stringify(report));
  } finally {
    await rig.dispose();
  }
});
