/**
 * Failover through the gateway: a fault of the primary as a downstream client of the gateway sees
 * it (Counter subscribed through the gateway's endpoint, shared-clock simulators), one repetition
 * on a fresh rig.
 */
import { rm } from "node:fs/promises";
import type { FailoverEvent } from "../../src/client/types.ts";
import type { Mode } from "../../src/redundancy/types.ts";
import {
  connectDownstream,
  type Downstream,
  type GatewayRig,
  startGatewayRig,
} from "../../test/helpers/gateway-rig.ts";
import { waitFor, withTimeout } from "../../test/helpers/wait.ts";
import { captureNodeOpcuaLogs, message, round } from "./gateway-common.ts";
import type { GatewayFault } from "./gateway-faults.ts";
import { FAILOVER_TIMEOUT_MS, sequenceOf, settleValues, VALUES_AFTER } from "./measure.ts";

/** The gateway rig's simulators tick every 20 ms unless told otherwise. */
export const RIG_TICK_MS = 20;

export interface GatewayFailoverRep {
  mode: Mode;
  /** GatewayFault.name */
  fault: string;
  rep: number;
  tickMs: number;
  ok: boolean;
  error?: string;
  /** The fault caused no failover within FAILOVER_TIMEOUT_MS. */
  noFailover?: boolean;
  /** Simulators, proxies and gateway started, mirrored, downstream client subscribed, first value. */
  setupMs?: number;
  faultAt?: string;
  /** Where the fault time comes from: the call of inject(), or the simulator's log of the write. */
  faultTimeSource?: string;
  /** Fault → the gateway pair's failover event. */
  detectMs?: number;
  /** Fault → first Counter value received downstream at or after the failover event. */
  firstValueMs?: number;
  /** Longest time without a good value downstream, from the last value before the fault on. */
  longestSilenceMs?: number;
  lost?: number;
  duplicates?: number;
  regressions?: number;
  gaps?: { after: number; next: number; atIndex: number }[];
  badValues?: number;
  valuesJudged?: number;
  failover?: { reason: string; detail: string; toIndex: number; outageMs: number };
  failoversBeforeFault?: number;
}

/** Injects the fault; returns the fault time (ms since epoch). */
async function inject(rig: GatewayRig, fault: GatewayFault, result: GatewayFailoverRep): Promise<number> {
  const primary = rig.sims[0]!;
  const writesBefore = primary.writes.length;
  const called = Date.now();
  await fault.inject(rig);
  const written = fault.writes
    ? await waitFor(() => primary.writes[writesBefore], 2000, "the write in the simulator's log").catch(
        () => undefined,
      )
    : undefined;
  result.faultTimeSource = written ? `simulator write log (${written.nodeId})` : "inject() called";
  return written ? Date.parse(written.time) : called;
}

export async function runGatewayFailoverRep(
  mode: Mode,
  fault: GatewayFault,
  rep: number,
  tickMs = RIG_TICK_MS,
): Promise<GatewayFailoverRep> {
  const result: GatewayFailoverRep = { mode, fault: fault.name, rep, tickMs, ok: false };
  const began = Date.now();
  let rig: GatewayRig | undefined;
  let downstream: Downstream | undefined;
  try {
    rig = await startGatewayRig({
      pairs: [{ mode, ...(fault.pairExtra ? { extra: fault.pairExtra } : {}) }],
      tickMs,
    });
    captureNodeOpcuaLogs(); // the rig routes node-opcua's logs to its (silent) logger
    const pair = rig.gateway.pairs[0]!;
    const failovers: FailoverEvent[] = [];
    pair.client.on("failover", (e) => failovers.push(e));
    downstream = await connectDownstream(rig.endpoints[0]!);
    const counter = await downstream.record("ns=1;s=Counter");
    await counter.waitForMore(1, 10_000, "the first value through the gateway");
    result.setupMs = Date.now() - began;
    await waitFor(
      () => {
        const status = pair.status();
        if (status.activeIndex !== 0) return false;
        return mode === "cold" || status.servers.every((s) => s.state === "connected");
      },
      10_000,
      mode === "cold" ? "the primary active" : "the primary active and the standby connected",
    );
    await counter.waitForMore(settleValues(tickMs), 10_000, "steady values through the gateway");

    const fromIndex = counter.count;
    const failoversBefore = failovers.length;
    result.failoversBeforeFault = failoversBefore;
    const faultAt = await inject(rig, fault, result);
    result.faultAt = new Date(faultAt).toISOString();

    let failover: FailoverEvent;
    try {
      failover = await waitFor(() => failovers[failoversBefore], FAILOVER_TIMEOUT_MS, "the failover event");
    } catch {
      result.noFailover = true;
      result.error = `no failover within ${FAILOVER_TIMEOUT_MS} ms (state ${pair.status().state})`;
      Object.assign(result, sequenceOf(counter, fromIndex, faultAt));
      return result;
    }
    const failoverAt = failover.at.getTime();
    result.detectMs = failoverAt - faultAt;
    result.failover = {
      reason: failover.reason,
      detail: failover.detail,
      toIndex: failover.toIndex,
      outageMs: failover.durationMs,
    };
    try {
      const first = await counter.firstAfter(failoverAt, 10_000);
      result.firstValueMs = first.receivedAt - faultAt;
    } catch (error) {
      result.error = `no value after the failover: ${message(error)}`;
      Object.assign(result, sequenceOf(counter, fromIndex, faultAt));
      return result;
    }
    await counter.waitForMore(VALUES_AFTER, 10_000, "values after the failover");
    Object.assign(result, sequenceOf(counter, fromIndex, faultAt));
    const values = counter.values.slice(Math.max(0, fromIndex - 1));
    let silence = 0;
    for (let i = 1; i < values.length; i++) {
      silence = Math.max(silence, values[i]!.receivedAt - values[i - 1]!.receivedAt);
    }
    result.longestSilenceMs = round(silence);
    result.ok = true;
    return result;
  } catch (error) {
    result.error ??= message(error);
    return result;
  } finally {
    if (downstream)
      await withTimeout(downstream.close(), 10_000, "the downstream client to close").catch(() => {});
    await rig?.dispose().catch((error: unknown) => {
      result.error = `${result.error ? `${result.error}; ` : ""}dispose failed: ${message(error)}`;
    });
    if (rig) await rm(rig.dataDir, { recursive: true, force: true }).catch(() => {});
  }
}
