/**
 * A redundant pair for integration tests: simulator processes (shared clock), a fault proxy in front
 * of each, and a RedundantClient connected through the proxies, with the Counter recorded.
 */
import { RedundantClient } from "../../src/client/redundant-client.ts";
import type { FailoverEvent } from "../../src/client/types.ts";
import type { PairConfigInput } from "../../src/config/schema.ts";
import { createLogger } from "../../src/log.ts";
import type { Mode } from "../../src/redundancy/types.ts";
import { routeNodeOpcuaLogs } from "../../src/upstream/opcua-logs.ts";
import { CounterRecorder } from "./counter-recorder.ts";
import { type FaultProxy, startFaultProxy } from "./fault-proxy.ts";
import { disposeChecked } from "./illegal-transitions.ts";
import { type SimProcess, type SpawnSimulatorOptions, spawnSimulator } from "./sim-process.ts";
import { waitFor } from "./wait.ts";

export interface RigOptions {
  mode: Mode;
  servers?: number;
  tickMs?: number;
  shutdownDelayMs?: number;
  pair?: Partial<PairConfigInput>;
  /** RedundantClient's requestTimeoutMs (default 5000). */
  requestTimeoutMs?: number;
  /** Options of simulator `i` (e.g. its clock). */
  simulatorFor?: (i: number) => Partial<SpawnSimulatorOptions>;
}

export interface Rig {
  sims: SimProcess[];
  proxies: FaultProxy[];
  client: RedundantClient;
  counter: CounterRecorder;
  failovers: FailoverEvent[];
  dispose(): Promise<void>;
}

/** Timings for tests: quick detection, still generous for a loaded 2-core machine. */
export const testStatusQuery = { intervalMs: 250, timeoutMs: 1000 } as const;

export async function startRig(options: RigOptions): Promise<Rig> {
  const count = options.servers ?? 2;
  const sims: SimProcess[] = [];
  const proxies: FaultProxy[] = [];
  let client: RedundantClient | undefined;
  const dispose = async () => {
    await client?.stop();
    for (const sim of sims) sim.thaw();
    await Promise.all([...sims.map((s) => s.dispose()), ...proxies.map((p) => p.close())]);
  };
  try {
    const started = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        spawnSimulator({
          tickMs: options.tickMs ?? 20,
          sharedClock: true,
          shutdownDelayMs: options.shutdownDelayMs,
          ...options.simulatorFor?.(i),
        }),
      ),
    );
    sims.push(...started);
    proxies.push(...(await Promise.all(sims.map((s) => startFaultProxy({ port: s.port })))));
    const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
    routeNodeOpcuaLogs(logger);
    client = new RedundantClient(
      {
        name: "test",
        mode: options.mode,
        servers: proxies.map((p) => ({ url: p.url })),
        statusQuery: testStatusQuery,
        failback: { policy: "auto", holdMs: 1000 },
        minDwellMs: 500,
        ...options.pair,
      },
      { logger, requestTimeoutMs: options.requestTimeoutMs },
    );
    const failovers: FailoverEvent[] = [];
    client.on("failover", (e) => failovers.push(e));
    const counter = new CounterRecorder();
    await client.start();
    const pair = client;
    // Every test starts with all servers connected and the primary active. On a loaded machine the
    // secondary may answer first; with manual failback an operator switch brings the primary back.
    await waitFor(
      // cold mode connects the active server only: links that are "off" are not waited for
      () => pair.status().servers.every((s) => s.role === "off" || s.state === "connected"),
      30_000,
      "every server connected",
    );
    if (pair.status().activeIndex !== 0 && pair.config.failback.policy === "manual") pair.failover(0);
    await waitFor(() => pair.status().activeIndex === 0, 30_000, "the primary to be active");
    failovers.length = 0;
    client.monitor("ns=1;s=Counter", {}, counter.onValue);
    return { sims, proxies, client, counter, failovers, dispose: disposeChecked(dispose) };
  } catch (error) {
    await dispose();
    throw error;
  }
}
