/**
 * The running demo: simulators, client, status lines, event lines, keys or the scripted tour.
 * Loaded after the banner is printed (node-opcua takes seconds to load).
 */
import type { ReadStream } from "node:tty";
import { format } from "node:util";
import { type DataValue, setErrorLogger, setWarningLogger } from "node-opcua";
import { RedundantClient } from "../client/redundant-client.ts";
import { createLogger } from "../log.ts";
import { attachKeys, type DemoActions, startAutoTour } from "./controls.ts";
import { CounterStats } from "./counter-stats.ts";
import type { DemoOptions } from "./options.ts";
import { KEYS_HELP, type Printer } from "./output.ts";
import { DemoServers } from "./servers.ts";

const STATUS_INTERVAL_MS = 1000;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** node-opcua prints its own warnings with console.log: keep them off the demo's lines. */
function routeNodeOpcuaLogs(level: string | undefined): void {
  const verbose = level === "debug" || level === "trace";
  const sink = (_context: unknown, ...args: unknown[]) => {
    if (verbose) process.stderr.write(`${format(...args)}\n`);
  };
  setWarningLogger(sink);
  setErrorLogger(sink);
}

/** Runs the demo until quit; resolves with the exit code. */
export async function runDemo(options: DemoOptions, printer: Printer, interactive: boolean): Promise<number> {
  const logLevel = process.env.OPCUA_REDUNDANCY_LOG_LEVEL;
  routeNodeOpcuaLogs(logLevel);
  const stdin = process.stdin as ReadStream;
  const servers = new DemoServers(options.ports, options.tickMs);
  const urls = options.ports.map((_, i) => servers.url(i));

  try {
    await servers.startAll();
  } catch (error) {
    printer.problem(`cannot start the simulators: ${message(error)} (other ports: --ports A,B)`);
    return 69; // EX_UNAVAILABLE
  }
  printer.action(`simulators listening on ${urls.join(" and ")}`);

  const client = new RedundantClient(
    {
      name: "demo",
      mode: options.mode,
      servers: urls.map((url, i) => ({ url, name: `server ${i + 1}` })),
      failback: { policy: "auto", holdMs: options.holdMs },
      reconnect: { initialDelayMs: 100, maxDelayMs: 1000 },
    },
    { logger: createLogger({ level: logLevel ?? "error", name: "opcua-redundancy-demo" }) },
  );
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
      printer.action("manual failover requested (client.failover())");
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

  const stats = new CounterStats();
  let sine: number | null = null;
  let statusTimer: NodeJS.Timeout | undefined;
  let durationTimer: NodeJS.Timeout | undefined;
  let detachKeys: (() => void) | undefined;
  let endTour: (() => void) | undefined;
  try {
    if (options.durationMs !== null) {
      const ms = options.durationMs;
      durationTimer = setTimeout(() => quit(`--duration-ms ${ms} elapsed`), ms);
    }
    if (interactive) detachKeys = attachKeys(stdin, actions);
    await Promise.race([client.start(), quitting]);
    if (!closing) {
      client.monitor("ns=1;s=Counter", {}, (value: DataValue) => {
        const note = stats.offer(value);
        if (note) printer.problem(note);
      });
      client.monitor("ns=1;s=Sine", {}, (value: DataValue) => {
        sine = value.statusCode.isGood() ? Number(value.value.value) : null;
      });
      statusTimer = setInterval(() => printer.status(client.status(), stats, sine), STATUS_INTERVAL_MS);
      if (!interactive) {
        const tour = {
          intervalMs: options.autoIntervalMs,
          isActive: (i: number) => client.status().activeIndex === i,
        };
        endTour = startAutoTour(actions, tour, (text) => printer.action(text));
      }
    }
    const reason = await quitting;
    printer.action(`quitting (${reason}): stopping the client, then the simulators`);
  } finally {
    closing = true;
    clearTimeout(durationTimer);
    clearInterval(statusTimer);
    endTour?.();
    detachKeys?.();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    printer.status(client.status(), stats, sine);
    await client.stop().catch((error: unknown) => printer.problem(`client stop: ${message(error)}`));
    await servers.stopAll();
  }
  printer.summary(client.status(), stats);
  return 0;
}
