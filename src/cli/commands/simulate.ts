/**
 * `opcua-redundancy simulate --port P [--tick-ms T] [--shared-clock] [--shutdown-delay-ms D]`
 *
 * Runs one simulated upstream server. stdout carries JSON lines only: one
 * `{"event":"listening","endpointUrl","port","pid"}` when ready, then one
 * `{"event":"write","time","nodeId","value"}` per client write. node-opcua's own log goes to
 * stderr. SIGTERM / SIGINT: graceful stop (ServerState Shutdown for the delay), exit 0.
 */
import { format, parseArgs } from "node:util";
import { setErrorLogger, setWarningLogger } from "node-opcua";
import { RedundancyError } from "../../errors.ts";
import type { SimulatorSecurity } from "../../simulator/security.ts";
import { type Simulator, startSimulator, type WriteLogEntry } from "../../simulator/simulator.ts";

const USAGE =
  "Usage: opcua-redundancy simulate [--port P] [--tick-ms T] [--shared-clock] [--shutdown-delay-ms D]\n" +
  "  --port P               TCP port on 127.0.0.1 (default 4840; 0 = any free port)\n" +
  "  --tick-ms T            Counter/Sine period in ms (default 1000, minimum 10)\n" +
  "  --shared-clock         Counter = floor(unix_ms / T), source timestamp = tick boundary\n" +
  "  --clock-offset-ms=N   the server's clock is N ms ahead (negative: behind) of the host's; it drives\n" +
  "                         CurrentTime and ServerTimestamps; writable at run time: ns=1;s=ClockOffsetMs\n" +
  "  --browse-delay-ms=N   answer Browse and BrowseNext N ms late (a server slow to browse); writable at\n" +
  "                         run time: ns=1;s=BrowseDelayMs\n" +
  "  --own-clock PHASE      with --shared-clock: sample the device PHASE ms after each tick boundary and\n" +
  "                         stamp values with the server's clock (two servers polling one device)\n" +
  "  --shutdown-delay-ms D  how long a graceful stop shows ServerState Shutdown (default 2000)\n" +
  "  --bulk N               N extra Int32 variables ns=1;s=Bulk.<i>, set to Counter at every tick\n" +
  "  --bulk-structures      every 5th Bulk variable holds a Custom Point structure (X = Counter)\n" +
  "  --namespace-order O    normal (default) or reversed: order of the extra namespaces alpha, beta\n" +
  "  --reverse-connect URL  Reverse Connect: dial the client listener at URL (and again when closed)\n" +
  "  --secure               signed and encrypted endpoints only (no SecurityPolicy None)\n" +
  "  --user NAME            only this user may log in; password in $OPCUA_SIMULATOR_PASSWORD\n" +
  "  --event-ms E           a BaseEvent on the Server object every E ms (default 1000, 0 = none)\n" +
  "  --alarm-cycle-ms C     Tank.Level cycles 0..100..0 through its alarm limits every C ms (default 20000)\n" +
  "  --no-alarms            neither the events nor the tank's alarm (a faster start)\n" +
  "  --omit-nodes IDS       leave out these variables (comma-separated NodeIds): a mismatched partner\n" +
  "  --retype-nodes IDS     give these variables another DataType (Double; a Double becomes Int32)\n" +
  "  --max-items-per-subscription N  monitored items one subscription may hold (default 1000000)\n" +
  "  --max-nodes-per-request N  nodes per Browse, Read, Write and Call, stated in OperationLimits;\n" +
  "                         more is refused with BadTooManyOperations (default: node-opcua's)\n" +
  "  --pki DIR              the server's certificate store (default: a cache in the temp folder);\n" +
  "                         an empty DIR makes a new certificate (same application URI)\n";

interface SimulateOptions {
  port: number;
  tickMs: number;
  sharedClock: boolean;
  shutdownDelayMs: number;
  bulk: number;
  bulkStructures: boolean;
  namespaceOrder: "normal" | "reversed";
  reverseConnect: string | undefined;
  security: SimulatorSecurity;
  pkiFolder: string | undefined;
  events: { eventMs: number; alarmCycleMs: number } | false;
  nodeChanges: { omit: string[]; retype: string[] };
  maxMonitoredItemsPerSubscription: number;
  maxNodesPerRequest?: number;
  clockOffsetMs: number;
  ownClock?: { phaseMs: number };
  browseDelayMs: number;
}

function integer(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) {
    return fallback;
  }
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new RedundancyError(
      "ERR_INVALID_ARGUMENT",
      `--${name} must be an integer from ${min} to ${max}, got "${text}"`,
    );
  }
  return value;
}

function signedInteger(name: string, text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^-?\d+$/.test(text) || Math.abs(Number(text)) > 2 ** 31 - 1)
    throw new RedundancyError(
      "ERR_INVALID_ARGUMENT",
      `--${name} must be an Int32 number of ms, got "${text}"`,
    );
  return Number(text);
}

function namespaceOrder(text: string | undefined): "normal" | "reversed" {
  if (text === undefined || text === "normal" || text === "reversed") return text ?? "normal";
  throw new RedundancyError(
    "ERR_INVALID_ARGUMENT",
    `--namespace-order must be normal or reversed, got "${text}"`,
  );
}

function parse(args: string[]): SimulateOptions | "help" {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: "string" },
      "tick-ms": { type: "string" },
      "shared-clock": { type: "boolean", default: false },
      "shutdown-delay-ms": { type: "string" },
      bulk: { type: "string" },
      "bulk-structures": { type: "boolean", default: false },
      "namespace-order": { type: "string" },
      "reverse-connect": { type: "string" },
      secure: { type: "boolean", default: false },
      user: { type: "string" },
      pki: { type: "string" },
      "event-ms": { type: "string" },
      "alarm-cycle-ms": { type: "string" },
      "no-alarms": { type: "boolean", default: false },
      "omit-nodes": { type: "string" },
      "retype-nodes": { type: "string" },
      "max-items-per-subscription": { type: "string" },
      "max-nodes-per-request": { type: "string" },
      "clock-offset-ms": { type: "string" },
      "own-clock": { type: "string" },
      "browse-delay-ms": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    return "help";
  }
  return {
    port: integer("port", values.port, 4840, 0, 65535),
    tickMs: integer("tick-ms", values["tick-ms"], 1000, 10, 86_400_000),
    sharedClock: values["shared-clock"] === true,
    shutdownDelayMs: integer("shutdown-delay-ms", values["shutdown-delay-ms"], 2000, 0, 3_600_000),
    bulk: integer("bulk", values.bulk, 0, 0, 1_000_000),
    bulkStructures: values["bulk-structures"] === true,
    namespaceOrder: namespaceOrder(values["namespace-order"]),
    reverseConnect: values["reverse-connect"],
    security: { secure: values.secure === true, user: simulatorUser(values.user) },
    pkiFolder: values.pki,
    events: values["no-alarms"]
      ? false
      : {
          eventMs: integer("event-ms", values["event-ms"], 1000, 0, 86_400_000),
          alarmCycleMs: integer("alarm-cycle-ms", values["alarm-cycle-ms"], 20000, 0, 86_400_000),
        },
    nodeChanges: { omit: nodeIdList(values["omit-nodes"]), retype: nodeIdList(values["retype-nodes"]) },
    maxMonitoredItemsPerSubscription: integer(
      "max-items-per-subscription",
      values["max-items-per-subscription"],
      1_000_000,
      1,
      10_000_000,
    ),
    ...(values["max-nodes-per-request"] === undefined
      ? {}
      : {
          maxNodesPerRequest: integer(
            "max-nodes-per-request",
            values["max-nodes-per-request"],
            0,
            1,
            100_000,
          ),
        }),
    clockOffsetMs: signedInteger("clock-offset-ms", values["clock-offset-ms"]),
    browseDelayMs: integer("browse-delay-ms", values["browse-delay-ms"], 0, 0, 60_000),
    ...(values["own-clock"] === undefined
      ? {}
      : { ownClock: { phaseMs: integer("own-clock", values["own-clock"], 0, 0, 86_400_000) } }),
  };
}

function nodeIdList(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function simulatorUser(name: string | undefined): SimulatorSecurity["user"] {
  if (name === undefined) return undefined;
  const password = process.env.OPCUA_SIMULATOR_PASSWORD;
  if (!password)
    throw new RedundancyError(
      "ERR_INVALID_ARGUMENT",
      "--user needs the password in $OPCUA_SIMULATOR_PASSWORD",
    );
  return { name, password };
}

function printLine(record: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(record)}\n`);
}

/** node-opcua logs with console.log; keep stdout for the JSON lines. */
function logNodeOpcuaToStderr(): void {
  const toStderr = (_context: unknown, ...args: unknown[]) => {
    process.stderr.write(`${format(...args)}\n`);
  };
  setWarningLogger(toStderr);
  setErrorLogger(toStderr);
}

export async function run(args: string[]): Promise<number> {
  let options: SimulateOptions | "help";
  try {
    options = parse(args);
  } catch (error) {
    process.stderr.write(`opcua-redundancy simulate: ${(error as Error).message}\n\n${USAGE}`);
    return 64; // EX_USAGE
  }
  if (options === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  logNodeOpcuaToStderr();
  let simulator: Simulator;
  try {
    simulator = await startSimulator(options);
  } catch (error) {
    process.stderr.write(`opcua-redundancy simulate: ${(error as Error).message}\n`);
    return 69; // EX_UNAVAILABLE (e.g. the port is in use)
  }
  simulator.on("write", (entry: WriteLogEntry) => printLine({ event: "write", ...entry }));
  printLine({
    event: "listening",
    endpointUrl: simulator.endpointUrl,
    port: simulator.port,
    pid: process.pid,
  });

  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.stderr.write(`opcua-redundancy simulate: ${signal}, shutting down\n`);
      simulator.stop({ graceful: true }).then(resolve, (error: unknown) => {
        process.stderr.write(`opcua-redundancy simulate: shutdown failed: ${String(error)}\n`);
        resolve();
      });
    };
    // once: a second signal during the graceful delay ends the process the default way
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  });
  return 0;
}
