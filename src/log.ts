import { type Logger, pino } from "pino";
import { prettyDestination } from "./log-pretty.ts";

export type { Logger };

/**
 * The process logger: JSON lines (pino). `OPCUA_REDUNDANCY_LOG_LEVEL`, when set, overrides the
 * level the caller chose (an operator's override); `destination: "stderr"` keeps stdout for a
 * command's own output. On a terminal the lines are formatted for reading
 * (`OPCUA_REDUNDANCY_LOG_FORMAT=json` keeps JSON there too).
 */
export function createLogger(
  options: { level?: string; name?: string; destination?: "stdout" | "stderr" } = {},
): Logger {
  const level = process.env.OPCUA_REDUNDANCY_LOG_LEVEL ?? options.level ?? "info";
  const fd = options.destination === "stderr" ? 2 : 1;
  const pretty =
    (fd === 1 ? process.stdout : process.stderr).isTTY && process.env.OPCUA_REDUNDANCY_LOG_FORMAT !== "json";
  const destination = pretty ? prettyDestination(fd) : pino.destination({ fd, sync: true });
  return pino({ level, name: options.name ?? "opcua-redundancy" }, destination);
}

export const silentLogger: Logger = pino({ level: "silent" });
