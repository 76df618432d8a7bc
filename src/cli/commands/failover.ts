/** `opcua-redundancy failover PAIR [--to URL] [--url URL] [--token T]`: an operator switch. */
import { parseArgs } from "node:util";
import { callApi, EXIT, failure, gatewayUrl, tokenFrom } from "../http-api-client.ts";

const usage =
  "Usage: opcua-redundancy failover PAIR [--to opc.tcp://server] [--url http://127.0.0.1:8080] [--token T | --token-file F]\n" +
  "  without --to: the best other server; the token may also come from $OPCUA_REDUNDANCY_TOKEN\n";

export async function run(args: string[]): Promise<number> {
  let values: { to?: string; url?: string; token?: string; "token-file"?: string };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        to: { type: "string" },
        url: { type: "string" },
        token: { type: "string" },
        "token-file": { type: "string" },
      },
    }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    return EXIT.usage;
  }
  const [pair] = positionals;
  if (!pair || positionals.length !== 1) {
    process.stderr.write(usage);
    return EXIT.usage;
  }
  const answer = await callApi(gatewayUrl(values), `/api/pairs/${encodeURIComponent(pair)}/failover`, {
    method: "POST",
    token: tokenFrom(values),
    body: values.to === undefined ? {} : { to: values.to },
  });
  if (!answer) return EXIT.unavailable;
  if (answer.status !== 200) return failure(answer);
  const status = answer.body.pair as { active: string | null } | undefined;
  process.stdout.write(`${pair}: active ${status?.active ?? "none"}\n`);
  return EXIT.ok;
}
