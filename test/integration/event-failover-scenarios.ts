/**
 * Events and alarms across failover (README "Events and alarms"), for the modes a test file names
 * (gateway-events-failover*.test.ts): one gateway with a pair per mode of shared-clock simulators (both servers of a pair raise the same events at the
 * same Time). The primary is SIGKILLed; downstream, the event stream goes on without a lost or
 * repeated event (hot), and every mode frames the new server's retained conditions with
 * RefreshStart/RefreshEnd, so that the alarm list is the new server's.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  BASE_EVENT,
  connectEventClient,
  type EventClient,
  REFRESH_END,
  type ReceivedEvent,
  refreshedConditions,
} from "../helpers/event-client.ts";
import { type GatewayRig, startGatewayRig } from "../helpers/gateway-rig.ts";
import { INTEGRATION_TEST_TIMEOUT_MS } from "../helpers/wait.ts";

const options = { timeout: INTEGRATION_TEST_TIMEOUT_MS };
const TICK_MS = 50;
const EVENT_MS = 200; // a BaseEvent every 4 ticks: "Tick <counter>", counter a multiple of 4

export function eventFailoverScenarios(MODES: readonly ("hot" | "warm" | "cold")[]): void {
  let rig: GatewayRig;
  const viaGateway: EventClient[] = [];
  const secondaries: EventClient[] = [];

  before(async () => {
    rig = await startGatewayRig({
      pairs: MODES.map((mode) => ({ mode })),
      tickMs: TICK_MS,
      simulator: { eventMs: EVENT_MS, alarmCycleMs: 4000 },
    });
    for (const [i] of MODES.entries()) {
      const client = await connectEventClient(rig.endpoints[i]!);
      await client.monitor("i=2253", { name: "server" });
      viaGateway.push(client);
      const secondary = await connectEventClient(rig.sims[2 * i + 1]!.endpointUrl);
      await secondary.monitor("i=2253", { name: "server" });
      // the secondary's conditions as they are now: a condition that does not change before the
      // failover is replayed with the EventId it was raised with before this client subscribed
      assert.equal((await secondary.conditionRefresh()).name, "Good");
      secondaries.push(secondary);
    }
    // every pair's alarm is active once (nobody acknowledges: it stays retained)
    await Promise.all(
      viaGateway.map((c) =>
        c.waitForEvents((events) => events.some((e) => e.active === true), 20_000, "an active alarm"),
      ),
    );
  });

  after(async () => {
    await Promise.all([...viaGateway, ...secondaries].map((c) => c.close()));
    await rig?.dispose();
  });

  /**
   * Tick numbers of the BaseEvents, in arrival order (a refresh replays conditions only: the
   * BaseEvents inside a failover's refresh bracket are live ones, Part 9 §5.5.7 lets them come).
   */
  function ticks(events: readonly ReceivedEvent[]): number[] {
    return events
      .filter((e) => e.eventType === BASE_EVENT)
      .map((e) => Number(/^Tick (\d+)$/.exec(e.message ?? "")?.[1]));
  }

  test(
    "SIGKILL of every primary: events go on, the new server's alarms are refreshed in",
    options,
    async () => {
      await viaGateway[0]!.waitForEvents(
        (events) => events.filter((e) => e.eventType === BASE_EVENT).length >= 5,
        10_000,
        "hot: BaseEvents before the failover",
      );
      const marks = viaGateway.map((c) => c.events.length);
      const killedAt = Date.now();
      await Promise.all(MODES.map((_, i) => rig.sims[2 * i]!.kill()));
      const refreshedAt: number[] = [];
      await Promise.all(
        viaGateway.map(async (client, i) => {
          await client.waitForEvents(
            (events) => events.slice(marks[i]).some((e) => e.eventType === REFRESH_END),
            30_000,
            `${MODES[i]}: RefreshEnd after the failover`,
          );
          refreshedAt[i] = client.events.slice(marks[i]).find((e) => e.eventType === REFRESH_END)!.receivedAt;
          // and live events from the new server after it
          await client.waitForEvents(
            (events) =>
              events.filter((e) => e.eventType === BASE_EVENT && e.receivedAt > refreshedAt[i]!).length >= 5,
            10_000,
            `${MODES[i]}: live events after the refresh`,
          );
        }),
      );
      for (const [i, mode] of MODES.entries()) {
        const client = viaGateway[i]!;
        const after = client.events.slice(marks[i]);
        const refreshed = refreshedConditions(
          after.slice(0, after.findIndex((e) => e.eventType === REFRESH_END) + 1),
        );
        assert.ok(refreshed, `${mode}: RefreshStart … RefreshEnd`);
        // the retained alarm (events the new server raised meanwhile may come between, Part 9 §5.5.7)
        assert.ok(
          refreshed.some((e) => e.conditionId !== null),
          `${mode}: the retained alarm`,
        );
        const secondaryIds = new Set(secondaries[i]!.events.map((e) => e.eventId));
        for (const e of refreshed.filter((e) => e.conditionId !== null)) {
          assert.equal(e.conditionId, "ns=1;s=Tank.LevelAlarm");
          const brief = (x: ReceivedEvent) =>
            `${x.eventId} ${x.time === null ? "-" : new Date(x.time).toISOString()} ${x.message} retain=${x.retain} active=${x.active} at ${new Date(x.receivedAt).toISOString()}`;
          assert.ok(
            secondaryIds.has(e.eventId),
            `${mode}: the refreshed alarm is the new server's (its EventId): refreshed ${brief(e)}; ` +
              `the secondary's last conditions directly: ${secondaries[i]!.events.filter(
                (x) => x.conditionId !== null,
              )
                .slice(-4)
                .map(brief)
                .join(" | ")}; killed at ${new Date(killedAt).toISOString()}`,
          );
        }
        const seconds = ((refreshedAt[i]! - killedAt) / 1000).toFixed(2);
        process.stdout.write(`# ${mode}: SIGKILL to refreshed alarm list downstream: ${seconds} s\n`);
      }
      // hot: the BaseEvents downstream step by 4 ticks across the failover: none lost, none repeated
      const hotIndex = MODES.indexOf("hot");
      if (hotIndex < 0) return;
      const hot = ticks(viaGateway[hotIndex]!.events);
      const steps = hot.slice(1).map((n, i) => n - hot[i]!);
      const lost = steps.filter((s) => s > 4).reduce((sum, s) => sum + s / 4 - 1, 0);
      const repeated = steps.filter((s) => s <= 0).length;
      process.stdout.write(`# hot: ${hot.length} BaseEvents, lost ${lost}, repeated ${repeated}\n`);
      assert.ok(
        ticks(viaGateway[hotIndex]!.events.slice(0, marks[hotIndex])).length >= 5,
        "events before the failover",
      );
      assert.deepEqual(
        { lost, repeated },
        { lost: 0, repeated: 0 },
        `hot ticks ${JSON.stringify(hot.slice(-40))}`,
      );
    },
  );

  if (MODES[0] === "hot")
    test(
      "every server lost: the gateway's event on the Server object, a refresh once a server returns",
      options,
      async () => {
        const client = viaGateway[0]!;
        const mark = client.events.length;
        await rig.sims[1]!.kill(); // the hot pair's secondary: its primary was killed above
        await client.waitForEvents(
          (events) => events.slice(mark).some((e) => /every server lost/.test(e.message ?? "")),
          20_000,
          "the gateway's all-servers-lost event",
        );
        const lost = client.events.slice(mark).find((e) => /every server lost/.test(e.message ?? ""))!;
        assert.equal(lost.sourceName, "pair1", "names the pair");
        assert.equal(lost.severity, 900);
        assert.match(lost.eventType ?? "", /^ns=[1-9]\d*;i=\d+$/, "a type of the gateway's namespace");
        assert.match(lost.message ?? "", /pair pair1: every server lost: commLost/);
        const back = client.events.length;
        await rig.sims[0]!.restart();
        await client.waitForEvents(
          (events) => events.slice(back).some((e) => e.eventType === REFRESH_END),
          30_000,
          "a refresh from the server that returned",
        );
        const refreshed = refreshedConditions(client.events.slice(back)) ?? [];
        const primaryIds = new Set<string | null>();
        for (const e of refreshed.filter((x) => x.conditionId !== null)) primaryIds.add(e.eventId);
        assert.ok(primaryIds.size >= 1, "the returned server's retained alarm");
        assert.ok(
          client.events.slice(back).some((e) => /serves again/.test(e.message ?? "")),
          "the gateway's recovered event",
        );
      },
    );
}
