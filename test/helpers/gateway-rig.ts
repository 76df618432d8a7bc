/**
 * A gateway for integration tests: simulator processes (shared clock) behind fault proxies, the
 * Gateway in this process serving them, and a real node-opcua client downstream.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AttributeIds,
  type ClientSession,
  type ClientSubscription,
  type DataValue,
  OPCUAClient,
  TimestampsToReturn,
} from "node-opcua";
import { parseGatewayConfig } from "../../src/config/load.ts";
import type { GatewayConfigInput, PairConfigInput } from "../../src/config/schema.ts";

type ServerConfigInput = PairConfigInput["servers"][number];

import { Gateway } from "../../src/gateway/gateway.ts";
import { createLogger, type Logger } from "../../src/log.ts";
import { routeNodeOpcuaLogs } from "../../src/upstream/opcua-logs.ts";
import { CounterRecorder } from "./counter-recorder.ts";
import { CounterTally } from "./counter-tally.ts";
import { type FaultProxy, startFaultProxy } from "./fault-proxy.ts";
import { disposeChecked } from "./illegal-transitions.ts";
import { testStatusQuery } from "./pair-rig.ts";
import { freePort } from "./ports.ts";
import { type SimProcess, type SpawnSimulatorOptions, spawnSimulator } from "./sim-process.ts";
import { waitFor } from "./wait.ts";

export interface Downstream {
  client: OPCUAClient;
  session: ClientSession;
  subscription: ClientSubscription;
  /** Monitors `nodeId` (samplingInterval 0) into a new recorder. */
  record(nodeId: string): Promise<CounterRecorder>;
  /** The same monitor into a CounterTally: counts and a bounded anomaly list, not every value. */
  tally(nodeId: string): Promise<CounterTally>;
  close(): Promise<void>;
}

async function monitorInto<T extends { onValue: (dv: DataValue) => void }>(
  subscription: ClientSubscription,
  nodeId: string,
  recorder: T,
): Promise<T> {
  const item = await subscription.monitor(
    { nodeId, attributeId: AttributeIds.Value },
    { samplingInterval: 0, queueSize: 1000, discardOldest: true },
    TimestampsToReturn.Both,
  );
  item.on("changed", recorder.onValue);
  return recorder;
}

export async function connectDownstream(endpointUrl: string): Promise<Downstream> {
  const client = OPCUAClient.create({
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 3, initialDelay: 100 },
  });
  await client.connect(endpointUrl);
  const session = await client.createSession();
  const subscription = await session.createSubscription2({
    requestedPublishingInterval: 50,
    requestedMaxKeepAliveCount: 20,
    requestedLifetimeCount: 600,
    publishingEnabled: true,
  });
  return {
    client,
    session,
    subscription,
    async record(nodeId) {
      return monitorInto(subscription, nodeId, new CounterRecorder());
    },
    async tally(nodeId) {
      return monitorInto(subscription, nodeId, new CounterTally());
    },
    async close() {
      await session.close().catch(() => undefined);
      await client.disconnect();
    },
  };
}

export interface GatewayRig {
  sims: SimProcess[];
  proxies: FaultProxy[];
  gateway: Gateway;
  endpoints: string[];
  dataDir: string;
  dispose(): Promise<void>;
}

export interface GatewayRigOptions {
  /** One entry per pair: its mode and extra settings; each pair gets two simulators. */
  pairs: { mode: "cold" | "warm" | "hot"; extra?: Partial<PairConfigInput> }[];
  tickMs?: number;
  dataDir?: string;
  /** false: do not wait for the primary, only for an active server (manual failback may stay on the secondary). */
  awaitPrimary?: boolean;
  /** false: do not wait for the address space to be mirrored (a test of the crawl itself). */
  awaitMirrored?: boolean;
  /** Serve the HTTP side on a free port; an object adds settings such as `auth`. */
  http?: boolean | Record<string, unknown>;
  /** Top-level settings besides pairs and http (diagnostics, notifications, ...). */
  config?: Omit<GatewayConfigInput, "pairs" | "http">;
  /**
   * The gateway's PKI folder. Default: one cached folder under the OS temp folder, so that only
   * the first test pays for key generation (tests of the PKI itself pass a fresh folder).
   */
  pkiDir?: string;
  /** Extra simulator options (security, user). */
  simulator?: Pick<
    SpawnSimulatorOptions,
    "secure" | "user" | "eventMs" | "alarmCycleMs" | "bulk" | "maxNodesPerRequest" | "keepWrites"
  >;
  /** Start the simulators one after the other (many of them on a loaded machine). */
  oneByOne?: boolean;
  /** Options of simulator `i` (pair i / 2, primary when i is even), e.g. its clock. */
  simulatorFor?: (i: number) => Partial<SpawnSimulatorOptions>;
  /** Extra settings for every upstream server entry (security, user). */
  server?: Omit<ServerConfigInput, "url">;
  /** Where the log goes (default: silent, or TEST_LOG_LEVEL to stdout). */
  logger?: Logger;
  /** Per server of each pair (primary, secondary): the simulator's --namespace-order. */
  namespaceOrders?: ("normal" | "reversed")[];
}

/** Test pairs accept SecurityPolicy None and anonymous users unless a test sets `security`. */
export const openSecurity = { allowNone: true, anonymous: true } as const;
export const rigPkiDir = join(tmpdir(), "opcua-redundancy-test-gateway-pki");

export async function startGatewayRig(options: GatewayRigOptions): Promise<GatewayRig> {
  const sims: SimProcess[] = [];
  const proxies: FaultProxy[] = [];
  let gateway: Gateway | undefined;
  const dispose = async () => {
    await gateway?.stop();
    for (const sim of sims) sim.thaw();
    await Promise.all([...sims.map((s) => s.dispose()), ...proxies.map((p) => p.close())]);
  };
  try {
    const count = options.pairs.length * 2;
    const spawn = (i: number) =>
      spawnSimulator({
        tickMs: options.tickMs ?? 20,
        sharedClock: true,
        ...options.simulator,
        namespaceOrder: options.namespaceOrders?.[i % 2],
        ...options.simulatorFor?.(i),
      });
    if (options.oneByOne) for (let i = 0; i < count; i++) sims.push(await spawn(i));
    else sims.push(...(await Promise.all(Array.from({ length: count }, (_, i) => spawn(i)))));
    proxies.push(...(await Promise.all(sims.map((s) => startFaultProxy({ port: s.port })))));
    const pairs = [];
    for (const [i, pair] of options.pairs.entries()) {
      pairs.push({
        name: `pair${i + 1}`,
        listen: { port: await freePort(), host: "127.0.0.1" },
        mode: pair.mode,
        servers: [
          { url: proxies[2 * i]!.url, ...options.server },
          { url: proxies[2 * i + 1]!.url, ...options.server },
        ],
        statusQuery: testStatusQuery,
        failback: { policy: "auto", holdMs: 1000 },
        minDwellMs: 500,
        security: openSecurity,
        ...pair.extra,
      });
    }
    const config = parseGatewayConfig({
      ...options.config,
      pairs,
      ...(options.http
        ? {
            http: {
              port: await freePort(),
              host: "127.0.0.1",
              ...(options.http === true ? {} : options.http),
            },
          }
        : {}),
    });
    const logger = options.logger ?? createLogger({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
    routeNodeOpcuaLogs(logger);
    const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "gateway-test-")));
    gateway = new Gateway({ config, logger, dataDir, pkiDir: options.pkiDir ?? rigPkiDir });
    await gateway.start();
    const started = gateway;
    // Tests start from the primary, with the address space mirrored.
    await waitFor(
      () =>
        started.pairs.every(
          (p) =>
            (options.awaitPrimary === false ? p.status().active !== null : p.status().activeIndex === 0) &&
            (options.awaitMirrored === false || p.mirrored),
        ),
      30_000,
      options.awaitMirrored === false
        ? "every pair active on its primary"
        : "every pair active on its primary and mirrored",
    );
    return {
      sims,
      proxies,
      gateway,
      endpoints: gateway.pairs.map((p) => p.endpointUrl),
      dataDir,
      dispose: disposeChecked(dispose),
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
