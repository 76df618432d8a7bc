/**
 * `opcua-redundancy check-pair URL URL... [--json]`: are these servers interchangeable for
 * failover? Exit 0 yes, 1 no (the differences are printed with counts and examples), 69 a server
 * could not be checked, 64 usage error.
 */
import { parseArgs } from "node:util";
import type { PairCheckResult } from "../../pair-check/compare.ts";

const USAGE = `Usage: opcua-redundancy check-pair URL URL [URL...] [--json] [--user NAME] [--timeout-ms T]

Browses every server (from Objects, the Server object excluded) and compares each with the first:
the variables and methods by NodeId (namespace indices re-mapped by URI) and by browse path, their
DataType, ValueRank and AccessLevel, the namespaces, and the security of the endpoints.
  --json          the result as JSON
  --user NAME     log in as NAME, password in $OPCUA_PASSWORD (default: anonymous)
  --pki DIR       the client PKI (default: the gateway's)
  --timeout-ms T  connection timeout per server (default 10000)
Exit codes: 0 interchangeable, 1 not interchangeable, 69 a server could not be checked, 64 usage.
`;

export function formatPairCheck(result: PairCheckResult, lines: string[]): string {
  const p = result.primary;
  const head = [
    `primary ${p.url}: ${p.variables.toLocaleString("en-US")} variables, ${p.methods.toLocaleString("en-US")} methods`,
    ...result.comparisons.map(
      (c) =>
        `compared ${c.url}: ${c.variables.toLocaleString("en-US")} variables, ${c.methods.toLocaleString("en-US")} methods`,
    ),
  ];
  const verdict = result.interchangeable ? "interchangeable" : "NOT interchangeable";
  return [...head, ...lines.map((l) => `  ${l}`), verdict].join("\n");
}

export async function run(args: string[]): Promise<number> {
  let values: { json?: boolean; user?: string; pki?: string; "timeout-ms"?: string; help?: boolean };
  let urls: string[];
  try {
    const parsed = parseArgs({
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
    values = parsed.values;
    urls = parsed.positionals;
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (urls.length < 2) throw new Error("expected at least two URLs");
    const bad = urls.find((u) => !u.startsWith("opc.tcp://"));
    if (bad) throw new Error(`expected an opc.tcp:// URL, got "${bad}"`);
    if (values.user !== undefined && !process.env.OPCUA_PASSWORD)
      throw new Error("--user needs the password in $OPCUA_PASSWORD");
  } catch (error) {
    process.stderr.write(`opcua-redundancy check-pair: ${(error as Error).message}\n\n${USAGE}`);
    return 64;
  }
  const { nodeOpcuaLogsToStderr } = await import("../node-opcua-stderr.ts");
  nodeOpcuaLogsToStderr();
  const { checkPair } = await import("../../pair-check/check-pair.ts");
  const { describeDifferences } = await import("../../pair-check/compare.ts");
  const timeoutMs = values["timeout-ms"] === undefined ? undefined : Number(values["timeout-ms"]);
  try {
    const result = await checkPair(urls, {
      ...(values.user !== undefined
        ? { user: { name: values.user, password: process.env.OPCUA_PASSWORD ?? "" } }
        : {}),
      ...(values.pki !== undefined ? { pkiFolder: values.pki } : {}),
      ...(timeoutMs !== undefined && Number.isFinite(timeoutMs) ? { timeoutMs } : {}),
    });
    if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else
      process.stdout.write(
        `${formatPairCheck(result, describeDifferences(result))}\n(${result.timings.totalMs} ms)\n`,
      );
    return result.interchangeable ? 0 : 1;
  } catch (error) {
    process.stderr.write(`opcua-redundancy check-pair: ${(error as Error).message}\n`);
    return 69;
  }
}
