import { type Logger, pino } from "pino";

export type { Logger };

/**
 * The process logger: JSON lines (pino). `OPCUA_REDUNDANCY_LOG_LEVEL` sets the level
 * (default "info"; tests and benchmarks use "silent").
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  const level = options.level ?? process.env.OPCUA_REDUNDANCY_LOG_LEVEL ?? "info";
  return pino({ level, name: options.name ?? "opcua-redundancy" });
}

export const silentLogger: Logger = pino({ level: "silent" });
