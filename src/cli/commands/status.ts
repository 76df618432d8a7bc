/**
 * `opcua-redundancy status [--url URL] [--json]`: the pairs of a running gateway, as a table.
 * `status --config FILE [--json]`: every instance of the fleet the file describes (fleet-status.ts);
 * exit 0 when every instance answered and every pair is served, 1 when not, 69 when none answered.
 */
import { parseArgs } from "node:util";
import { callApi, EXIT, failure, gatewayUrl } from "../http-api-client.ts";

const usage =
  "Usage: opcua-redundancy status [--url http://127.0.0.1:8080 | --config FILE] [--json] [--timeout-ms MS]\n";

interface ServerRow {
  url: string;
  name: string;
  state: string;
  active: boolean;
  serverState: string | null;
  serviceLevel: number | null;
  lastError: string | null;
  /** Absent from gateways older than 0.2 (fleet status may ask one). */
  clock?: { offsetMs: number | null; rttMs: number | null; steps: number };
}
interface PairRow {
  name: string;
  mode: string;
  state: string;
  active: string | null;
  failovers: number;
  servers: ServerRow[];
}

export async function run(args: string[]): Promise<number> {
  let values: { url?: string; json?: boolean; config?: string; "timeout-ms"?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        url: { type: "string" },
        json: { type: "boolean" },
        config: { type: "string" },
        "timeout-ms": { type: "string" },
      },
    }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    return EXIT.usage;
  }
  if (values.config !== undefined) {
    if (values.url !== undefined) {
      process.stderr.write(`--url and --config exclude each other\n${usage}`);
      return EXIT.usage;
    }
    const timeoutMs = Number(values["timeout-ms"] ?? 3000);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
      process.stderr.write(`--timeout-ms: expected a positive integer\n${usage}`);
      return EXIT.usage;
    }
    return fleet(values.config, timeoutMs, values.json === true);
  }
  const answer = await callApi(gatewayUrl(values), "/api/status");
  if (!answer) return EXIT.unavailable;
  if (answer.status !== 200) return failure(answer);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(answer.body, null, 2)}\n`);
    return EXIT.ok;
  }
  process.stdout.write(formatStatusTable(answer.body.pairs as PairRow[]));
  return EXIT.ok;
}

async function fleet(file: string, timeoutMs: number, json: boolean): Promise<number> {
  const { loadConfigFile, ConfigError } = await import("../../config/load.ts");
  const { fleetStatus } = await import("../fleet-status.ts");
  let config: Awaited<ReturnType<typeof loadConfigFile>>;
  try {
    config = await loadConfigFile(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return error.code === "ERR_CONFIG_UNREADABLE" ? 66 : EXIT.config;
  }
  const report = await fleetStatus(config, timeoutMs);
  if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    for (const instance of report.instances) {
      process.stdout.write(
        `== ${instance.name} ${instance.url ?? ""}${instance.error ? `: ${instance.error}` : ""}\n`,
      );
      if (instance.pairs) process.stdout.write(formatStatusTable(instance.pairs as unknown as PairRow[]));
    }
    for (const [pair, by] of Object.entries(report.servedBy))
      process.stdout.write(`${pair}: ${by.length > 0 ? `served by ${by.join(", ")}` : "NOT SERVED"}\n`);
  }
  if (report.instances.every((i) => i.pairs === null)) return EXIT.unavailable;
  const complete = report.unserved.length === 0 && report.instances.every((i) => i.pairs !== null);
  return complete ? EXIT.ok : EXIT.refused;
}

/** The server's clock against the gateway's: "+1502 ms ±1", and its steps when it stepped. */
export function formatClock(clock: ServerRow["clock"]): string {
  if (!clock || clock.offsetMs === null) return "-";
  const sign = clock.offsetMs >= 0 ? "+" : "";
  const uncertainty = clock.rttMs === null ? "" : ` ±${Math.ceil(clock.rttMs / 2)}`;
  const steps = clock.steps > 0 ? `, ${clock.steps} step${clock.steps === 1 ? "" : "s"}` : "";
  return `${sign}${clock.offsetMs} ms${uncertainty}${steps}`;
}

/** One line per server, grouped by pair; `*` marks the active server. */
export function formatStatusTable(pairs: PairRow[]): string {
  const header = [
    "PAIR",
    "MODE",
    "STATE",
    "FAILOVERS",
    "",
    "SERVER",
    "LINK",
    "SERVERSTATE",
    "LEVEL",
    "CLOCK",
    "LAST ERROR",
  ];
  const rows: string[][] = [];
  for (const pair of pairs) {
    pair.servers.forEach((server, i) => {
      rows.push([
        i === 0 ? pair.name : "",
        i === 0 ? pair.mode : "",
        i === 0 ? pair.state : "",
        i === 0 ? String(pair.failovers) : "",
        server.active ? "*" : "",
        `${server.name} (${server.url})`,
        server.state,
        server.serverState ?? "-",
        server.serviceLevel === null ? "-" : String(server.serviceLevel),
        formatClock(server.clock),
        server.lastError ?? "",
      ]);
    });
  }
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    `${cells
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join("  ")
      .trimEnd()}\n`;
  return [line(header), ...rows.map(line)].join("");
}
