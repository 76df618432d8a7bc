/**
 * A plain OPC UA client (node-opcua's own reconnection, nothing of this project) for the VIP test,
 * run inside a network namespace: subscribes ns=1;s=Counter at the URL in argv[2] and prints one
 * JSON line per value ({ value, status, at }) and per connection event ({ event, at }).
 */
import { AttributeIds, OPCUAClient, TimestampsToReturn } from "node-opcua";

const url = process.argv[2]!;
const print = (line: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ ...line, at: Date.now() })}\n`);
const client = OPCUAClient.create({
  endpointMustExist: false,
  connectionStrategy: { maxRetry: 100_000, initialDelay: 100, maxDelay: 500 },
  keepSessionAlive: true,
  // A connection attempt made while the VIP moves can hit the old holder and hang on TCP SYN
  // retries: a short transport timeout (socket timeout = half of it) abandons it, as a client
  // configured for a VIP should (node-opcua's default is much longer).
  transportTimeout: 4000,
});
for (const event of ["connection_lost", "connection_reestablished", "after_reconnection"] as const)
  client.on(event, () => print({ event }));
await client.connect(url);
const session = await client.createSession();
const subscription = await session.createSubscription2({
  requestedPublishingInterval: 50,
  requestedMaxKeepAliveCount: 10,
  requestedLifetimeCount: 100,
  publishingEnabled: true,
});
const item = await subscription.monitor(
  { nodeId: "ns=1;s=Counter", attributeId: AttributeIds.Value },
  { samplingInterval: 0, queueSize: 1000, discardOldest: true },
  TimestampsToReturn.Both,
);
item.on("changed", (dv) => print({ value: dv.value.value, status: dv.statusCode.name }));
print({ event: "subscribed" });
process.on("SIGTERM", () => {
  void client.disconnect().finally(() => process.exit(0));
});
