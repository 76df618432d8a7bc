/**
 * Shared pieces of the gateway benchmark: a gateway in this process in front of given upstream
 * URLs, CPU and memory sampling (this process and the simulator processes), percentiles.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { format } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { setErrorLogger, setWarningLogger } from "node-opcua";
import pino from "pino";
import { parseGatewayConfig } from "../../src/config/load.ts";
import type { PairConfigInput } from "../../src/config/schema.ts";
import { Gateway } from "../../src/gateway/gateway.ts";
import { createLogger } from "../../src/log.ts";
import { freePort } from "../../test/helpers/ports.ts";

export const MB = 2 ** 20;

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Rounds to `digits` decimals (for the JSON file: raw, but readable). */
export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Percentile (nearest rank) of an ascending array; null when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export interface Distribution {
  count: number;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  min: number | null;
}

export function distribution(values: readonly number[]): Distribution {
  const sorted = Float64Array.from(values).sort();
  const total = values.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    mean: sorted.length === 0 ? null : round(total / sorted.length, 2),
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? null : sorted[sorted.length - 1]!,
    min: sorted.length === 0 ? null : sorted[0]!,
  };
}

let gcFunction: (() => void) | undefined;
/** A full garbage collection (without --expose-gc on the command line). */
export function forceGc(): void {
  if (!gcFunction) {
    setFlagsFromString("--expose-gc");
    gcFunction = runInNewContext("gc") as () => void;
  }
  gcFunction();
  gcFunction();
}

export interface MemoryFigures {
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
}

/** Memory of this process after a full GC. */
export function settledMemory(): MemoryFigures {
  forceGc();
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external + m.arrayBuffers };
}

let clockTicks: number | undefined;
/** CPU time (user + system, ms) a process has used so far, from /proc; null when unreadable. */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // fields after the command name (which may hold spaces) start after the last ")"
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    clockTicks ??= 100; // USER_HZ is 100 on every Linux configuration node runs on
    return ((utime + stime) * 1000) / clockTicks;
  } catch {
    return null;
  }
}

export interface WindowUsage {
  durationMs: number;
  /** CPU time of this process (user + system) in the window. */
  cpuUserMs: number;
  cpuSystemMs: number;
  /** (user + system) / wall time × 100: 100 = one core busy. */
  cpuPercent: number;
  rssStartBytes: number;
  rssMeanBytes: number;
  rssMaxBytes: number;
  heapUsedMaxBytes: number;
  /** CPU time of each watched child process in the window (ms; null when unreadable). */
  childCpuMs: (number | null)[];
  /** Event-loop delay in the window (ms), from 10 ms samples. */
  eventLoopDelayMaxMs: number;
  eventLoopDelayP99Ms: number;
}

/** Samples CPU time, RSS and event-loop delay from start() to stop(). */
export class UsageWindow {
  readonly #children: number[];
  #startedAt = 0;
  #cpu: NodeJS.CpuUsage | undefined;
  #childStart: (number | null)[] = [];
  #rss: number[] = [];
  #heapMax = 0;
  #timer: NodeJS.Timeout | undefined;
  #loopDelays: number[] = [];
  #loopTimer: NodeJS.Timeout | undefined;

  constructor(childPids: readonly number[]) {
    this.#children = [...childPids];
  }

  start(): void {
    this.#startedAt = performance.now();
    this.#cpu = process.cpuUsage();
    this.#childStart = this.#children.map(processCpuMs);
    const sample = () => {
      const m = process.memoryUsage();
      this.#rss.push(m.rss);
      this.#heapMax = Math.max(this.#heapMax, m.heapUsed);
    };
    sample();
    this.#timer = setInterval(sample, 200);
    let expected = performance.now() + 10;
    this.#loopTimer = setInterval(() => {
      const now = performance.now();
      this.#loopDelays.push(Math.max(0, now - expected));
      expected = now + 10;
    }, 10);
  }

  stop(): WindowUsage {
    clearInterval(this.#timer);
    clearInterval(this.#loopTimer);
    const durationMs = performance.now() - this.#startedAt;
    const cpu = process.cpuUsage(this.#cpu);
    const childEnd = this.#children.map(processCpuMs);
    const rss = this.#rss;
    const loop = distribution(this.#loopDelays);
    return {
      durationMs: round(durationMs),
      cpuUserMs: round(cpu.user / 1000),
      cpuSystemMs: round(cpu.system / 1000),
      cpuPercent: round(((cpu.user + cpu.system) / 1000 / durationMs) * 100),
      rssStartBytes: rss[0] ?? 0,
      rssMeanBytes: Math.round(rss.reduce((a, b) => a + b, 0) / Math.max(1, rss.length)),
      rssMaxBytes: Math.max(0, ...rss),
      heapUsedMaxBytes: this.#heapMax,
      childCpuMs: childEnd.map((end, i) => {
        const start = this.#childStart[i];
        return end === null || start === null || start === undefined ? null : round(end - start);
      }),
      eventLoopDelayMaxMs: round(loop.max ?? 0),
      eventLoopDelayP99Ms: round(loop.p99 ?? 0),
    };
  }
}

export interface BenchGateway {
  gateway: Gateway;
  dataDir: string;
  endpointUrl(): string;
  /** Stops the gateway (idempotent); removes the data directory unless `keepDataDir`. */
  stop(options?: { keepDataDir?: boolean }): Promise<void>;
}

export interface BenchGatewayOptions {
  servers: string[];
  mode: "cold" | "warm" | "hot";
  /** Reuse a data directory (address-space cache); default: a new temporary one. */
  dataDir?: string;
  extra?: Partial<PairConfigInput>;
}

/**
 * A one-pair gateway on 127.0.0.1 in this process, configured as a user would (product defaults)
 * apart from security (None allowed) and what `extra` sets. Not started: call gateway.start().
 */
export async function createBenchGateway(options: BenchGatewayOptions): Promise<BenchGateway> {
  const config = parseGatewayConfig({
    pairs: [
      {
        name: "bench",
        listen: { port: await freePort(), host: "127.0.0.1" },
        mode: options.mode,
        servers: options.servers.map((url) => ({ url })),
        // The product is secure by default; the bench opens None + anonymous so that the gateway
        // path is compared with the direct path (None) like for like.
        security: { allowNone: true, anonymous: true },
        ...options.extra,
      },
    ],
  });
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "gateway-bench-")));
  // BENCH_LOG_LEVEL=info shows what the gateway does on stdout; without it the gateway logs at
  // info into DATADIR/gateway.log, so that a run that stalls can be read afterwards (issue 13)
  const logger = process.env.BENCH_LOG_LEVEL
    ? createLogger({ level: process.env.BENCH_LOG_LEVEL })
    : pino(
        { level: "info", name: "opcua-redundancy" },
        pino.destination({ dest: join(dataDir, "gateway.log"), sync: true }),
      );
  const gateway = new Gateway({ config, logger, dataDir });
  let stopped = false;
  return {
    gateway,
    dataDir,
    endpointUrl: () => gateway.pairs[0]!.endpointUrl,
    async stop(stopOptions = {}) {
      if (!stopped) {
        stopped = true;
        await gateway.stop();
      }
      if (!stopOptions.keepDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** opc.tcp URL of a simulator on loopback. */
export function loopbackUrl(port: number): string {
  return `opc.tcp://127.0.0.1:${port}`;
}

/** node-opcua's warnings and errors (it prints them with console.log): kept, and echoed on stderr. */
export const nodeOpcuaLog: string[] = [];

/**
 * Data-change notifications a node-opcua client in this process received for a monitored item it
 * does not know (its clientHandle is not in the subscription): counted, not echoed (one line each).
 */
export const unknownItemNotifications = { total: 0, messages: 0 };

/** Routes node-opcua's console output to stderr and `nodeOpcuaLog` (call again after anything re-routes it). */
export function captureNodeOpcuaLogs(): void {
  let lastWasUnknown = false;
  const sink = (_context: unknown, ...args: unknown[]) => {
    const text = format(...args);
    if (text.startsWith("Receiving a notification for a unknown monitoredItem")) {
      unknownItemNotifications.total++;
      unknownItemNotifications.messages++;
      lastWasUnknown = true;
      return;
    }
    const repeated = /^previous message repeated (\d+) times/.exec(text);
    if (repeated && lastWasUnknown) {
      unknownItemNotifications.total += Number(repeated[1]) - 1;
      lastWasUnknown = false;
      return;
    }
    lastWasUnknown = false;
    if (nodeOpcuaLog.length < 500) nodeOpcuaLog.push(`${new Date().toISOString()} ${text}`);
    process.stderr.write(`node-opcua: ${text}\n`);
  };
  setWarningLogger(sink);
  setErrorLogger(sink);
}
