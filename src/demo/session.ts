/**
 * The running demo: two simulators, the gateway serving them as one OPC UA server (with its HTTP
 * status server), the demo's own downstream OPC UA client on the gateway endpoint, status lines,
 * event lines, keys or the scripted tour. Loaded after the banner is printed (node-opcua takes
 * seconds to load).
 */
import type { ReadStream } from "node:tty";
import type { DataValue } from "node-opcua";
import { parseGatewayConfig } from "../config/load.ts";
import type { GatewayConfig } from "../config/schema.ts";
import { Gateway } from "../gateway/gateway.ts";
import type { PairEngine } from "../gateway/pair-engine.ts";
import { createLogger } from "../log.ts";
import { routeNodeOpcuaLogs } from "../upstream/opcua-logs.ts";
import { attachKeys, type DemoActions, startAutoTour } from "./controls.ts";
import { CounterStats } from "./counter-stats.ts";
import { COUNTER_NODE, DownstreamClient } from "./downstream.ts";
import {
  DEMO_TOKEN,
  type DemoOptions,
  downstreamEndpoint,
  gatewayEndpoint,
  HTTP_HOST,
  statusUrl,
} from "./options.ts";
import { KEYS_HELP, type Printer } from "./output.ts";
import { DemoServers } from "./servers.ts";

const STATUS_INTERVAL_MS = 1000;
/** How often the demo looks whether the gateway serves the address space yet. */
const MIRROR_POLL_MS = 100;
export const PAIR_NAME = "demo";

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The gateway configuration of the demo: one pair over the two simulators, and the status server. */
export function demoGatewayConfig(options: DemoOptions, urls: readonly string[]): GatewayConfig {
  return parseGatewayConfig(
    {
      pairs: [
        {
          name: PAIR_NAME,
          listen: { port: options.listenPort, host: options.listenHost },
          mode: options.mode,
          servers: urls.map((url, i) => ({ url, name: `server ${i + 1}` })),
          failback: { policy: "auto", holdMs: options.holdMs },
          reconnect: { initialDelayMs: 100, maxDelayMs: 1000 },
          // The demo is a local playground: plain connections and anonymous users with full access.
          security: { allowNone: true, anonymous: true },
        },
      ],
      http: { port: options.httpPort, host: HTTP_HOST, auth: { token: DEMO_TOKEN } },
    },
    "demo configuration",
  );
}

/** Resolves once the pair has left "starting" (a server is active, or every one failed once). */
function started(client: PairEngine): Promise<void> {
  if (client.state !== "starting") return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (client.state === "starting") return;
      client.off("stateChanged", check);
      resolve();
    };
    client.on("stateChanged", check);
  });
}

/** Runs the demo until quit; resolves with the exit code. */
export async function runDemo(options: DemoOptions, printer: Printer, interactive: boolean): Promise<number> {
  const logger = createLogger({ level: "error", name: "opcua-redundancy-demo", destination: "stderr" });
  // node-opcua prints its own warnings with console.log: keep them off the demo's lines.
  routeNodeOpcuaLogs(logger);
  const stdin = process.stdin as ReadStream;
  const servers = new DemoServers(options.ports, options.tickMs);
  const urls = options.ports.map((_, i) => servers.url(i));

  let config: GatewayConfig;
  try {
    config = demoGatewayConfig(options, urls);
  } catch (error) {
    printer.problem(message(error));
    return 64; // EX_USAGE
  }
  const gateway = new Gateway({ config, logger, dataDir: options.dataDir });
  const pair = gateway.pairs[0]!;
  const client = pair.client;
  client.on("failover", (e) => printer.failover(e));
  client.on("stateChanged", (e) => printer.stateChanged(e));
  client.on("allServersLost", (e) => printer.allServersLost(e));
  client.on("recovered", (e) => printer.recovered(e));
  client.on("linkStateChanged", (e) => printer.linkStateChanged(e));

  let closing = false;
  let resolveQuit!: (reason: string) => void;
  const quitting = new Promise<string>((resolve) => {
    resolveQuit = resolve;
  });
  const quit = (reason: string) => {
    if (closing) return;
    closing = true;
    resolveQuit(reason);
  };
  const onSignal = (signal: NodeJS.Signals) => quit(signal);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const offSignals = () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };

  try {
    await servers.startAll();
  } catch (error) {
    offSignals();
    printer.problem(`cannot start the simulators: ${message(error)} (other ports: --ports A,B)`);
    return 69; // EX_UNAVAILABLE
  }
  printer.action(`simulators listening on ${urls.join(" and ")}`);

  printer.action(`starting the gateway on ${gatewayEndpoint(options)} (listening on ${options.listenHost})`);
  try {
    await gateway.start();
  } catch (error) {
    offSignals();
    printer.problem(
      `cannot start the gateway: ${message(error)} (other ports: --listen-port P, --http-port P)`,
    );
    await gateway.stop().catch(() => undefined);
    await servers.stopAll();
    return 69; // EX_UNAVAILABLE
  }
  printer.action(
    `gateway serving pair "${PAIR_NAME}" on ${gatewayEndpoint(options)}, status on ${statusUrl(options)}`,
  );

  const actions: DemoActions = {
    toggleServer: (index) => {
      if (servers.isBusy(index)) {
        printer.problem(`server ${index + 1} is still starting or stopping, try again in a moment`);
        return Promise.resolve();
      }
      return servers.isRunning(index) ? actions.stopServer(index) : actions.startServer(index);
    },
    stopServer: async (index) => {
      if (closing) return;
      printer.action(`stopping server ${index + 1} (${urls[index]})`);
      try {
        await servers.stop(index);
        printer.action(`server ${index + 1} stopped`);
      } catch (error) {
        printer.problem(`cannot stop server ${index + 1}: ${message(error)}`);
      }
    },
    startServer: async (index) => {
      if (closing) return;
      printer.action(`starting server ${index + 1} again on ${urls[index]}`);
      try {
        await servers.start(index);
        printer.action(`server ${index + 1} is listening again`);
      } catch (error) {
        printer.problem(`cannot start server ${index + 1}: ${message(error)}`);
      }
    },
    setServiceLevel: async (index, level) => {
      if (closing) return;
      if (!servers.isRunning(index)) {
        printer.problem(`server ${index + 1} is stopped: start it with ${index + 1} first`);
        return;
      }
      printer.action(`OPC UA write ServiceLevel = ${level} to server ${index + 1}`);
      try {
        const status = await servers.setServiceLevel(index, level);
        printer.action(`ServiceLevel of server ${index + 1} is now ${level} (write: ${status})`);
      } catch (error) {
        printer.problem(`ServiceLevel write to server ${index + 1} failed: ${message(error)}`);
      }
    },
    failover: () => {
      if (closing) return;
      printer.action("manual failover requested (the pair's client.failover())");
      try {
        client.failover();
      } catch (error) {
        printer.problem(message(error));
      }
    },
    help: () => {
      for (const key of KEYS_HELP) printer.plain(`  ${key}`);
    },
    quit,
  };

  // The engine's own view of Counter (the gateway's RedundantClient), beside the downstream one.
  const engine = new CounterStats();
  let sine: number | null = null;
  client.monitor(COUNTER_NODE, {}, (value: DataValue) => {
    const note = engine.offer(value);
    if (note) printer.problem(`engine: ${note}`);
  });
  client.monitor("ns=1;s=Sine", {}, (value: DataValue) => {
    sine = value.statusCode.isGood() ? Number(value.value.value) : null;
  });

  /** The demo's downstream client once connected; else what it is doing. */
  const probe: { client: DownstreamClient | null; state: string } = {
    client: null,
    state: "waiting for the gateway's address space",
  };
  /** Connects the demo's downstream client once the gateway serves the address space; never throws. */
  const connectDownstream = async (): Promise<void> => {
    while (!closing && !pair.mirrored) {
      await Promise.race([new Promise((resolve) => setTimeout(resolve, MIRROR_POLL_MS)), quitting]);
    }
    if (closing) return;
    const url = downstreamEndpoint(options);
    probe.state = "connecting";
    try {
      const connected = await DownstreamClient.connect(url, (text) => printer.problem(text));
      if (closing) {
        await connected.close();
        return;
      }
      probe.client = connected;
      printer.action(
        `downstream OPC UA client connected to ${url}: monitoring ${COUNTER_NODE} through the gateway ` +
          "(samplingInterval 0, queueSize 1000)",
      );
    } catch (error) {
      probe.state = "not connected";
      printer.problem(`the demo's downstream client cannot use ${url}: ${message(error)}`);
    }
  };
  const showStatus = () =>
    printer.status(client.status(), engine, probe.client?.stats ?? probe.state, sine, probe.client?.events);

  let statusTimer: NodeJS.Timeout | undefined;
  let durationTimer: NodeJS.Timeout | undefined;
  let detachKeys: (() => void) | undefined;
  let endTour: (() => void) | undefined;
  let downstreamTask: Promise<void> = Promise.resolve();
  try {
    if (options.durationMs !== null) {
      const ms = options.durationMs;
      durationTimer = setTimeout(() => quit(`--duration-ms ${ms} elapsed`), ms);
    }
    if (interactive) detachKeys = attachKeys(stdin, actions);
    downstreamTask = connectDownstream();
    await Promise.race([started(client), quitting]);
    if (!closing) {
      statusTimer = setInterval(showStatus, STATUS_INTERVAL_MS);
      // The tour crashes servers only once the downstream client watches Counter through the gateway.
      await Promise.race([downstreamTask, quitting]);
    }
    if (!closing && !interactive) {
      const tour = {
        intervalMs: options.autoIntervalMs,
        isActive: (i: number) => client.status().activeIndex === i,
      };
      endTour = startAutoTour(actions, tour, (text) => printer.action(text));
    }
    const reason = await quitting;
    printer.action(`quitting (${reason}): stopping the downstream client, the gateway, then the simulators`);
  } finally {
    closing = true;
    clearTimeout(durationTimer);
    clearInterval(statusTimer);
    endTour?.();
    detachKeys?.();
    offSignals();
    showStatus();
    await downstreamTask;
    await probe.client?.close();
    await gateway.stop().catch((error: unknown) => printer.problem(`gateway stop: ${message(error)}`));
    await servers.stopAll();
  }
  printer.summary(client.status(), engine, probe.client?.stats ?? null);
  return 0;
}
