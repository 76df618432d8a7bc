import { type Logger, pino } from "pino";

export type { Logger };

/**
 * The process logger: JSON lines (pino). `OPCUA_REDUNDANCY_LOG_LEVEL`, when set, overrides the
 * level the caller chose (an operator's override); `destination: "stderr"` keeps stdout for a
 * command's own output.
 */
export function createLogger(
  options: { level?: string; name?: string; destination?: "stdout" | "stderr" } = {},
): Logger {
  const level = process.env.OPCUA_REDUNDANCY_LOG_LEVEL ?? options.level ?? "info";
  const fd = options.destination === "stderr" ? 2 : 1;
  return pino({ level, name: options.name ?? "opcua-redundancy" }, pino.destination({ fd, sync: true }));
}

export const silentLogger: Logger = pino({ level: "silent" });
