// The library against two simulated servers: follow a value, read, write, fail over once, stop.
// In your application the servers are your plant's; here the package's simulator plays them.
import { RedundancyError, RedundantClient, startSimulator } from "opcua-redundancy";

const primary = await startSimulator({ tickMs: 50, sharedClock: true });
const secondary = await startSimulator({ tickMs: 50, sharedClock: true });

const pair = new RedundantClient({
  name: "line1",
  mode: "hot",
  servers: [{ url: primary.endpointUrl }, { url: secondary.endpointUrl }],
  statusQuery: { intervalMs: 500, timeoutMs: 1000 },
  failback: { policy: "manual" },
});
const switched = new Promise((resolve) =>
  pair.on("failover", (e) => {
    console.log(`failover ${e.fromName ?? "none"} → ${e.toName}: ${e.reason} (${e.detail})`);
    if (e.reason !== "initial") resolve(e);
  }),
);
await pair.start(); // resolves once a server is active, or every server failed once

const until = async (condition) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
};
let counter;
const handle = pair.monitor("ns=1;s=Counter", {}, (dataValue) => {
  counter = dataValue.value.value;
});
const [sine] = await pair.read(["ns=1;s=Sine"], /* maxAge */ 0);
console.log(`Sine = ${sine.value.value}`);
const [written] = await pair.write([
  { nodeId: "ns=1;s=Status", attributeId: 13, value: { value: { dataType: "Int32", value: 42 } } },
]);
console.log(`write Status: ${written.name}`);

await until(() => counter !== undefined);

// The primary goes away: the pair switches to the secondary and the values keep coming.
await primary.stop();
await switched;
const before = counter;
await until(() => counter !== before);
console.log(`active ${pair.status().active}, Counter ${before} → ${counter}`);

try {
  pair.failover(0); // the primary is down: refused with a stable code
} catch (error) {
  if (!(error instanceof RedundancyError)) throw error;
  console.log(`operator failover refused: ${error.code}`);
}

handle.stop();
await pair.stop();
await secondary.stop();
