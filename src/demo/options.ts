/** Command-line options of `opcua-redundancy demo`. */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { MODES } from "../config/defaults.ts";
import { RedundancyError } from "../errors.ts";
import type { Mode } from "../redundancy/types.ts";

export const DEMO_USAGE =
  "Usage: opcua-redundancy demo [options]\n" +
  "  Two simulated OPC UA servers on 127.0.0.1 and the gateway that makes them look like one server.\n" +
  "  --listen-port P          the gateway's OPC UA endpoint opc.tcp://localhost:P (default 4840)\n" +
  "  --listen-host H          interface the gateway endpoint listens on (default 0.0.0.0, every one)\n" +
  "  --http-port P            status server http://127.0.0.1:P/api/status and /health (default 8080)\n" +
  "  --ports A,B              ports of the two simulators (default 48401,48402)\n" +
  "  --tick-ms T              Counter/Sine period of the simulators in ms (default 100)\n" +
  "  --mode M                 cold | warm | hot (default hot)\n" +
  "  --hold-ms H              automatic failback after the primary was healthy this long (default 3000)\n" +
  "  --data-dir DIR           where the gateway caches the address space (default <tmp>/opcua-redundancy-demo)\n" +
  "  --auto                   run the scripted tour even on a terminal (default when stdin is not a TTY)\n" +
  "  --auto-interval-ms I     scripted tour: stop / restart server 1 every I ms (default 10000)\n" +
  "  --duration-ms D          quit after D ms (default: run until q or Ctrl-C)\n" +
  "  Engine logs (on stderr): OPCUA_REDUNDANCY_LOG_LEVEL=debug opcua-redundancy demo\n";

export interface DemoOptions {
  /** The simulators' ports (server 1 = primary, server 2). */
  ports: [number, number];
  /** The gateway's downstream OPC UA endpoint. */
  listenPort: number;
  listenHost: string;
  /** The HTTP status server (on 127.0.0.1). */
  httpPort: number;
  /** The gateway's address-space cache lives here (not the user's working directory). */
  dataDir: string;
  tickMs: number;
  mode: Mode;
  holdMs: number;
  /** Scripted tour instead of keys (forced; it is also used when stdin is not a TTY). */
  auto: boolean;
  autoIntervalMs: number;
  /** Quit after this long; null = run until asked to quit. */
  durationMs: number | null;
}

/** The HTTP status server listens on loopback only: it will carry operator commands. */
export const HTTP_HOST = "127.0.0.1";
/** The demo's API token for the status page's failover buttons (loopback only; a real gateway reads it from tokenEnv/tokenFile). */
export const DEMO_TOKEN = "opcua-redundancy-demo";

const ANY_HOST = new Set(["0.0.0.0", "::", "localhost"]);

/** The endpoint a user types into an OPC UA client. */
export function gatewayEndpoint(options: Pick<DemoOptions, "listenHost" | "listenPort">): string {
  const host = ANY_HOST.has(options.listenHost) ? "localhost" : options.listenHost;
  return `opc.tcp://${host}:${options.listenPort}`;
}

/** The endpoint the demo's own downstream client connects to (loopback when listening on every interface). */
export function downstreamEndpoint(options: Pick<DemoOptions, "listenHost" | "listenPort">): string {
  const host = ANY_HOST.has(options.listenHost) ? "127.0.0.1" : options.listenHost;
  return `opc.tcp://${host}:${options.listenPort}`;
}

export function statusUrl(options: Pick<DemoOptions, "httpPort">): string {
  return `http://${HTTP_HOST}:${options.httpPort}/api/status`;
}

export function defaultDataDir(): string {
  return join(tmpdir(), "opcua-redundancy-demo");
}

function invalid(message: string): RedundancyError {
  return new RedundancyError("ERR_INVALID_ARGUMENT", message);
}

function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw invalid(`--${name} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

function parsePorts(text: string): [number, number] {
  const parts = text.split(",").map((p) => p.trim());
  if (parts.length !== 2) throw invalid(`--ports expects two ports "A,B", got "${text}"`);
  const a = integer("ports", parts[0]!, 1, 65535);
  const b = integer("ports", parts[1]!, 1, 65535);
  if (a === b) throw invalid(`--ports must name two different ports, got "${text}"`);
  return [a, b];
}

function parseMode(text: string): Mode {
  const mode = MODES.find((m) => m === text);
  if (!mode) throw invalid(`--mode must be cold, warm or hot, got "${text}"`);
  return mode;
}

function parseHost(text: string): string {
  if (!/^[A-Za-z0-9.:-]+$/.test(text)) {
    throw invalid(`--listen-host must be a host name or an IP address, got "${text}"`);
  }
  return text;
}

/** @throws RedundancyError (ERR_INVALID_ARGUMENT) or node's parseArgs errors for unknown options. */
export function parseDemoOptions(args: string[]): DemoOptions | "help" {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      ports: { type: "string", default: "48401,48402" },
      "listen-port": { type: "string", default: "4840" },
      "listen-host": { type: "string", default: "0.0.0.0" },
      "http-port": { type: "string", default: "8080" },
      "data-dir": { type: "string" },
      "tick-ms": { type: "string", default: "100" },
      mode: { type: "string", default: "hot" },
      "hold-ms": { type: "string", default: "3000" },
      auto: { type: "boolean", default: false },
      "auto-interval-ms": { type: "string", default: "10000" },
      "duration-ms": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  const duration = values["duration-ms"];
  const ports = parsePorts(values.ports);
  const listenPort = integer("listen-port", values["listen-port"], 1, 65535);
  const httpPort = integer("http-port", values["http-port"], 1, 65535);
  if (ports.includes(listenPort)) {
    throw invalid(`--listen-port ${listenPort} is also one of the simulators' --ports`);
  }
  if (ports.includes(httpPort) || httpPort === listenPort) {
    throw invalid(`--http-port ${httpPort} is already taken by --ports or --listen-port`);
  }
  const dataDir = values["data-dir"];
  if (dataDir === "") throw invalid("--data-dir must not be empty");
  return {
    ports,
    listenPort,
    listenHost: parseHost(values["listen-host"]),
    httpPort,
    dataDir: dataDir ?? defaultDataDir(),
    tickMs: integer("tick-ms", values["tick-ms"], 10, 86_400_000),
    mode: parseMode(values.mode),
    holdMs: integer("hold-ms", values["hold-ms"], 0, 86_400_000),
    auto: values.auto,
    autoIntervalMs: integer("auto-interval-ms", values["auto-interval-ms"], 100, 86_400_000),
    durationMs: duration === undefined ? null : integer("duration-ms", duration, 1, 2_147_483_647),
  };
}
