/**
 * One repetition of a failover measurement on the project's test rig: fresh pair, fault of the
 * primary, then what a downstream consumer of RedundantClient sees.
 */
import { DEFAULTS } from "../../src/config/defaults.ts";
import type { Mode } from "../../src/redundancy/types.ts";
import type { CounterRecorder } from "../../test/helpers/counter-recorder.ts";
import type { Fault } from "../../test/helpers/faults.ts";
import { type Rig, startRig } from "../../test/helpers/pair-rig.ts";
import { waitFor } from "../../test/helpers/wait.ts";

/** The subscription settings the product uses by default (the baseline client gets the same). */
export const DEFAULT_SUBSCRIPTION = DEFAULTS.subscription;
/** A repetition whose failover does not come within this long has failed. */
export const FAILOVER_TIMEOUT_MS = 20_000;
/** Values awaited after the first post-failover value before the sequence is judged. */
export const VALUES_AFTER = 25;
/** Same as the failover tests: ServerState Shutdown is announced this long before the server closes. */
export const SHUTDOWN_DELAY_MS = 3000;
/**
 * Faults whose inject() writes to the primary over a fresh OPC UA session (connect, write, close):
 * their fault time is the moment the simulator logged the write. For the others (signals, proxy
 * switches) the fault takes effect when inject() is called.
 */
const FAULTS_THAT_WRITE = new Set(["ServiceLevel 150", "ServerState Suspended"]);

export interface RepResult {
  mode: Mode | "baseline";
  fault: string;
  rep: number;
  /** Every stage completed: failover, first value, sequence report. */
  ok: boolean;
  error?: string;
  /** Wall clock of the fault. */
  faultAt?: string;
  /** Spawning the simulators, proxies and client, until the first value. */
  setupMs?: number;
  /** How long inject() took. */
  injectMs?: number;
  /** Where the fault time comes from: the call of inject(), or the simulator's log of the write. */
  faultTimeSource?: string;
  /** Fault → failover event (baseline: → the plain client's connection_lost event). */
  detectMs?: number;
  /** Fault → first Counter value delivered after the failover (baseline: after the restart). */
  firstValueMs?: number;
  lost?: number;
  duplicates?: number;
  regressions?: number;
  gaps?: { after: number; next: number; atIndex: number }[];
  /** Bad-status notifications (e.g. BadNoCommunication) delivered after the fault. */
  badValues?: number;
  /** Good values delivered from the last one before the fault to the end of the repetition. */
  valuesJudged?: number;
  failover?: { reason: string; detail: string; toIndex: number; outageMs: number };
  /** Failover events before the fault (should be none). */
  failoversBeforeFault?: number;
  /** Other timings, ms after the fault (baseline: the plain client's events). */
  events: Record<string, number>;
}

/** Good values to see before the fault: one second of steady flow. */
export function settleValues(tickMs: number): number {
  return Math.max(10, Math.ceil(1000 / tickMs));
}

/** The sequence report from the last value delivered before the fault (a gap at the boundary counts). */
export function sequenceOf(
  counter: CounterRecorder,
  fromIndex: number,
  faultAt: number,
): Pick<RepResult, "lost" | "duplicates" | "regressions" | "gaps" | "badValues" | "valuesJudged"> {
  const report = counter.report(Math.max(0, fromIndex - 1));
  return {
    lost: report.lost,
    duplicates: report.duplicates,
    regressions: report.regressions,
    gaps: report.gaps,
    badValues: counter.bad.filter((b) => b.receivedAt >= faultAt).length,
    valuesJudged: report.count,
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Waits until the pair is fully up: primary active, standby connected (warm, hot), steady values. */
async function settle(rig: Rig, mode: Mode, tickMs: number): Promise<void> {
  await waitFor(
    () => {
      const status = rig.client.status();
      if (status.activeIndex !== 0) return false;
      return mode === "cold" || status.servers.every((s) => s.state === "connected");
    },
    10_000,
    mode === "cold" ? "the primary active" : "the primary active and the standby connected",
  );
  await rig.counter.waitForMore(settleValues(tickMs), 10_000, "steady values from the primary");
}

export async function runFailoverRep(
  mode: Mode,
  fault: Fault,
  rep: number,
  tickMs: number,
): Promise<RepResult> {
  const result: RepResult = { mode, fault: fault.name, rep, ok: false, events: {} };
  const began = Date.now();
  let rig: Rig | undefined;
  try {
    rig = await startRig({ mode, tickMs, shutdownDelayMs: SHUTDOWN_DELAY_MS });
    await rig.counter.waitForMore(1, 10_000, "the first value");
    result.setupMs = Date.now() - began;
    await settle(rig, mode, tickMs);

    const fromIndex = rig.counter.count;
    const failoversBefore = rig.failovers.length;
    result.failoversBeforeFault = failoversBefore;
    const primary = rig.sims[0]!;
    const writesBefore = primary.writes.length;
    const injectStart = Date.now();
    await fault.inject(rig);
    result.injectMs = Date.now() - injectStart;
    const written =
      primary.writes[writesBefore] ??
      (FAULTS_THAT_WRITE.has(fault.name)
        ? await waitFor(() => primary.writes[writesBefore], 2000, "the write in the simulator's log").catch(
            () => undefined,
          )
        : undefined);
    const faultAt = written ? Date.parse(written.time) : injectStart;
    result.faultTimeSource = written ? `simulator write log (${written.nodeId})` : "inject() called";
    result.faultAt = new Date(faultAt).toISOString();

    const counter = rig.counter;
    const failovers = rig.failovers;
    let failover: (typeof failovers)[number];
    try {
      failover = await waitFor(() => failovers[failoversBefore], FAILOVER_TIMEOUT_MS, "the failover event");
    } catch {
      result.error = `no failover within ${FAILOVER_TIMEOUT_MS} ms (state ${rig.client.state})`;
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
    const later = failovers.slice(failoversBefore + 1);
    if (later.length > 0) result.events.laterFailoversMs = later[0]!.at.getTime() - faultAt;
    result.ok = true;
    return result;
  } catch (error) {
    result.error ??= message(error);
    return result;
  } finally {
    await rig?.dispose().catch((error: unknown) => {
      result.error = `${result.error ? `${result.error}; ` : ""}dispose failed: ${message(error)}`;
    });
  }
}
