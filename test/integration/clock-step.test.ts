/**
 * Issue 13: a server whose clock steps (back 10 min; forward 10 min and back) must not stop the
 * data through the gateway, in any mode. The simulators stamp values with their own clock
 * (--own-clock) and the primary's clock is stepped at run time (ns=1;s=ClockOffsetMs); a client
 * connected directly to the primary is the reference.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AttributeIds, DataType } from "node-opcua";
import type { CounterRecorder } from "../helpers/counter-recorder.ts";
import { connectEventClient, type EventClient } from "../helpers/event-client.ts";
import {
  connectDownstream,
  type Downstream,
  type GatewayRig,
  startGatewayRig,
} from "../helpers/gateway-rig.ts";
import { delay, INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

const MODES = ["cold", "warm", "hot"] as const;
const TICK_MS = 50;
const TEN_MINUTES = 600_000;
/** How long values are counted after each step. */
const WINDOW_MS = 4000;

describe("clock steps of an upstream server (issue 13)", { timeout: INTEGRATION_TEST_TIMEOUT_MS }, () => {
  let rig: GatewayRig;
  const clients: Downstream[] = [];
  /** Per pair: the direct reference and the gateway's stream. */
  const streams: { direct: CounterRecorder; gateway: CounterRecorder; primary: Downstream }[] = [];
  /** The hot pair's Server object through the gateway: the gateway's own OPC UA events. */
  let hotEvents: EventClient;

  before(async () => {
    rig = await startGatewayRig({
      pairs: MODES.map((mode) => ({ mode })),
      oneByOne: true, // six simulators: one after the other on a loaded machine
      tickMs: TICK_MS,
      // each server samples the device on its own phase and stamps with its own clock
      simulatorFor: (i) => ({ ownClockPhaseMs: i % 2 === 0 ? 10 : 30 }),
    });
    for (const [i] of MODES.entries()) {
      const primary = await connectDownstream(rig.sims[2 * i]!.endpointUrl);
      const downstream = await connectDownstream(rig.endpoints[i]!);
      clients.push(primary, downstream);
      const direct = await primary.record("ns=1;s=Counter");
      const gateway = await downstream.record("ns=1;s=Counter");
      streams.push({ direct, gateway, primary });
    }
    hotEvents = await connectEventClient(rig.endpoints[MODES.indexOf("hot")]!);
    await hotEvents.monitor("i=2253", { name: "server" });
    await Promise.all(streams.map((s) => s.gateway.waitForMore(20, 20_000)));
  });

  after(async () => {
    await hotEvents?.close();
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await rig?.dispose();
  });

  /** Sets every primary's clock offset, then compares what arrived in the window after it. */
  async function stepTo(offsetMs: number): Promise<{ direct: number; gateway: number }[]> {
    const marks = streams.map((s) => ({ direct: s.direct.count, gateway: s.gateway.count }));
    await Promise.all(
      streams.map(async (s) => {
        const [status] = await s.primary.session.write([
          {
            nodeId: "ns=1;s=ClockOffsetMs",
            attributeId: AttributeIds.Value,
            value: { value: { dataType: DataType.Int32, value: offsetMs } },
          },
        ]);
        assert.equal(status?.name, "Good");
      }),
    );
    await delay(WINDOW_MS);
    return streams.map((s, i) => ({
      direct: s.direct.count - marks[i]!.direct,
      gateway: s.gateway.count - marks[i]!.gateway,
    }));
  }

  function assertFlowing(step: string, counts: { direct: number; gateway: number }[]): void {
    for (const [i, mode] of MODES.entries()) {
      const { direct, gateway } = counts[i]!;
      process.stdout.write(`# ${mode}, ${step}: ${gateway} values through the gateway, ${direct} directly\n`);
      assert.ok(direct > (WINDOW_MS / TICK_MS) * 0.5, `${mode}: the direct client received ${direct}`);
      assert.ok(
        gateway >= 0.9 * direct,
        `${mode}, ${step}: through the gateway ${gateway} values, directly ${direct} (< 90 %)`,
      );
    }
  }

  test("a step back of 10 minutes: values keep flowing, a clock event is logged", async () => {
    const counts = await stepTo(-TEN_MINUTES);
    assertFlowing("clock 10 min back", counts);
    for (const [i, pair] of rig.gateway.pairs.entries()) {
      const events = rig.gateway.events.list({ kind: "clock", pair: pair.status().name });
      assert.ok(
        events.some(
          (e) => e.details?.direction === "back" && Number(e.details?.stepMs) < -TEN_MINUTES + 2000,
        ),
        `${MODES[i]}: a clock event for the step back: ${JSON.stringify(events)}`,
      );
      const offset = pair.status().servers[0]!.clock.offsetMs;
      assert.ok(offset !== null && Math.abs(offset + TEN_MINUTES) < 1000, `offset in the status: ${offset}`);
    }
    // ... and raised as the gateway's own OPC UA event, for a SCADA or historian downstream
    await hotEvents.waitForEvents(
      (events) => events.some((e) => /clock of .* stepped back by/.test(e.message ?? "")),
      10_000,
      "the gateway's clock-step event",
    );
    const event = hotEvents.events.find((e) => /clock of .* stepped back by/.test(e.message ?? ""))!;
    assert.equal(event.severity, 500);
    assert.equal(event.sourceName, rig.gateway.pairs[MODES.indexOf("hot")]!.status().name);
    assert.match(event.eventType ?? "", /^ns=[1-9]\d*;i=\d+$/, "a type of the gateway's namespace");
  });

  test("forward 10 minutes and back: values keep flowing after each step", async () => {
    assertFlowing("clock forward to the host's", await stepTo(0));
    assertFlowing("clock 10 min forward", await stepTo(TEN_MINUTES));
    assertFlowing("clock back 10 min", await stepTo(0));
    for (const [i, pair] of rig.gateway.pairs.entries()) {
      const directions = rig.gateway.events
        .list({ kind: "clock", pair: pair.status().name })
        .map((e) => e.details?.direction);
      assert.deepEqual(directions, ["back", "forward", "forward", "back"], MODES[i]);
    }
    // the device's Counter went on without a step: through the gateway it never went backwards
    for (const [i, s] of streams.entries()) {
      await waitFor(() => s.gateway.count > 0, 1000, "values");
      assert.equal(s.gateway.report().regressions, 0, `${MODES[i]}: Counter regressed through the gateway`);
    }
  });
});
