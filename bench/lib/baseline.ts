/**
 * The baseline a user has without this product: a plain node-opcua OPCUAClient (default options)
 * subscribed to Counter on a single simulator that is SIGKILLed and restarted after 1 s.
 */
import {
  AttributeIds,
  ClientMonitoredItem,
  ClientSubscription,
  type DataValue,
  OPCUAClient,
  TimestampsToReturn,
} from "node-opcua";
import { CounterRecorder } from "../../test/helpers/counter-recorder.ts";
import { spawnSimulator } from "../../test/helpers/sim-process.ts";
import { delay, withTimeout } from "../../test/helpers/wait.ts";
import { DEFAULT_SUBSCRIPTION, type RepResult, sequenceOf, settleValues, VALUES_AFTER } from "./measure.ts";

export const BASELINE_FAULT = "SIGKILL, restart after 1 s";
const DOWN_MS = 1000;
/** The plain client reconnects with node-opcua's back-off: allow far more than the product's 20 s. */
export const BASELINE_TIMEOUT_MS = 60_000;

export async function runBaselineRep(rep: number, tickMs: number): Promise<RepResult> {
  const result: RepResult = { mode: "baseline", fault: BASELINE_FAULT, rep, ok: false, events: {} };
  const began = Date.now();
  const sim = await spawnSimulator({ tickMs, sharedClock: true });
  const client = OPCUAClient.create({});
  const counter = new CounterRecorder();
  const events: Record<string, number> = {};
  for (const name of [
    "connection_lost",
    "start_reconnection",
    "connection_reestablished",
    "after_reconnection",
  ]) {
    client.on(name as "connection_lost", () => {
      events[name] ??= Date.now();
    });
  }
  try {
    await client.connect(sim.endpointUrl);
    const session = await client.createSession();
    session.on("session_restored", () => {
      events.session_restored ??= Date.now();
    });
    const subscription = ClientSubscription.create(session, {
      requestedPublishingInterval: DEFAULT_SUBSCRIPTION.publishingIntervalMs,
      requestedMaxKeepAliveCount: DEFAULT_SUBSCRIPTION.keepAliveCount,
      requestedLifetimeCount: DEFAULT_SUBSCRIPTION.lifetimeCount,
      publishingEnabled: true,
    });
    const item = ClientMonitoredItem.create(
      subscription,
      { nodeId: "ns=1;s=Counter", attributeId: AttributeIds.Value },
      {
        samplingInterval: DEFAULT_SUBSCRIPTION.samplingIntervalMs,
        queueSize: DEFAULT_SUBSCRIPTION.queueSize,
        discardOldest: true,
      },
      TimestampsToReturn.Both,
    );
    item.on("changed", (dv: DataValue) => counter.onValue(dv));
    result.setupMs = Date.now() - began;
    await counter.waitForMore(settleValues(tickMs), 10_000, "values before the kill");

    const fromIndex = counter.count;
    const faultAt = Date.now();
    result.faultAt = new Date(faultAt).toISOString();
    result.faultTimeSource = "kill() called";
    await sim.kill();
    result.injectMs = Date.now() - faultAt;
    await delay(DOWN_MS);
    await sim.restart();
    const restartedAt = Date.now();
    events.restarted = restartedAt;
    try {
      const first = await counter.firstAfter(restartedAt, BASELINE_TIMEOUT_MS);
      result.firstValueMs = first.receivedAt - faultAt;
    } catch {
      result.error = `no value within ${BASELINE_TIMEOUT_MS} ms after the restart`;
      return result;
    } finally {
      if (events.connection_lost !== undefined) result.detectMs = events.connection_lost - faultAt;
      for (const [name, at] of Object.entries(events)) result.events[`${name}Ms`] = at - faultAt;
    }
    await counter.waitForMore(VALUES_AFTER, 10_000, "values after the restart");
    Object.assign(result, sequenceOf(counter, fromIndex, faultAt));
    result.ok = true;
    return result;
  } catch (error) {
    result.error ??= error instanceof Error ? error.message : String(error);
    return result;
  } finally {
    await withTimeout(client.disconnect(), 5000, "the plain client to disconnect").catch(() => {});
    await sim.dispose();
  }
}
