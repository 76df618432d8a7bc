/**
 * Events through the gateway vs directly, one short run (README "Events and alarms"):
 *
 *   node --import tsx bench/events.ts [--clients N] [--window-ms MS] [--event-ms MS]
 *
 * A hot pair of shared-clock simulators raising a BaseEvent every `event-ms` (and the tank's
 * alarm); N downstream clients follow the Server object's events through the gateway and N
 * directly on the primary, over the same window. Prints events/s on each side, their ratio and
 * the median delay from the event's Time to its arrival.
 */
import { parseArgs } from "node:util";
import { BASE_EVENT, connectEventClient, type EventClient } from "../test/helpers/event-client.ts";
import { startGatewayRig } from "../test/helpers/gateway-rig.ts";
import { delay } from "../test/helpers/wait.ts";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "5" },
    "window-ms": { type: "string", default: "10000" },
    "event-ms": { type: "string", default: "10" },
  },
});
const clients = Number(values.clients);
const windowMs = Number(values["window-ms"]);
const eventMs = Number(values["event-ms"]);

const rig = await startGatewayRig({
  pairs: [{ mode: "hot" }],
  tickMs: 10,
  simulator: { eventMs, alarmCycleMs: 2000 },
});
const gateway: EventClient[] = [];
const direct: EventClient[] = [];
try {
  for (let i = 0; i < clients; i++) {
    gateway.push(await connectEventClient(rig.endpoints[0]!));
    direct.push(await connectEventClient(rig.sims[0]!.endpointUrl));
  }
  await Promise.all([...gateway, ...direct].map((c) => c.monitor("i=2253")));
  await delay(2000); // warm-up
  const from = Date.now();
  await delay(windowMs);
  const to = Date.now();
  const measure = (side: EventClient[]) => {
    const inWindow = side.flatMap((c) =>
      c.events.filter((e) => e.time !== null && e.time >= from && e.time < to),
    );
    const delays = inWindow.filter((e) => e.eventType === BASE_EVENT).map((e) => e.receivedAt - e.time!);
    delays.sort((a, b) => a - b);
    return {
      perSecond: (inWindow.length / (to - from)) * 1000,
      medianDelayMs: delays[Math.floor(delays.length / 2)] ?? NaN,
    };
  };
  const g = measure(gateway);
  const d = measure(direct);
  const row = (name: string, m: { perSecond: number; medianDelayMs: number }) =>
    `| ${name} | ${m.perSecond.toFixed(0)} | ${m.medianDelayMs.toFixed(0)} |`;
  process.stdout.write(
    [
      `${clients} clients each side, ${windowMs} ms window, a BaseEvent every ${eventMs} ms per server`,
      "| path | events/s (all clients) | median Time→arrival (ms) |",
      "|---|---|---|",
      row("direct", d),
      row("through the gateway", g),
      `ratio gateway/direct: ${(g.perSecond / d.perSecond).toFixed(3)}`,
      "",
    ].join("\n"),
  );
} finally {
  await Promise.all([...gateway, ...direct].map((c) => c.close()));
  await rig.dispose();
}
