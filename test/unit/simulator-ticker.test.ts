import assert from "node:assert/strict";
import { test } from "node:test";
import { Ticker } from "../../src/simulator/ticker.ts";

test("Ticker (shared clock) replays every missed tick after a late timer, capped at 5 s", () => {
  const ticker = new Ticker({ tickMs: 20, sharedClock: true, startMs: 0 });
  assert.deepEqual(
    ticker.advance(1_000_005).map((t) => [t.counter, t.timestamp.getTime()]),
    [[50_000, 1_000_000]],
  );
  assert.deepEqual(ticker.advance(1_000_019), [], "same tick: nothing new");
  const late = ticker.advance(1_000_075); // timer 55 ms late: ticks 50001..50003
  assert.deepEqual(
    late.map((t) => [t.counter, t.timestamp.getTime()]),
    [
      [50_001, 1_000_020],
      [50_002, 1_000_040],
      [50_003, 1_000_060],
    ],
  );
  assert.equal(late[0]!.sine, Math.sin((2 * Math.PI * 50_001) / 100));
  const jump = ticker.advance(1_000_060 + 60_000); // a minute late: only the last 5 s are replayed
  assert.equal(jump.length, 250);
  assert.equal(jump.at(-1)!.counter, 53_003);
  assert.equal(ticker.delayToNextTick(1_060_065), 15);
  const wrapped = new Ticker({ tickMs: 10, sharedClock: true, startMs: 0 }).advance(2 ** 31 * 10 + 15);
  assert.equal(wrapped[0]!.counter, 1, "Int32 range: modulo 2^31");
});

test("Ticker without shared clock counts from 0 with the current time", () => {
  const ticker = new Ticker({ tickMs: 100, sharedClock: false, startMs: 5_000 });
  assert.deepEqual(
    ticker.advance(5_010).map((t) => [t.counter, t.timestamp.getTime()]),
    [[0, 5_010]],
  );
  assert.deepEqual(
    ticker.advance(5_250).map((t) => [t.counter, t.timestamp.getTime()]),
    [
      [1, 5_250],
      [2, 5_250],
    ],
  );
});
