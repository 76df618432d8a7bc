/** `opcua-redundancy reload [--url URL] [--token T]`: the running gateway re-reads its configuration file. */
import { parseArgs } from "node:util";
import { callApi, EXIT, failure, gatewayUrl, tokenFrom } from "../http-api-client.ts";

const usage =
  "Usage: opcua-redundancy reload [--url http://127.0.0.1:8080] [--token T | --token-file F]\n" +
  "  (or send SIGHUP to the gateway process)\n";

export async function run(args: string[]): Promise<number> {
  let values: { url?: string; token?: string; "token-file"?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: { url: { type: "string" }, token: { type: "string" }, "token-file": { type: "string" } },
    }));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    return EXIT.usage;
  }
  const answer = await callApi(gatewayUrl(values), "/api/reload", {
    method: "POST",
    token: tokenFrom(values),
    body: {},
  });
  if (!answer) return EXIT.unavailable;
  if (answer.status !== 200) return failure(answer);
  const list = (key: string) => ((answer.body[key] as string[] | undefined) ?? []).join(", ") || "-";
  process.stdout.write(
    `reloaded: added ${list("added")}; removed ${list("removed")}; reconfigured ${list("reconfigured")}; unchanged ${list("unchanged")}\n`,
  );
  return EXIT.ok;
}
