/**
 * `opcua-redundancy health [--url URL] [--timeout-ms MS] [--quiet]`: can this gateway instance serve
 * every one of its pairs now? Made for keepalived's `track_script` (and any other health check):
 * one GET /api/status on the local instance with a short timeout, no configuration to load.
 *
 * A pair can be served when its endpoint is running (not starting, not shutting down), its address
 * space is served, and its endpoint's ServiceLevel is 2 or more (an upstream server active with
 * data: not Maintenance 0, not NoData 1).
 *
 * Exit codes: 0 every pair can be served; 1 some pair cannot (each named on stderr); 69 no answer
 * within the timeout (the instance is down or hung); 64 usage.
 */
import { parseArgs } from "node:util";
import { callApi, EXIT, gatewayUrl } from "../http-api-client.ts";

const usage = "Usage: opcua-redundancy health [--url http://127.0.0.1:8080] [--timeout-ms 2000] [--quiet]\n";

interface PairHealth {
  name: string;
  phase?: string;
  addressSpace?: string;
  serviceLevel?: number;
  active: string | null;
}

/** Why a pair cannot be served now, or null when it can. */
export function pairProblem(pair: PairHealth): string | null {
  if (pair.phase !== undefined && pair.phase !== "running") return `endpoint ${pair.phase}`;
  if (pair.addressSpace !== "mirrored") return "address space not served yet";
  if (pair.active === null) return "no upstream server active";
  if (typeof pair.serviceLevel === "number" && pair.serviceLevel < 2)
    return `ServiceLevel ${pair.serviceLevel}`;
  return null;
}

export async function run(args: string[]): Promise<number> {
  let values: { url?: string; "timeout-ms"?: string; quiet?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: { url: { type: "string" }, "timeout-ms": { type: "string" }, quiet: { type: "boolean" } },
    }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    return EXIT.usage;
  }
  const timeoutMs = Number(values["timeout-ms"] ?? 2000);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    process.stderr.write(`--timeout-ms: expected a positive integer, got ${values["timeout-ms"]}\n${usage}`);
    return EXIT.usage;
  }
  const answer = await callApi(gatewayUrl(values), "/api/status", { timeoutMs });
  if (!answer) return EXIT.unavailable;
  const pairs = answer.status === 200 ? (answer.body.pairs as PairHealth[] | undefined) : undefined;
  if (!Array.isArray(pairs)) {
    process.stderr.write(`opcua-redundancy: unexpected answer from the gateway (HTTP ${answer.status})\n`);
    return EXIT.unavailable;
  }
  const problems = pairs.flatMap((pair) => {
    const problem = pairProblem(pair);
    return problem ? [`${pair.name}: ${problem}`] : [];
  });
  for (const line of problems) process.stderr.write(`${line}\n`);
  if (!values.quiet && problems.length === 0) process.stdout.write(`ok: ${pairs.length} pair(s) served\n`);
  return problems.length === 0 ? EXIT.ok : EXIT.refused;
}
