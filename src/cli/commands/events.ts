/**
 * `opcua-redundancy events [--file F | --config FILE] [--follow] [--export OUT.txt] [--pair P]
 * [--kind K] [--limit N]`: prints the diagnostics event log (the JSONL file the gateway writes),
 * follows it, or exports it to a text file.
 * Exit codes: 0, 64 usage, 66 log file unreadable, 78 configuration invalid.
 */
import { readFile, stat, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import {
  type DiagnosticEvent,
  EVENT_KINDS,
  type EventFilter,
  formatEvent,
  isEventKind,
  matches,
  parseEventLine,
} from "../../diagnostics/event.ts";

const USAGE = `Usage: opcua-redundancy events [--file F | --config FILE] [--follow] [--export OUT.txt]
                               [--pair P] [--kind K[,K...]] [--limit N]

Prints the diagnostics event log, one event per line (date and time, number, kind, pair, server,
message). --follow keeps printing new events until interrupted; --export writes the lines to a file.
Kinds: ${EVENT_KINDS.join(", ")}.
`;
const FOLLOW_POLL_MS = 500;

async function readEvents(file: string): Promise<DiagnosticEvent[]> {
  const text = await readFile(file, "utf8");
  return text.split("\n").flatMap((line) => parseEventLine(line) ?? []);
}

async function logFileOf(values: { file?: string; config?: string }): Promise<string | number> {
  if (values.file) return values.file;
  const { loadConfigFile, ConfigError } = await import("../../config/load.ts");
  try {
    const config = await loadConfigFile(values.config!);
    if (!config.diagnostics?.file) {
      process.stderr.write(
        `${values.config}: no diagnostics.file configured: events are kept in memory only\n`,
      );
      return 66;
    }
    return config.diagnostics.file;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return error.code === "ERR_CONFIG_UNREADABLE" ? 66 : 78;
  }
}

export async function run(args: string[]): Promise<number> {
  let values: {
    file?: string;
    config?: string;
    follow?: boolean;
    export?: string;
    pair?: string;
    kind?: string;
    limit?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        file: { type: "string" },
        config: { type: "string" },
        follow: { type: "boolean", short: "f" },
        export: { type: "string" },
        pair: { type: "string" },
        kind: { type: "string" },
        limit: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 64;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.file === !values.config) {
    process.stderr.write(`give exactly one of --file or --config\n${USAGE}`);
    return 64;
  }
  const kinds = values.kind?.split(",") ?? [];
  const badKind = kinds.find((k) => !isEventKind(k));
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (badKind !== undefined || (limit !== undefined && (!Number.isInteger(limit) || limit < 1))) {
    process.stderr.write(
      `${badKind !== undefined ? `unknown kind "${badKind}"` : "--limit needs a positive integer"}\n${USAGE}`,
    );
    return 64;
  }
  // --follow ends with exit 0 on SIGINT/SIGTERM: listen before the first listing, so that a signal
  // arriving while it prints is not fatal
  const stopped = values.follow ? stopSignal() : undefined;
  const file = await logFileOf(values);
  if (typeof file === "number") return file;
  const filter: EventFilter = {
    ...(values.pair ? { pair: values.pair } : {}),
    ...(kinds.length > 0 ? { kind: kinds.filter(isEventKind) } : {}),
  };

  let events: DiagnosticEvent[];
  try {
    events = await readEvents(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!(values.follow && code === "ENOENT")) {
      process.stderr.write(`cannot read ${file} (${code ?? String(error)})\n`);
      return 66;
    }
    events = [];
  }
  let shown = events.filter((e) => matches(e, filter));
  if (limit !== undefined) shown = shown.slice(-limit);
  const lines = shown.map(formatEvent);
  if (values.export) {
    await writeFile(values.export, lines.length > 0 ? `${lines.join("\n")}\n` : "", "utf8");
    process.stderr.write(`exported ${lines.length} event(s) to ${values.export}\n`);
  } else if (lines.length > 0) {
    process.stdout.write(`${lines.join("\n")}\n`);
  }
  if (!stopped) return 0;
  return follow(file, filter, events.at(-1)?.seq ?? 0, stopped);
}

function stopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/** Prints events numbered after `lastSeq` as they are written (the file may be compacted meanwhile). */
async function follow(
  file: string,
  filter: EventFilter,
  lastSeq: number,
  stopped: Promise<void>,
): Promise<number> {
  let seen = lastSeq;
  let lastSize = -1;
  let lastMtime = 0;
  return new Promise<number>((resolve) => {
    const timer = setInterval(async () => {
      try {
        const info = await stat(file);
        if (info.size === lastSize && info.mtimeMs === lastMtime) return;
        lastSize = info.size;
        lastMtime = info.mtimeMs;
        const fresh = (await readEvents(file)).filter((e) => e.seq > seen);
        for (const event of fresh) {
          seen = Math.max(seen, event.seq);
          if (matches(event, filter)) process.stdout.write(`${formatEvent(event)}\n`);
        }
      } catch {
        // Not there yet, or being replaced by a compaction: the next poll reads it.
      }
    }, FOLLOW_POLL_MS);
    void stopped.then(() => {
      clearInterval(timer);
      resolve(0);
    });
  });
}
