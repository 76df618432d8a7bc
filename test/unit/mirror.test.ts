import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ItemMirror } from "../../src/redundancy/mirror.ts";

/** A sample: source time `t` (absent = untimed), value `v`, and a Bad status flag. */
interface Sample {
  t?: number;
  v: number;
  bad?: boolean;
}

interface Delivery {
  sample: Sample;
  server: number | null;
}

const BAD: Sample = { t: 1e12, v: -1, bad: true };

function setup(
  serverCount: number,
  buffered: boolean,
  bufferSize = 100,
  onDeliver?: (sample: Sample, server: number | null) => void,
) {
  const out: Delivery[] = [];
  const mirror = new ItemMirror<Sample>({
    serverCount,
    buffered,
    bufferSize,
    timeOf: (sample) => sample.t,
    sameSample: (a, b) => a.v === b.v && (a.bad ?? false) === (b.bad ?? false),
    deliver: (sample, server) => {
      out.push({ sample, server });
      onDeliver?.(sample, server);
    },
  });
  /** Deliveries since the last call, as "t:v@server" ("-" for untimed, "BAD@null" for Bad). */
  const drain = (): string[] =>
    out
      .splice(0)
      .map(({ sample, server }) =>
        sample.bad ? `BAD@${server}` : `${sample.t ?? "-"}:${sample.v}@${server}`,
      );
  /** Offer `server` a timed sample per time in `times` (value = time unless given). */
  const emit = (server: number, ...times: number[]) => {
    for (const t of times) mirror.offer(server, { t, v: t });
  };
  return { mirror, out, drain, emit };
}

const untimed = (v: number): Sample => ({ v });

/** "t:t@server" for each time. */
const at = (server: number, ...times: number[]): string[] => times.map((t) => `${t}:${t}@${server}`);
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("warm/cold (buffered: false)", () => {
  test("delivers nothing before the first activate, then forwards the active server's values", () => {
    const { mirror, drain, emit } = setup(2, false);
    assert.equal(mirror.active, null);
    emit(0, 1);
    emit(1, 1);
    assert.deepEqual(drain(), []);
    mirror.activate(0);
    assert.deepEqual(drain(), [], "nothing was buffered");
    assert.equal(mirror.active, 0);
    emit(0, 2, 3);
    emit(1, 4);
    assert.deepEqual(drain(), at(0, 2, 3));
    assert.deepEqual(mirror.lastDelivered, { t: 3, v: 3 });
  });

  test("standby values are ignored and not replayed at failover", () => {
    const { mirror, drain, emit } = setup(2, false);
    mirror.activate(0);
    emit(0, 1);
    emit(1, 2, 3);
    mirror.activate(1);
    assert.deepEqual(drain(), at(0, 1));
    emit(1, 4);
    assert.deepEqual(drain(), at(1, 4));
    assert.equal(mirror.overflowed, 0);
  });

  test("the new active server's initial value identical to the last delivered is not delivered again", () => {
    const { mirror, drain } = setup(2, false);
    mirror.activate(0);
    mirror.offer(0, { t: 5, v: 50 });
    mirror.activate(1);
    mirror.offer(1, { t: 5, v: 50 });
    mirror.offer(1, { t: 6, v: 60 });
    assert.deepEqual(drain(), ["5:50@0", "6:60@1"]);
  });

  test("a sample with the same source time but another value or status is delivered", () => {
    const { mirror, drain } = setup(2, false);
    mirror.activate(0);
    mirror.offer(0, { t: 5, v: 50 });
    mirror.activate(1);
    mirror.offer(1, { t: 5, v: 51 });
    mirror.offer(1, { t: 5, v: 51, bad: true });
    mirror.offer(1, { t: 5, v: 51, bad: true });
    assert.deepEqual(drain(), ["5:50@0", "5:51@1", "BAD@1"]);
  });

  test("never older over newer: a lagging new active server's old values are dropped", () => {
    const { mirror, drain, emit } = setup(2, false);
    mirror.activate(0);
    emit(0, 1, 2, 3, 4, 5);
    mirror.activate(1);
    emit(1, 2, 3, 4, 5, 6);
    emit(0, 7);
    assert.deepEqual(drain(), [...at(0, 1, 2, 3, 4, 5), ...at(1, 6)]);
  });

  test("the active server's own out-of-order (older) value is dropped", () => {
    const { mirror, drain, emit } = setup(1, false);
    mirror.activate(0);
    emit(0, 1, 3, 2, 3, 4);
    assert.deepEqual(drain(), at(0, 1, 3, 4));
  });

  test("three servers, cycling through all of them", () => {
    const { mirror, drain, emit } = setup(3, false);
    mirror.activate(0);
    emit(0, 1, 2);
    emit(1, 1, 2, 3);
    emit(2, 1, 2, 3, 4);
    mirror.activate(1);
    emit(1, 2, 3);
    mirror.activate(2);
    emit(2, 1, 3, 4);
    mirror.activate(0);
    emit(0, 4, 5);
    assert.deepEqual(drain(), [...at(0, 1, 2), ...at(1, 3), ...at(2, 4), ...at(0, 5)]);
    assert.equal(mirror.active, 0);
  });

  test("activating the already active server delivers nothing again", () => {
    const { mirror, drain, emit } = setup(2, false);
    mirror.activate(0);
    emit(0, 1);
    mirror.activate(0);
    emit(0, 1, 2);
    assert.deepEqual(drain(), at(0, 1, 2));
  });
});

describe("hot (buffered: true)", () => {
  test("values are buffered before the first activate and delivered by it", () => {
    const { mirror, drain, emit } = setup(2, true);
    emit(0, 1, 2);
    emit(1, 1, 2, 3);
    mirror.activate(0);
    assert.deepEqual(drain(), at(0, 1, 2));
    mirror.activate(1);
    assert.deepEqual(drain(), at(1, 3));
  });

  test("a leading standby's values newer than the last delivered come first at failover, in order", () => {
    const { mirror, drain, emit } = setup(2, true);
    mirror.activate(0);
    for (const t of range(1, 3)) {
      emit(1, t + 3); // the standby is 3 ahead
      emit(0, t);
    }
    emit(1, 7);
    assert.deepEqual(drain(), at(0, 1, 2, 3));
    mirror.activate(1);
    assert.deepEqual(drain(), at(1, 4, 5, 6, 7));
    emit(1, 7, 8);
    assert.deepEqual(drain(), at(1, 8), "the live stream continues, the replayed 7 is not delivered twice");
  });

  test("a lagging standby adds nothing older; its later values come live after failover", () => {
    const { mirror, drain, emit } = setup(2, true);
    mirror.activate(0);
    emit(0, 1, 2, 3, 4, 5);
    emit(1, 1, 2, 3);
    mirror.activate(1);
    assert.deepEqual(drain(), at(0, 1, 2, 3, 4, 5));
    emit(1, 4, 5, 6);
    assert.deepEqual(drain(), at(1, 6));
  });

  test("a standby value identical to the last delivered one is not delivered at failover", () => {
    const { mirror, drain } = setup(2, true);
    mirror.activate(0);
    mirror.offer(0, { t: 5, v: 50 });
    mirror.offer(1, { t: 5, v: 50 });
    mirror.activate(1);
    assert.deepEqual(drain(), ["5:50@0"]);
  });

  test("the old active server's late values are kept as a standby's and delivered at failback", () => {
    const { mirror, drain, emit } = setup(2, true);
    mirror.activate(0);
    emit(0, 1, 2);
    emit(1, 1, 2, 3);
    mirror.activate(1);
    assert.deepEqual(drain(), [...at(0, 1, 2), ...at(1, 3)]);
    emit(0, 3, 4); // 3 already delivered; 4 is ahead of the active stream
    emit(1, 4); // delivered live: 0's 4 is pruned
    emit(0, 5, 6);
    mirror.activate(0);
    assert.deepEqual(drain(), [...at(1, 4), ...at(0, 5, 6)]);
    emit(1, 5, 6, 7);
    emit(0, 7);
    assert.deepEqual(drain(), at(0, 7));
  });

  test("three servers: only the new active server's buffer is delivered, the others stay consistent", () => {
    const { mirror, drain, emit } = setup(3, true);
    mirror.activate(0);
    emit(0, 1);
    emit(1, 1, 2, 3);
    emit(2, 1, 2, 3, 4, 5);
    mirror.activate(1);
    assert.deepEqual(drain(), [...at(0, 1), ...at(1, 2, 3)]);
    emit(2, 6);
    emit(0, 2, 3, 4);
    mirror.activate(2);
    assert.deepEqual(drain(), at(2, 4, 5, 6));
    mirror.activate(0);
    assert.deepEqual(drain(), [], "server 0's 4 is older than the 6 delivered");
    emit(0, 5, 6, 7);
    assert.deepEqual(drain(), at(0, 7));
  });

  test("values the new active server sends again after its buffered ones were delivered are dropped", () => {
    const { mirror, drain, emit } = setup(2, true);
    mirror.activate(0);
    emit(0, 1);
    emit(1, 1, 2, 3);
    mirror.activate(1);
    emit(1, 2, 3, 3, 4);
    assert.deepEqual(drain(), [...at(0, 1), ...at(1, 2, 3, 4)]);
  });

  test("buffer overflow drops the oldest standby values and counts them in overflowed", () => {
    const { mirror, drain, emit } = setup(2, true, 3);
    mirror.activate(0);
    emit(0, 1);
    emit(1, 1, 2, 3, 4, 5, 6);
    assert.equal(mirror.overflowed, 2);
    mirror.activate(1);
    assert.deepEqual(drain(), [...at(0, 1), ...at(1, 4, 5, 6)], "2 and 3 are the counted losses");
    assert.equal(mirror.overflowed, 2);
  });

  test("a standby lead of exactly bufferSize does not overflow", () => {
    const { mirror, drain, emit } = setup(2, true, 3);
    mirror.activate(0);
    emit(0, 1);
    emit(1, 2, 3, 4);
    assert.equal(mirror.overflowed, 0);
    mirror.activate(1);
    assert.deepEqual(drain(), [...at(0, 1), ...at(1, 2, 3, 4)]);
  });

  test("every standby has its own buffer and overflow count adds up across them", () => {
    const { mirror, drain, emit } = setup(3, true, 2);
    mirror.activate(0);
    emit(1, 1, 2, 3); // 1 dropped
    emit(2, 1, 2, 3, 4); // 1, 2 dropped
    assert.equal(mirror.overflowed, 3);
    mirror.activate(2);
    assert.deepEqual(drain(), at(2, 3, 4));
  });

  test("prune keeps the buffers small in steady state (bufferSize 3, long run, then a clean failover)", () => {
    const { mirror, drain, emit, out } = setup(3, true, 3);
    mirror.activate(0);
    const n = 20_000;
    for (let t = 1; t <= n; t++) {
      emit(1, t + 2); // standby 1 is 2 ahead: t, t + 1, t + 2 wait in its buffer until 0 delivers t
      emit(0, t);
      if (t > 5) emit(2, t - 5); // standby 2 lags by 5
    }
    assert.equal(mirror.overflowed, 0, "without pruning 3-slot buffers would overflow thousands of times");
    assert.equal(out.length, n);
    drain();
    // Server 0 goes silent; standby 1 goes on until it holds a full buffer, then takes over.
    emit(1, n + 3);
    assert.equal(mirror.overflowed, 0);
    mirror.activate(1);
    assert.deepEqual(drain(), at(1, n + 1, n + 2, n + 3));
    emit(1, n + 4);
    emit(2, n - 4, n + 5);
    mirror.activate(2);
    assert.deepEqual(drain(), [...at(1, n + 4), ...at(2, n + 5)]);
    assert.equal(mirror.overflowed, 0);
  });

  test("prune with a fluctuating standby lead: no overflow while the lead stays within bufferSize", () => {
    const { mirror, drain, emit } = setup(2, true, 4);
    mirror.activate(0);
    let standby = 0;
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let t = 1; t <= 5_000; t++) {
      emit(0, t);
      const target = t + Math.floor(next() * 5); // lead 0..4
      while (standby < target) emit(1, ++standby);
    }
    assert.equal(mirror.overflowed, 0);
    drain();
    mirror.activate(1);
    assert.deepEqual(drain(), at(1, ...range(5_001, standby)));
  });

  test("resetServer drops what a standby had buffered (timed and untimed)", () => {
    const { mirror, drain, emit } = setup(2, true);
    mirror.activate(0);
    emit(0, 1);
    emit(1, 2, 3);
    mirror.offer(1, untimed(9));
    mirror.resetServer(1);
    mirror.activate(1);
    assert.deepEqual(drain(), at(0, 1));
    emit(1, 4);
    assert.deepEqual(drain(), at(1, 4));
  });

  test("fractional source times are ordered as numbers", () => {
    const { mirror, drain } = setup(2, true);
    mirror.activate(0);
    mirror.offer(0, { t: 10.25, v: 1 });
    mirror.offer(1, { t: 10.25, v: 1 });
    mirror.offer(1, { t: 10.5, v: 2 });
    mirror.offer(1, { t: 10.75, v: 3 });
    mirror.offer(0, { t: 10.5, v: 2 });
    mirror.activate(1);
    assert.deepEqual(drain(), ["10.25:1@0", "10.5:2@0", "10.75:3@1"]);
  });
});

describe("lose (every server lost)", () => {
  for (const buffered of [false, true]) {
    test(`delivers one Bad sample once, nothing is active until activate (buffered: ${buffered})`, () => {
      const { mirror, drain, emit } = setup(2, buffered);
      mirror.activate(0);
      emit(0, 1);
      mirror.lose(BAD);
      mirror.lose(BAD);
      mirror.lose({ ...BAD, t: BAD.t! + 1 });
      assert.equal(mirror.active, null);
      emit(0, 2);
      emit(1, 2);
      assert.deepEqual(drain(), [...at(0, 1), "BAD@null"]);
    });

    test(`after lose the next good value is delivered even if it restates the last one; an older one is not (buffered: ${buffered})`, () => {
      const { mirror, drain } = setup(2, buffered);
      mirror.activate(0);
      mirror.offer(0, { t: 5, v: 50 });
      mirror.lose(BAD);
      mirror.activate(1);
      mirror.offer(1, { t: 4, v: 40 });
      mirror.offer(1, { t: 5, v: 50 });
      mirror.offer(1, { t: 5, v: 50 });
      mirror.offer(1, { t: 6, v: 60 });
      assert.deepEqual(drain(), ["5:50@0", "BAD@null", "5:50@1", "6:60@1"]);
    });

    test(`a new outage after a recovery delivers Bad again, but not without a good value in between (buffered: ${buffered})`, () => {
      const { mirror, drain, emit } = setup(2, buffered);
      mirror.activate(0);
      emit(0, 1);
      mirror.lose(BAD);
      mirror.activate(1);
      mirror.lose(BAD); // still no good value since the first Bad
      mirror.activate(0);
      emit(0, 2);
      mirror.lose(BAD);
      assert.deepEqual(drain(), [...at(0, 1), "BAD@null", ...at(0, 2), "BAD@null"]);
    });

    test(`lose before any value, then recovery (buffered: ${buffered})`, () => {
      const { mirror, drain, emit } = setup(2, buffered);
      mirror.lose(BAD);
      mirror.activate(1);
      emit(1, 1);
      assert.deepEqual(drain(), ["BAD@null", ...at(1, 1)]);
    });

    test(`lastDelivered is the Bad sample while lost, the good one after recovery (buffered: ${buffered})`, () => {
      const { mirror, emit } = setup(2, buffered);
      mirror.activate(0);
      emit(0, 1);
      mirror.lose(BAD);
      assert.deepEqual(mirror.lastDelivered, BAD);
      mirror.activate(1);
      emit(1, 1);
      assert.deepEqual(mirror.lastDelivered, { t: 1, v: 1 });
    });
  }

  test("hot: values buffered during the outage are delivered at recovery, the restatement first", () => {
    const { mirror, drain, emit } = setup(2, true);
    mirror.activate(0);
    emit(0, 1, 2, 3);
    mirror.lose(BAD);
    emit(1, 2, 3, 4, 5);
    emit(0, 3, 4);
    mirror.activate(1);
    assert.deepEqual(drain(), [...at(0, 1, 2, 3), "BAD@null", ...at(1, 3, 4, 5)]);
    mirror.activate(0);
    assert.deepEqual(drain(), [], "server 0's buffer was pruned by the delivery of 5");
    assert.equal(mirror.overflowed, 0);
  });

  test("hot: overflowed counts only values that could still be delivered, not older ones offered while lost", () => {
    const { mirror, drain, emit } = setup(2, true, 2);
    mirror.activate(0);
    emit(0, ...range(1, 10));
    mirror.lose(BAD);
    emit(1, ...range(1, 10)); // a lagging standby catching up: only 10 (the restatement) can be delivered
    assert.equal(mirror.overflowed, 0);
    emit(1, 11);
    assert.equal(mirror.overflowed, 0);
    emit(1, 12);
    assert.equal(mirror.overflowed, 1);
    mirror.activate(1);
    assert.deepEqual(drain(), [...at(0, ...range(1, 10)), "BAD@null", ...at(1, 11, 12)]);
  });
});

describe("untimed samples", () => {
  test("from the active server they are forwarded as they come, repeated ones too", () => {
    const { mirror, drain, emit } = setup(2, false);
    mirror.activate(0);
    mirror.offer(0, untimed(7));
    mirror.offer(0, untimed(7));
    emit(0, 5);
    mirror.offer(0, untimed(8));
    emit(0, 4, 6);
    assert.deepEqual(drain(), ["-:7@0", "-:7@0", "5:5@0", "-:8@0", "6:6@0"]);
    assert.deepEqual(mirror.lastDelivered, { t: 6, v: 6 });
  });

  test("an untimed sample does not move the last delivered time back", () => {
    const { mirror, drain, emit } = setup(2, true);
    mirror.activate(0);
    emit(0, 5);
    mirror.offer(0, untimed(1));
    emit(1, 3, 4, 6);
    mirror.activate(1);
    assert.deepEqual(drain(), ["5:5@0", "-:1@0", "6:6@1"]);
  });

  test("hot: a standby keeps only its latest untimed sample, delivered at activate after its timed values", () => {
    const { mirror, drain, emit } = setup(2, true);
    mirror.activate(0);
    emit(0, 1);
    mirror.offer(1, untimed(10));
    emit(1, 2);
    mirror.offer(1, untimed(11));
    emit(1, 3);
    mirror.activate(1);
    assert.deepEqual(drain(), [...at(0, 1), ...at(1, 2, 3), "-:11@1"]);
    mirror.activate(0);
    mirror.activate(1);
    assert.deepEqual(drain(), [], "the untimed sample was consumed");
  });

  test("warm: a standby's untimed samples are ignored", () => {
    const { mirror, drain } = setup(2, false);
    mirror.activate(0);
    mirror.offer(1, untimed(10));
    mirror.activate(1);
    assert.deepEqual(drain(), []);
  });

  test("hot: untimed standby samples neither overflow the buffer nor get pruned", () => {
    const { mirror, drain, emit } = setup(2, true, 1);
    mirror.activate(0);
    mirror.offer(1, untimed(1));
    mirror.offer(1, untimed(2));
    mirror.offer(1, untimed(3));
    emit(0, 100);
    assert.equal(mirror.overflowed, 0);
    mirror.activate(1);
    assert.deepEqual(drain(), ["100:100@0", "-:3@1"]);
  });

  test("hot: the latest untimed sample of a standby is delivered at recovery after lose", () => {
    const { mirror, drain, emit } = setup(2, true);
    mirror.activate(0);
    emit(0, 1);
    mirror.lose(BAD);
    mirror.offer(1, untimed(5));
    mirror.activate(1);
    assert.deepEqual(drain(), [...at(0, 1), "BAD@null", "-:5@1"]);
  });
});

// ---------------------------------------------------------------------------------------------
// Randomized property test: servers reading the same device with jitter, failovers and outages.

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The device's value at time t: every server reads the same one. */
const valueAt = (t: number): number => (t * 37) % 101;

interface SimConfig {
  seed: number;
  servers: number;
  buffered: boolean;
  bufferSize: number;
  steps: number;
  /** Per-server base delay (re-drawn now and then) is 0..maxDelay steps, plus 0..jitter. */
  maxDelay: number;
  jitter: number;
  /** Per step: an operator/policy failover to another running server. */
  failoverRate: number;
  /** Per step: a running server stops emitting; a stopped one resumes. */
  stopRate: number;
  resumeRate: number;
  /** Per step and server: the last sample is sent again (republish, re-subscription). */
  resendRate: number;
  /** A silent active server is noticed 0..maxDetect steps later. */
  maxDetect: number;
}

interface SimStats {
  delivered: number;
  failovers: number;
  losses: number;
  tenures: number;
  gapChecked: number;
  excusedOverflow: number;
  excusedStop: number;
  overflowed: number;
  /** Source times of the good values delivered, in delivery order. */
  times: number[];
}

/** [from, to): device times a server may not have brought to the mirror, and why. */
type Break = [number, number, "stop" | "reset" | "overflow"];

function simulate(c: SimConfig): SimStats {
  const rnd = mulberry32(c.seed);
  const int = (n: number): number => Math.floor(rnd() * n);

  // Reference model of the hot buffers: which standby values newer than the last delivered exist,
  // and which of them a bounded buffer has to drop.
  let modelActive: number | null = null;
  let lastT = Number.NEGATIVE_INFINITY;
  let lost = false;
  let modelOverflowed = 0;
  const pending: number[][] = Array.from({ length: c.servers }, () => []);
  const breaks: Break[][] = Array.from({ length: c.servers }, () => []);

  const { mirror, out } = setup(c.servers, c.buffered, c.bufferSize, (sample, server) => {
    if (server === null) return;
    assert.equal(server, modelActive, "only the active server's values are delivered");
    lost = false;
    if (sample.t === undefined) return;
    lastT = sample.t;
    for (let i = 0; i < c.servers; i++) {
      if (i === modelActive) continue;
      const list = pending[i]!;
      while (list.length > 0 && list[0]! <= lastT) list.shift();
    }
  });

  const modelOffer = (server: number, t: number): void => {
    if (!c.buffered || server === modelActive) return;
    if (t < lastT || (t === lastT && !lost)) return;
    const list = pending[server]!;
    if (list.length >= c.bufferSize) {
      const dropped = list.shift()!;
      breaks[server]!.push([dropped, dropped + 1, "overflow"]);
      modelOverflowed++;
    }
    list.push(t);
  };

  interface Server {
    running: boolean;
    stoppedAt: number;
    base: number;
    lastAt: number;
    inflight: { at: number; t: number }[];
    lastArrived: number | undefined;
  }
  const servers: Server[] = Array.from({ length: c.servers }, () => ({
    running: true,
    stoppedAt: 0,
    base: int(c.maxDelay + 1),
    lastAt: 0,
    inflight: [],
    lastArrived: undefined,
  }));

  const stats: SimStats = {
    delivered: 0,
    failovers: 0,
    losses: 0,
    tenures: 0,
    gapChecked: 0,
    excusedOverflow: 0,
    excusedStop: 0,
    overflowed: 0,
    times: [],
  };

  // A tenure: the deliveries while one server is active, checked for gaps when it ends.
  let tenure: { server: number; last: number; afterLoss: boolean; start: number } | null = null;
  const closeTenure = (): void => {
    if (tenure === null) return;
    const { server, last, afterLoss, start } = tenure;
    tenure = null;
    stats.tenures++;
    if (!c.buffered) return;
    let times = out.slice(start).map((d) => d.sample.t!);
    if (afterLoss && times[0] === last) times = times.slice(1); // the restatement after Bad
    if (times.length === 0) return;
    const end = times.at(-1)!;
    const srv = servers[server]!;
    const all: Break[] = srv.running
      ? breaks[server]!
      : [...breaks[server]!, [srv.stoppedAt, Infinity, "stop"]];
    const relevant = all.filter(([a, b]) => !(b <= last + 1 || a > end));
    if (relevant.length > 0) {
      if (relevant.every(([, , why]) => why === "overflow")) stats.excusedOverflow++;
      else stats.excusedStop++;
      return;
    }
    stats.gapChecked++;
    assert.deepEqual(
      times,
      range(last + 1, end),
      `seed ${c.seed}: server ${server} emitted continuously within its buffer after ${last}, yet a value is missing`,
    );
  };

  const switchTo = (server: number): void => {
    closeTenure();
    if (modelActive !== null) stats.failovers++;
    tenure = {
      server,
      last: lastT === Number.NEGATIVE_INFINITY ? -1 : lastT,
      afterLoss: lost,
      start: out.length,
    };
    modelActive = server;
    pending[server] = [];
    mirror.activate(server);
  };

  const loseAll = (): void => {
    closeTenure();
    modelActive = null;
    lost = true;
    stats.losses++;
    mirror.lose(BAD);
  };

  const runningOthers = (): number[] =>
    range(0, c.servers - 1).filter((i) => i !== modelActive && servers[i]!.running);

  switchTo(0);
  let detectAt: number | null = null;
  let recoverAt: number | null = null;

  for (let k = 0; k < c.steps; k++) {
    // Faults: a server stops emitting, or resumes (its link maybe reconnected: its buffer reset).
    if (rnd() < c.stopRate) {
      const candidates = range(0, c.servers - 1).filter((i) => servers[i]!.running);
      if (candidates.length > 0) {
        const i = candidates[int(candidates.length)]!;
        servers[i]!.running = false;
        servers[i]!.stoppedAt = k;
      }
    }
    if (rnd() < c.resumeRate) {
      const candidates = range(0, c.servers - 1).filter((i) => !servers[i]!.running);
      if (candidates.length > 0) {
        const i = candidates[int(candidates.length)]!;
        const srv = servers[i]!;
        srv.running = true;
        breaks[i]!.push([srv.stoppedAt, k, "stop"]);
        if (rnd() < 0.5) {
          const list = pending[i]!;
          if (list.length > 0) breaks[i]!.push([list[0]!, list.at(-1)! + 1, "reset"]);
          pending[i] = [];
          mirror.resetServer(i);
        }
      }
    }

    // The device changes at every step; each running server samples it, delivered with a delay.
    for (const srv of servers) {
      if (!srv.running) continue;
      if (rnd() < 0.02) srv.base = int(c.maxDelay + 1);
      srv.lastAt = Math.max(srv.lastAt, k + srv.base + int(c.jitter + 1));
      srv.inflight.push({ at: srv.lastAt, t: k });
    }

    // Arrivals: per server in order, interleaved at random across servers; sometimes a resend.
    const arrivals: number[][] = servers.map((srv) => {
      const times: number[] = [];
      while (srv.inflight.length > 0 && srv.inflight[0]!.at <= k) times.push(srv.inflight.shift()!.t);
      const last = times.at(-1) ?? srv.lastArrived;
      if (srv.running && last !== undefined && rnd() < c.resendRate) times.push(last);
      if (times.length > 0) srv.lastArrived = times.at(-1);
      return times;
    });
    for (;;) {
      const ready = range(0, c.servers - 1).filter((i) => arrivals[i]!.length > 0);
      if (ready.length === 0) break;
      const i = ready[int(ready.length)]!;
      const t = arrivals[i]!.shift()!;
      modelOffer(i, t);
      mirror.offer(i, { t, v: valueAt(t) });
    }

    // The gateway: notice a silent active server, recover from a total loss, or switch at random.
    if (modelActive !== null && !servers[modelActive]!.running) {
      detectAt ??= k + int(c.maxDetect + 1);
      if (k >= detectAt) {
        detectAt = null;
        const candidates = runningOthers();
        if (candidates.length > 0) switchTo(candidates[int(candidates.length)]!);
        else loseAll();
      }
    } else if (modelActive === null) {
      detectAt = null;
      if (rnd() < 0.05) mirror.lose(BAD); // repeated loss reports must not flood
      const candidates = runningOthers();
      if (candidates.length > 0) {
        recoverAt ??= k + int(c.maxDetect + 1);
        if (k >= recoverAt) {
          recoverAt = null;
          switchTo(candidates[int(candidates.length)]!);
        }
      }
    } else {
      detectAt = null;
      if (rnd() < c.failoverRate) {
        const candidates = runningOthers();
        if (candidates.length > 0) switchTo(candidates[int(candidates.length)]!);
      }
    }
  }
  closeTenure();

  // Order, duplicates, values, no flood of Bad.
  let prev: number | undefined;
  let afterBad = false;
  let bads = 0;
  for (const [index, { sample }] of out.entries()) {
    if (sample.bad) {
      assert.ok(!afterBad, `seed ${c.seed}: Bad delivered twice in a row at ${index}`);
      afterBad = true;
      bads++;
      continue;
    }
    const t = sample.t!;
    assert.equal(sample.v, valueAt(t), `seed ${c.seed}: wrong value for t=${t}`);
    if (prev !== undefined) {
      if (afterBad) assert.ok(t >= prev, `seed ${c.seed}: ${t} after ${prev} (after Bad) at ${index}`);
      else assert.ok(t > prev, `seed ${c.seed}: ${t} after ${prev}: older or duplicate at ${index}`);
    }
    prev = t;
    afterBad = false;
    stats.delivered++;
    stats.times.push(t);
  }
  assert.ok(bads <= stats.losses);
  if (stats.losses > 0) assert.ok(bads > 0);
  if (c.buffered) assert.equal(mirror.overflowed, modelOverflowed, `seed ${c.seed}: overflow count`);
  else assert.equal(mirror.overflowed, 0);
  stats.overflowed = mirror.overflowed;
  return stats;
}

const BASE: Omit<SimConfig, "seed" | "servers" | "buffered"> = {
  bufferSize: 5,
  steps: 6_000,
  maxDelay: 4,
  jitter: 2,
  failoverRate: 0.01,
  stopRate: 0.008,
  resumeRate: 0.03,
  resendRate: 0.02,
  maxDetect: 8,
};

describe("property: no loss, no duplicate, never older over newer across random failovers", () => {
  for (const servers of [2, 3]) {
    test(`hot, ${servers} servers, random jitter, failovers and outages`, () => {
      const total = { gapChecked: 0, excusedOverflow: 0, losses: 0, failovers: 0, overflowed: 0 };
      for (let seed = 1; seed <= 6; seed++) {
        const stats = simulate({ ...BASE, seed: seed * 1000 + servers, servers, buffered: true });
        assert.ok(stats.delivered > BASE.steps / 2, `seed ${seed}: delivered ${stats.delivered}`);
        total.gapChecked += stats.gapChecked;
        total.excusedOverflow += stats.excusedOverflow;
        total.losses += stats.losses;
        total.failovers += stats.failovers;
        total.overflowed += stats.overflowed;
      }
      // The property must not hold vacuously: plenty of checked failovers, some outages, some overflow.
      assert.ok(total.failovers > 200, `failovers: ${total.failovers}`);
      assert.ok(total.gapChecked > 200, `gap-checked tenures: ${total.gapChecked}`);
      assert.ok(total.losses > 0, "some total losses");
      assert.ok(total.overflowed > 0, "some overflow");
      assert.ok(total.excusedOverflow > 0, "some failovers onto a server whose buffer had overflowed");
    });

    test(`hot, ${servers} servers, failovers only (no outage, lead within bufferSize): the whole stream is gapless`, () => {
      for (let seed = 1; seed <= 4; seed++) {
        const stats = simulate({
          ...BASE,
          seed: seed * 7 + servers,
          servers,
          buffered: true,
          bufferSize: 16,
          stopRate: 0,
          failoverRate: 0.05,
        });
        assert.equal(stats.overflowed, 0);
        assert.ok(stats.failovers > 200);
        assert.equal(stats.losses, 0);
        // Every device value from the first to the last delivered one was delivered, exactly once.
        assert.deepEqual(stats.times, range(0, stats.times.at(-1)!));
        assert.ok(stats.times.length > BASE.steps - 20);
      }
    });

    test(`warm/cold, ${servers} servers, random jitter, failovers and outages`, () => {
      for (let seed = 1; seed <= 6; seed++) {
        const stats = simulate({ ...BASE, seed: seed * 31 + servers, servers, buffered: false });
        assert.ok(stats.failovers > 20);
        assert.ok(stats.delivered > BASE.steps / 3);
      }
    });
  }

  test("a tiny buffer with long detection overflows; losses are counted, order and uniqueness still hold", () => {
    const stats = simulate({
      ...BASE,
      seed: 42,
      servers: 3,
      buffered: true,
      bufferSize: 2,
      maxDelay: 6,
      maxDetect: 12,
    });
    assert.ok(stats.overflowed > 0);
    assert.ok(stats.excusedOverflow > 0);
  });
});
