/** Downstream clients' own reconnects: the gateway's server keeps their data (Republish, queues). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { startFaultProxy } from "../helpers/fault-proxy.ts";
import { connectDownstream, startGatewayRig } from "../helpers/gateway-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

for (const fault of ["reset", "blackhole"] as const) {
  test(`a downstream client whose connection suffers a ${fault} loses no value`, {
    timeout: INTEGRATION_TEST_TIMEOUT_MS,
  }, async (t) => {
    const rig = await startGatewayRig({ pairs: [{ mode: "hot" }] });
    const port = Number(new URL(rig.endpoints[0]!.replace("opc.tcp", "http")).port);
    const proxy = await startFaultProxy({ port });
    const downstream = await connectDownstream(proxy.url);
    try {
      const counter = await downstream.record("ns=1;s=Counter");
      await counter.waitForMore(20, 10_000, "values through the gateway");
      const reconnected = new Promise<void>((resolve) =>
        downstream.client.once("connection_reestablished", () => resolve()),
      );
      proxy.setMode(fault);
      const before = counter.count;
      if (fault === "reset") {
        await waitFor(() => proxy.connectionCount === 0, 5000, "the connection reset");
        proxy.setMode("pass");
        await reconnected;
      } else {
        // 1.5 s without a byte, less than any timeout: TCP holds the data and delivers it after.
        await new Promise<void>((resolve) => setTimeout(resolve, 1500));
        proxy.setMode("pass");
      }
      await counter.waitForMore(40, 20_000, "values after the cut");
      const report = counter.report(Math.max(0, before - 1));
      t.diagnostic(`lost ${report.lost}, duplicates ${report.duplicates} over ${report.count} values`);
      assert.deepEqual(
        { lost: report.lost, duplicates: report.duplicates, regressions: report.regressions },
        { lost: 0, duplicates: 0, regressions: 0 },
        JSON.stringify(report.gaps),
      );
    } finally {
      await downstream.close().catch(() => undefined);
      await proxy.close();
      await rig.dispose();
    }
  });
}
