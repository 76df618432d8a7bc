/**
 * `opcua-redundancy discover URL [URL…] [--json] [--user NAME]`: what each server (or each server
 * registered with a Local Discovery Server) offers. Exit 0 when every URL answered, 69 when one
 * could not be reached, 64 on a usage error.
 */
import { parseArgs } from "node:util";
import type { DiscoveredServer, DiscoveryResult } from "../../discovery/discover.ts";

const USAGE = `Usage: opcua-redundancy discover URL [URL...] [--json] [--user NAME] [--timeout-ms T]

For each URL (an OPC UA server, or a Local Discovery Server: FindServers, then GetEndpoints of
every server registered with it): endpoints with security policies, modes and user token types,
ApplicationUri, ServerState, ServiceLevel, RedundancySupport, the partners the server names
(ServerUriArray / RedundantServerArray), NamespaceArray and operation limits.
  --json          one JSON document (an array, one entry per URL) for scripts
  --user NAME     log in as NAME, password in $OPCUA_PASSWORD (default: anonymous)
  --pki DIR       the client PKI (default: the gateway's, see 'opcua-redundancy pki')
  --timeout-ms T  per server (default 10000)
Exit codes: 0 every URL answered, 69 one could not be reached, 64 usage error.
`;

function indent(lines: string[], by = "    "): string[] {
  return lines.map((l) => by + l);
}

export function formatServer(server: DiscoveredServer): string[] {
  const lines = [
    `${server.applicationName || "(no name)"}  ${server.url}`,
    `  ApplicationUri: ${server.applicationUri}`,
    `  Endpoints (${server.endpoints.length}):`,
    ...indent(
      server.endpoints.map(
        (e) =>
          `${e.securityPolicy}/${e.securityMode} (level ${e.securityLevel}) users: ${e.userTokenTypes.join(", ") || "-"}  ${e.endpointUrl}`,
      ),
    ),
  ];
  const f = server.facts;
  if (!f) {
    lines.push(`  Session: none (${server.error ?? "unknown reason"})`);
    return lines;
  }
  lines.push(
    `  Session over: ${server.sessionEndpoint}`,
    `  ServerState: ${f.serverState ?? "?"}   ServiceLevel: ${f.serviceLevel ?? "?"}`,
    `  RedundancySupport: ${f.redundancySupport ?? "?"}`,
  );
  if (f.serverUriArray.length > 0) lines.push(`  ServerUriArray: ${f.serverUriArray.join(", ")}`);
  for (const r of f.redundantServerArray)
    lines.push(`  RedundantServer: ${r.serverId} (ServiceLevel ${r.serviceLevel}, ${r.serverState})`);
  lines.push(`  NamespaceArray:`, ...indent(f.namespaceArray.map((uri, i) => `${i}: ${uri}`)));
  const limits = Object.entries(f.operationLimits).filter(([, v]) => v > 0);
  lines.push(
    `  Operation limits: ${limits.length === 0 ? "none stated" : limits.map(([k, v]) => `${k}=${v}`).join(", ")}`,
  );
  return lines;
}

export function formatResult(result: DiscoveryResult, partners: (s: DiscoveredServer) => string[]): string {
  if (result.error) return `${result.url}: unreachable: ${result.error}`;
  const head = result.isDiscoveryServer
    ? [`${result.url}: discovery server, ${result.servers.length} registered server(s)`]
    : [];
  const body = result.servers.flatMap((server) => {
    const suggested = partners(server);
    return [
      ...formatServer(server),
      ...(suggested.length > 0 ? [`  Suggested partners (its redundant set): ${suggested.join(", ")}`] : []),
    ];
  });
  return [...head, ...body].join("\n");
}

export async function run(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(args);
  } catch (error) {
    process.stderr.write(`opcua-redundancy discover: ${(error as Error).message}\n\n${USAGE}`);
    return 64;
  }
  if (parsed === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const { nodeOpcuaLogsToStderr } = await import("../node-opcua-stderr.ts");
  nodeOpcuaLogsToStderr();
  const { discover, suggestedPartners } = await import("../../discovery/discover.ts");
  const results: DiscoveryResult[] = [];
  for (const url of parsed.urls) results.push(await discover(url, parsed.options));
  if (parsed.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else process.stdout.write(`${results.map((r) => formatResult(r, suggestedPartners)).join("\n\n")}\n`);
  return results.some((r) => r.error !== null) ? 69 : 0;
}

function parseOptions(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      user: { type: "string" },
      pki: { type: "string" },
      "timeout-ms": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help" as const;
  if (positionals.length === 0) throw new Error("expected at least one URL");
  const bad = positionals.find((u) => !u.startsWith("opc.tcp://"));
  if (bad) throw new Error(`expected an opc.tcp:// URL, got "${bad}"`);
  const timeoutMs = values["timeout-ms"] === undefined ? undefined : Number(values["timeout-ms"]);
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs >= 100))
    throw new Error(`--timeout-ms must be an integer >= 100, got "${values["timeout-ms"]}"`);
  const password = process.env.OPCUA_PASSWORD;
  if (values.user !== undefined && !password) throw new Error("--user needs the password in $OPCUA_PASSWORD");
  return {
    urls: positionals,
    json: values.json === true,
    options: {
      ...(values.user !== undefined ? { user: { name: values.user, password: password ?? "" } } : {}),
      ...(values.pki !== undefined ? { pkiFolder: values.pki } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    },
  };
}
