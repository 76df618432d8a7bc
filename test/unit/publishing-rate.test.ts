import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MonitoredItemBase, Subscription } from "node-opcua";
import { DownstreamRates } from "../../src/gateway/downstream-rates.ts";
import { PublishingRate } from "../../src/upstream/publishing-rate.ts";

const configured = { publishingIntervalMs: 100, keepAliveCount: 10, lifetimeCount: 300, queueSize: 1000 };

describe("PublishingRate", () => {
  it("keeps the keep-alive and lifetime times when the interval changes", () => {
    const rate = new PublishingRate(configured);
    assert.deepEqual(rate.parameters(), {
      requestedPublishingInterval: 100,
      requestedMaxKeepAliveCount: 10,
      requestedLifetimeCount: 300,
    });
    assert.equal(rate.set(1000), true);
    assert.deepEqual(rate.parameters(), {
      requestedPublishingInterval: 1000,
      requestedMaxKeepAliveCount: 1,
      requestedLifetimeCount: 30,
    });
    rate.set(20);
    assert.deepEqual(rate.parameters(), {
      requestedPublishingInterval: 20,
      requestedMaxKeepAliveCount: 50,
      requestedLifetimeCount: 1500,
    });
    rate.set(5000); // keep-alive at least 1 interval, lifetime at least 3 keep-alives
    assert.deepEqual(rate.parameters(), {
      requestedPublishingInterval: 5000,
      requestedMaxKeepAliveCount: 1,
      requestedLifetimeCount: 6,
    });
    assert.equal(rate.set(5000), false, "the same interval again is no change");
    assert.equal(rate.set(null), true);
    assert.equal(rate.intervalMs, 100, "null: the configured interval");
  });
});

describe("DownstreamRates", () => {
  const subscription = (publishingInterval: number) => ({ publishingInterval }) as unknown as Subscription;
  const item = (samplingInterval: number) => ({ samplingInterval }) as unknown as MonitoredItemBase;
  const turn = () => new Promise((resolve) => setImmediate(resolve));

  it("announces the fastest interval once per turn, and null when the last item goes", async () => {
    const seen: (number | null)[] = [];
    const rates = new DownstreamRates((ms) => seen.push(ms));
    const slow = item(0);
    const fast = item(0);
    const sampledSlowly = item(2000);
    rates.add(subscription(1000), slow);
    rates.add(subscription(50), fast);
    rates.add(subscription(50), sampledSlowly); // publishes every 50 ms, samples every 2 s: 2 s
    rates.add(subscription(50), fast); // the same item twice counts once
    await turn();
    assert.deepEqual(seen, [50], "one announcement for the burst");
    rates.remove(fast);
    await turn();
    assert.deepEqual(seen, [50, 1000]);
    rates.remove(sampledSlowly);
    rates.remove(sampledSlowly);
    await turn();
    assert.deepEqual(seen, [50, 1000], "no change, no announcement");
    rates.remove(slow);
    await turn();
    assert.deepEqual(seen, [50, 1000, null]);
  });
});
