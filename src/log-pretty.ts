/**
 * A readable form of pino's JSON lines for a terminal: `12:00:01.234 INFO  [line1] message key=value`.
 * Used when the log goes to a TTY (unless OPCUA_REDUNDANCY_LOG_FORMAT=json); services and pipes get JSON.
 */
import { writeSync } from "node:fs";

const LEVELS: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO ",
  40: "WARN ",
  50: "ERROR",
  60: "FATAL",
};
const COLOURS: Record<number, string> = { 40: "\x1b[33m", 50: "\x1b[31m", 60: "\x1b[41m" };
const OMIT = new Set(["level", "time", "pid", "hostname", "name", "msg", "pair"]);

export function formatLogLine(line: string, colour: boolean): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = typeof record.level === "number" ? record.level : 30;
  const time = new Date(typeof record.time === "number" ? record.time : Date.now())
    .toISOString()
    .slice(11, 23);
  const pair = typeof record.pair === "string" ? ` [${record.pair}]` : "";
  const fields = Object.entries(record)
    .filter(([key]) => !OMIT.has(key))
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
  const label = LEVELS[level] ?? String(level);
  const shown = colour && COLOURS[level] ? `${COLOURS[level]}${label}\x1b[0m` : label;
  return `${time} ${shown}${pair} ${String(record.msg ?? "")}${fields ? ` ${fields}` : ""}\n`;
}

/** A pino destination that writes formatted lines to `fd` synchronously. */
export function prettyDestination(fd: number): { write(line: string): void } {
  return {
    write(chunk: string) {
      for (const line of chunk.split("\n")) if (line) writeSync(fd, formatLogLine(line, true));
    },
  };
}
