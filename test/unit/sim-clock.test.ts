import assert from "node:assert/strict";
import { test } from "node:test";
import { Ticker } from "../../src/simulator/ticker.ts";

test("own clock: the device's Counter sampled on the server's phase, stamped with its clock", () => {
  let offset = 1500;
  const ticker = new Ticker({
    tickMs: 50,
    sharedClock: true,
    startMs: 0,
    ownClock: { phaseMs: 20, offsetMs: () => offset },
  });
  assert.equal(ticker.delayToNextTick(1_000_000), 20); // samples 20 ms after each device tick
  const [first] = ticker.advance(1_000_020);
  assert.equal(first?.counter, 20_000); // the device's value: floor(unix_ms / tick)
  assert.equal(first?.timestamp.getTime(), 1_000_020 + 1500);
  offset = -600_000; // the server's clock steps back: the Counter does not
  const [next] = ticker.advance(1_000_070);
  assert.equal(next?.counter, 20_001);
  assert.equal(next?.timestamp.getTime(), 1_000_070 - 600_000);
});

test("shared clock without own clock: device timestamps, whatever the server's clock", () => {
  const ticker = new Ticker({ tickMs: 50, sharedClock: true, startMs: 0, offsetMs: () => 1500 });
  const [tick] = ticker.advance(1_000_020);
  assert.equal(tick?.timestamp.getTime(), 1_000_000);
});
