/** Command-line options of `opcua-redundancy demo`. */
import { parseArgs } from "node:util";
import { MODES } from "../config/defaults.ts";
import { RedundancyError } from "../errors.ts";
import type { Mode } from "../redundancy/types.ts";

export const DEMO_USAGE =
  "Usage: opcua-redundancy demo [options]\n" +
  "  Two simulated OPC UA servers on 127.0.0.1 and a redundant client over them.\n" +
  "  --ports A,B              ports of the two simulators (default 48401,48402)\n" +
  "  --tick-ms T              Counter/Sine period of the simulators in ms (default 100)\n" +
  "  --mode M                 cold | warm | hot (default hot)\n" +
  "  --hold-ms H              automatic failback after the primary was healthy this long (default 3000)\n" +
  "  --auto                   run the scripted tour even on a terminal (default when stdin is not a TTY)\n" +
  "  --auto-interval-ms I     scripted tour: stop / restart server 1 every I ms (default 10000)\n" +
  "  --duration-ms D          quit after D ms (default: run until q or Ctrl-C)\n" +
  "  Engine logs: OPCUA_REDUNDANCY_LOG_LEVEL=debug opcua-redundancy demo\n";

export interface DemoOptions {
  ports: [number, number];
  tickMs: number;
  mode: Mode;
  holdMs: number;
  /** Scripted tour instead of keys (forced; it is also used when stdin is not a TTY). */
  auto: boolean;
  autoIntervalMs: number;
  /** Quit after this long; null = run until asked to quit. */
  durationMs: number | null;
}

function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new RedundancyError(
      "ERR_INVALID_ARGUMENT",
      `--${name} must be an integer from ${min} to ${max}, got "${text}"`,
    );
  }
  return value;
}

function parsePorts(text: string): [number, number] {
  const parts = text.split(",").map((p) => p.trim());
  if (parts.length !== 2) {
    throw new RedundancyError("ERR_INVALID_ARGUMENT", `--ports expects two ports "A,B", got "${text}"`);
  }
  const a = integer("ports", parts[0]!, 1, 65535);
  const b = integer("ports", parts[1]!, 1, 65535);
  if (a === b) {
    throw new RedundancyError("ERR_INVALID_ARGUMENT", `--ports must name two different ports, got "${text}"`);
  }
  return [a, b];
}

function parseMode(text: string): Mode {
  const mode = MODES.find((m) => m === text);
  if (!mode) {
    throw new RedundancyError("ERR_INVALID_ARGUMENT", `--mode must be cold, warm or hot, got "${text}"`);
  }
  return mode;
}

/** @throws RedundancyError (ERR_INVALID_ARGUMENT) or node's parseArgs errors for unknown options. */
export function parseDemoOptions(args: string[]): DemoOptions | "help" {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      ports: { type: "string", default: "48401,48402" },
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
  return {
    ports: parsePorts(values.ports),
    tickMs: integer("tick-ms", values["tick-ms"], 10, 86_400_000),
    mode: parseMode(values.mode),
    holdMs: integer("hold-ms", values["hold-ms"], 0, 86_400_000),
    auto: values.auto,
    autoIntervalMs: integer("auto-interval-ms", values["auto-interval-ms"], 100, 86_400_000),
    durationMs: duration === undefined ? null : integer("duration-ms", duration, 1, 2_147_483_647),
  };
}
