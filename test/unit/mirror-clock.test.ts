import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ClockOffsetEstimator, correctionOffset } from "../../src/redundancy/clock-offset.ts";
import { ItemMirror, type MirrorOptions } from "../../src/redundancy/mirror.ts";

/** A sample: source time `t`, value `v`, Bad flag, and the correction its server's clock needs. */
interface Sample {
  t: number;
  v: number;
  bad?: boolean;
  corr?: number;
}

function setup(serverCount: number, options: Partial<MirrorOptions<Sample>> = {}) {
  const out: string[] = [];
  const regressions: number[] = [];
  const mirror = new ItemMirror<Sample>({
    serverCount,
    buffered: true,
    bufferSize: 100,
    timeOf: (s) => s.t,
    correctionOf: (s) => s.corr ?? 0,
    sameSample: (a, b) => a.v === b.v && (a.bad ?? false) === (b.bad ?? false),
    deliver: (s, server) => out.push(`${s.v}${s.bad ? "!" : ""}@${server}`),
    onRegression: (_server, ms) => regressions.push(ms),
    ...options,
  });
  const drain = () => out.splice(0);
  return { mirror, drain, regressions };
}

describe("live-stream time regressions (ordering.maxRegressionMs)", () => {
  test("a live value older by more than maxRegressionMs is delivered and reported; smaller ones dropped", () => {
    const { mirror, drain, regressions } = setup(1, { maxRegressionMs: 5000 });
    mirror.activate(0);
    mirror.offer(0, { t: 100_000, v: 1 });
    mirror.offer(0, { t: 97_000, v: 2 }); // 3 s back: the strict rule
    mirror.offer(0, { t: 40_000, v: 3 }); // 60 s back: a device clock that jumped
    mirror.offer(0, { t: 40_050, v: 4 }); // and the stream goes on from there
    assert.deepEqual(drain(), ["1@0", "3@0", "4@0"]);
    assert.deepEqual(regressions, [60_000]);
  });

  test("replayed values (Republish) and buffered standby values keep the strict rule", () => {
    const { mirror, drain, regressions } = setup(2, { maxRegressionMs: 5000 });
    mirror.activate(0);
    mirror.offer(0, { t: 100_000, v: 1 });
    mirror.offer(0, { t: 10_000, v: 2 }, false);
    mirror.offer(1, { t: 10_000, v: 3 });
    mirror.activate(1);
    assert.deepEqual(drain(), ["1@0"]);
    assert.deepEqual(regressions, []);
  });

  test("the first value after a switch keeps the strict rule (a warm standby's cached sample, minutes old)", () => {
    const { mirror, drain, regressions } = setup(2, { buffered: false, maxRegressionMs: 5000 });
    mirror.activate(0);
    mirror.offer(0, { t: 400_000, v: 1 });
    mirror.activate(1); // warm failover: SetMonitoringMode(Reporting) on server 1
    mirror.offer(1, { t: 195_000, v: 2 }); // its value from when it was disabled, 205 s ago
    mirror.offer(1, { t: 400_050, v: 3 }); // then its fresh sample
    mirror.offer(1, { t: 300_000, v: 4 }); // a later live regression is still a regression
    assert.deepEqual(drain(), ["1@0", "3@1", "4@1"]);
    assert.deepEqual(regressions, [100_050]);
  });

  test("so does the first value after the source's stream restarted (a re-created item)", () => {
    const { mirror, drain } = setup(1, { maxRegressionMs: 5000 });
    mirror.activate(0);
    mirror.offer(0, { t: 400_000, v: 1 });
    mirror.resetServer(0);
    mirror.offer(0, { t: 100_000, v: 2 });
    mirror.offer(0, { t: 400_050, v: 3 });
    assert.deepEqual(drain(), ["1@0", "3@0"]);
  });

  test("without maxRegressionMs no regression is ever delivered", () => {
    const { mirror, drain } = setup(1);
    mirror.activate(0);
    mirror.offer(0, { t: 100_000, v: 1 });
    mirror.offer(0, { t: 1, v: 2 });
    assert.deepEqual(drain(), ["1@0"]);
  });
});

describe("clock steps re-base the ordering", () => {
  test("a step back smaller than maxRegressionMs is taken as the new baseline once", () => {
    const { mirror, drain, regressions } = setup(1, { maxRegressionMs: 60_000 });
    mirror.activate(0);
    mirror.offer(0, { t: 100_000, v: 1 });
    mirror.offer(0, { t: 97_050, v: 2 }); // stepped back 3 s: dropped until the step is known
    mirror.clockStepped(0, -3000, 1000);
    mirror.offer(0, { t: 97_100, v: 3 });
    mirror.offer(0, { t: 97_150, v: 4 });
    mirror.offer(0, { t: 97_120, v: 5 }); // the allowance is used up: strict again
    assert.deepEqual(drain(), ["1@0", "3@0", "4@0"]);
    assert.deepEqual(regressions, []);
  });

  test("a forward step needs nothing; a value arriving late from before it is not taken as a step", () => {
    const { mirror, drain } = setup(1, { maxRegressionMs: 60_000 });
    mirror.activate(0);
    mirror.offer(0, { t: 100_000, v: 1 });
    mirror.offer(0, { t: 700_000, v: 2 });
    mirror.clockStepped(0, 600_000, 1000);
    mirror.offer(0, { t: 700_050, v: 3 });
    assert.deepEqual(drain(), ["1@0", "2@0", "3@0"]);
  });

  test("a stepped standby's buffered values (old clock) are dropped", () => {
    const { mirror, drain } = setup(2);
    mirror.activate(0);
    mirror.offer(0, { t: 1000, v: 1 });
    // the standby's clock stepped 10 min ahead and stamps with it (its correction is the offset)
    mirror.offer(1, { t: 601_050, v: 2, corr: 600_000 });
    mirror.offer(1, { t: 1060, v: 8 }); // a device timestamp: kept
    mirror.clockStepped(1, 600_000, 1000);
    mirror.offer(1, { t: 601_100, v: 3, corr: 600_000 });
    mirror.activate(1);
    assert.deepEqual(drain(), ["1@0", "8@1", "3@1"]);
  });

  test("a step back re-bases only a regression of the step's size", () => {
    const { mirror, drain } = setup(1, { maxRegressionMs: 3_600_000 });
    mirror.activate(0);
    mirror.offer(0, { t: 700_000, v: 1 });
    mirror.clockStepped(0, -600_000, 1000);
    mirror.offer(0, { t: 699_000, v: 2 }); // 1 s back: not the step, the strict rule
    mirror.offer(0, { t: 100_100, v: 3 }); // the step: the new baseline
    mirror.offer(0, { t: 100_050, v: 4 }); // and strict again
    assert.deepEqual(drain(), ["1@0", "3@0"]);
  });
});

describe("servers whose clocks differ (correctionOf)", () => {
  test("hot failover compares the standby's buffer in gateway time", () => {
    // server 1's clock is 1500 ms ahead and stamps with it: its t − 1500 is gateway time
    const { mirror, drain } = setup(2);
    mirror.activate(0);
    for (let g = 1000; g <= 1200; g += 50) {
      mirror.offer(0, { t: g, v: g });
      mirror.offer(1, { t: g + 1500 + 20, v: g + 20, corr: 1500 }); // own phase: 20 ms later
    }
    mirror.offer(1, { t: 1250 + 1520, v: 1270, corr: 1500 });
    mirror.activate(1);
    // without the correction every buffered value would look 1.5 s newer: 5 repeats
    assert.deepEqual(drain(), ["1000@0", "1050@0", "1100@0", "1150@0", "1200@0", "1220@1", "1270@1"]);
  });

  test("a server's values are compared with its own by their own timestamps (no estimate noise)", () => {
    const { mirror, drain } = setup(1);
    mirror.activate(0);
    mirror.offer(0, { t: 1000, v: 1, corr: 1500 });
    mirror.offer(0, { t: 1000, v: 1, corr: 1499 }); // the same sample again: not a new one
    mirror.offer(0, { t: 1001, v: 2, corr: 1502 });
    assert.deepEqual(drain(), ["1@0", "2@0"]);
  });
});

describe("hot.itemSelection bestQuality", () => {
  const good = { isGood: (s: Sample) => !s.bad, handBackLagMs: 50 };

  test("a Good sample of the standby beats the active's Bad one of the same instant", () => {
    const { mirror, drain } = setup(2, { bestQuality: good });
    mirror.activate(0);
    for (const t of [1, 2]) {
      mirror.offer(0, { t, v: t });
      mirror.offer(1, { t, v: t });
    }
    mirror.offer(1, { t: 3, v: 3 }); // the standby is ahead
    mirror.offer(0, { t: 3, v: 3, bad: true }); // the active's device link failed
    mirror.offer(0, { t: 4, v: 4, bad: true }); // arrives before the standby's 4
    mirror.offer(1, { t: 4, v: 4 });
    mirror.offer(1, { t: 5, v: 5 });
    mirror.offer(0, { t: 5, v: 5 }); // Good again: the item returns to the active
    mirror.offer(0, { t: 6, v: 6 });
    mirror.offer(1, { t: 6, v: 6 });
    assert.deepEqual(drain(), ["1@0", "2@0", "3@1", "4@1", "5@1", "6@0"]);
    assert.equal(mirror.source, 0);
  });

  test("Bad everywhere is delivered; a lost standby hands the item back to the active", () => {
    const { mirror, drain } = setup(2, { bestQuality: good });
    mirror.activate(0);
    mirror.offer(1, { t: 1, v: 1 });
    mirror.offer(0, { t: 1, v: 1, bad: true });
    mirror.offer(1, { t: 2, v: 2, bad: true }); // the standby fails too
    mirror.offer(0, { t: 3, v: 3, bad: true });
    assert.deepEqual(drain(), ["1@1", "2!@1", "3!@0"]);
    mirror.offer(1, { t: 4, v: 4 });
    mirror.offer(0, { t: 5, v: 5, bad: true });
    mirror.offer(1, { t: 6, v: 6 });
    mirror.serverLost(1); // no silent Good: the active's Bad is what the item is now
    mirror.offer(0, { t: 7, v: 7, bad: true });
    assert.deepEqual(drain(), ["4@1", "6@1", "7!@0"]);
  });

  test("a lagging standby keeps the item until its stream reaches the active's first Good instant", () => {
    // the CI failure of 2026-12-04: the active's first Good value at t=9 took the item back while
    // the lagging standby had delivered only t=5, and t=6..8 (Good on the standby) were lost
    const { mirror, drain } = setup(2, { bestQuality: good });
    mirror.activate(0);
    mirror.offer(1, { t: 1, v: 1 });
    mirror.offer(0, { t: 1, v: 1, bad: true }); // the item moves to the standby
    for (const t of [2, 3, 4, 5]) mirror.offer(0, { t, v: t, bad: true });
    for (const t of [2, 3, 4, 5]) mirror.offer(1, { t, v: t });
    for (const t of [6, 7, 8]) mirror.offer(0, { t, v: t, bad: true });
    for (const t of [9, 10]) mirror.offer(0, { t, v: t }); // Good again, ahead of the standby
    assert.equal(mirror.source, 1, "the standby keeps the item until it reaches t=9");
    for (const t of [6, 7, 8, 9, 10]) mirror.offer(1, { t, v: t });
    mirror.offer(0, { t: 11, v: 11 });
    mirror.offer(1, { t: 11, v: 11 });
    assert.deepEqual(drain(), [
      "1@1",
      "2@1",
      "3@1",
      "4@1",
      "5@1",
      "6@1",
      "7@1",
      "8@1",
      "9@1",
      "10@0",
      "11@0",
    ]);
    assert.equal(mirror.source, 0);
  });

  test("a stalled standby: the active's buffered Good values take the item back past handBackLagMs", () => {
    const { mirror, drain } = setup(2, { bestQuality: good });
    mirror.activate(0);
    mirror.offer(1, { t: 0, v: 0 });
    mirror.offer(0, { t: 0, v: 0, bad: true });
    for (const t of [10, 20, 30, 40, 50]) mirror.offer(0, { t, v: t }); // the standby sends nothing
    assert.deepEqual(drain(), ["0@1"]);
    mirror.offer(0, { t: 60, v: 60 }); // 60 ms ahead of the standby's last: the active takes over
    assert.deepEqual(drain(), ["10@0", "20@0", "30@0", "40@0", "50@0", "60@0"]);
    mirror.offer(1, { t: 10, v: 10 }); // the standby's late values are older: dropped
    assert.deepEqual(drain(), []);
  });

  test("the active Bad again before the standby caught up: the standby keeps the item", () => {
    const { mirror, drain } = setup(2, { bestQuality: good });
    mirror.activate(0);
    mirror.offer(1, { t: 1, v: 1 });
    mirror.offer(0, { t: 1, v: 1, bad: true });
    mirror.offer(0, { t: 3, v: 3 });
    mirror.offer(0, { t: 4, v: 4, bad: true }); // a Good flicker: not a reason to take it back
    for (const t of [2, 3, 4, 5]) mirror.offer(1, { t, v: t });
    assert.deepEqual(drain(), ["1@1", "2@1", "3@1", "4@1", "5@1"]);
    assert.equal(mirror.source, 1);
  });

  test("without bestQuality the active's Bad samples are delivered", () => {
    const { mirror, drain } = setup(2);
    mirror.activate(0);
    mirror.offer(1, { t: 1, v: 1 });
    mirror.offer(0, { t: 1, v: 1, bad: true });
    assert.deepEqual(drain(), ["1!@0"]);
  });
});

describe("ClockOffsetEstimator", () => {
  const sample = (sentAt: number, rtt: number, offset: number) => ({
    sentAt,
    receivedAt: sentAt + rtt,
    serverTime: sentAt + rtt / 2 + offset,
  });

  test("the offset of the fastest recent round trip; slow answers are not steps", () => {
    const clock = new ClockOffsetEstimator(1000);
    assert.equal(clock.add(sample(0, 10, 1500)), null);
    assert.equal(clock.add(sample(500, 2, 1502)), null);
    // a slow answer that looks 900 ms off: within its own uncertainty plus the threshold
    assert.equal(clock.add({ sentAt: 1000, receivedAt: 2800, serverTime: 1000 + 1500 + 1800 }), null);
    assert.deepEqual(clock.estimate, { offsetMs: 1502, rttMs: 2 });
    assert.equal(clock.steps, 0);
  });

  test("a step back of 10 minutes is reported with its size and direction", () => {
    const clock = new ClockOffsetEstimator(1000);
    clock.add(sample(0, 4, 0));
    const step = clock.add(sample(500, 4, -600_000));
    assert.equal(step?.stepMs, -600_000);
    assert.equal(clock.estimate?.offsetMs, -600_000);
    assert.equal(clock.add(sample(1000, 2, -600_001)), null);
    assert.equal(clock.steps, 1);
  });

  test("an offset within its round trip is not corrected (noise would split identical timestamps)", () => {
    assert.equal(correctionOffset({ offsetMs: 30, rttMs: 80 }), 0);
    assert.equal(correctionOffset({ offsetMs: -30, rttMs: 80 }), 0);
    assert.equal(correctionOffset({ offsetMs: 250, rttMs: 80 }), 250);
    assert.equal(correctionOffset({ offsetMs: -600_000, rttMs: 4 }), -600_000);
  });
});
