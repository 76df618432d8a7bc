/**
 * `opcua-redundancy check-config FILE`: validates a configuration file.
 * Exit codes (sysexits): 0 valid, 64 usage, 66 file unreadable, 78 configuration invalid.
 */
import type { GatewayConfig, PairConfig } from "../../config/schema.ts";

const EX_OK = 0;
const EX_USAGE = 64;
const EX_NOINPUT = 66;
const EX_CONFIG = 78;

const USAGE = `Usage: opcua-redundancy check-config FILE

Validates a configuration file (YAML or JSON) and prints every problem with its path.
Exit codes: 0 valid, 64 usage error, 66 file cannot be read, 78 configuration invalid.
`;

function describePair(pair: PairConfig): string {
  const listen = pair.listen ? `${pair.listen.host}:${pair.listen.port}` : "-";
  const lines = [`  ${pair.name}: mode ${pair.mode}, listen ${listen}, ${pair.servers.length} server(s)`];
  pair.servers.forEach((server, index) => {
    const role = index === 0 ? "primary" : `backup ${index}`;
    const label = server.name && !server.url.includes(server.name) ? ` (${server.name})` : "";
    lines.push(`    ${role}: ${server.url}${label}`);
  });
  if (pair.monitors.length > 0) {
    lines.push(`    monitors: ${pair.monitors.length}, failover when ${pair.failureCount} failing`);
  }
  return lines.join("\n");
}

export function summarize(file: string, config: GatewayConfig): string {
  const count = config.pairs.length;
  const head = `${file}: valid, ${count} pair${count === 1 ? "" : "s"}`;
  const http = config.http ? [`  http: ${config.http.host}:${config.http.port}`] : [];
  return [head, ...config.pairs.map(describePair), ...http].join("\n");
}

export async function run(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(USAGE);
    return EX_OK;
  }
  const [file, ...rest] = args;
  if (file === undefined || rest.length > 0 || file.startsWith("-")) {
    process.stderr.write(file === undefined ? USAGE : `check-config: expected one FILE argument\n\n${USAGE}`);
    return EX_USAGE;
  }
  // Loaded here, not at the top: validation pulls in node-opcua (NodeIds), which takes a while.
  const { ConfigError, loadConfigFile } = await import("../../config/load.ts");
  try {
    const config = await loadConfigFile(file);
    process.stdout.write(`${summarize(file, config)}\n`);
    return EX_OK;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    if (error.code === "ERR_CONFIG_UNREADABLE") return EX_NOINPUT;
    const n = error.issues.length;
    process.stderr.write(`${file}: invalid, ${n} problem${n === 1 ? "" : "s"}\n`);
    return EX_CONFIG;
  }
}
