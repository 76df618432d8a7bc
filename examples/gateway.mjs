// The gateway in-process: one pair in front of two simulated servers, its status, then stop.
// `config` may also be the path of a configuration file (YAML or JSON), as for `start --config`.
import { startGateway, startSimulator } from "opcua-redundancy";

const primary = await startSimulator({ tickMs: 100 });
const secondary = await startSimulator({ tickMs: 100 });

const gateway = await startGateway({
  config: {
    pairs: [
      {
        name: "line1",
        listen: { host: "127.0.0.1", port: Number(process.env.GATEWAY_PORT ?? 4841) },
        mode: "warm",
        servers: [{ url: primary.endpointUrl }, { url: secondary.endpointUrl }],
        // This demo opts out of secure-by-default downstream; a plant keeps signed + encrypted.
        security: { allowNone: true, anonymous: true },
      },
    ],
    http: { host: "127.0.0.1", port: Number(process.env.HTTP_PORT ?? 8080) },
  },
  dataDir: process.env.DATA_DIR ?? "./data",
});
for (const pair of gateway.pairs) console.log(`${pair.name} served at ${pair.endpointUrl}`);

while (gateway.status()[0].active === null) await new Promise((resolve) => setTimeout(resolve, 50));
const response = await fetch(`${gateway.httpUrl}/api/status`);
const { pairs } = await response.json();
console.log(`status page ${gateway.httpUrl}: line1 active ${pairs[0].active}`);

await gateway.stop();
await Promise.all([primary.stop(), secondary.stop()]);
