/**
 * Child process for the stop() leak test: a RedundantClient on the URL in argv[2]. Prints "ready"
 * when connected, "lost" when its link is lost; on "stop" from stdin it calls stop(), prints
 * "stopped" and must then exit by itself (nothing left open), without process.exit().
 */
import { RedundantClient } from "../../src/client/redundant-client.ts";

const url = process.argv[2]!;
const client = new RedundantClient({
  name: "stop-child",
  mode: "hot",
  servers: [{ url }],
  statusQuery: { intervalMs: 250, timeoutMs: 1000 },
});
client.on("linkStateChanged", (c) => {
  if (c.to === "lost") process.stdout.write("lost\n");
});
client.monitor("ns=1;s=Counter", {}, () => undefined);
await client.start();
process.stdout.write("ready\n");
process.stdin.setEncoding("utf8");
process.stdin.on("data", async (text: string) => {
  if (!text.includes("stop")) return;
  process.stdin.pause();
  process.stdin.unref();
  await client.stop();
  process.stdout.write("stopped\n");
});
