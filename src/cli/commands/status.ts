/** `opcua-redundancy status [--url URL] [--json]`: the pairs of a running gateway, as a table. */
import { parseArgs } from "node:util";
import { callApi, EXIT, failure, gatewayUrl } from "../http-api-client.ts";

const usage = "Usage: opcua-redundancy status [--url http://127.0.0.1:8080] [--json]\n";

interface ServerRow {
  url: string;
  name: string;
  state: string;
  active: boolean;
  serverState: string | null;
  serviceLevel: number | null;
  lastError: string | null;
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
  let values: { url?: string; json?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { url: { type: "string" }, json: { type: "boolean" } } }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    return EXIT.usage;
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
