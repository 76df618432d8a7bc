/**
 * A simulator in a child process (`src/cli/main.ts simulate`), so that tests can SIGKILL, SIGSTOP,
 * SIGTERM and restart it like a real upstream server.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { WriteLogEntry } from "../../src/simulator/simulator.ts";
import { delay, waitForEvent } from "./wait.ts";

export interface SpawnSimulatorOptions {
  port?: number;
  tickMs?: number;
  sharedClock?: boolean;
  shutdownDelayMs?: number;
  /** Extra variables ns=1;s=Bulk.<i> (for benchmarks). */
  bulk?: number;
  /** Every 5th Bulk variable holds a Custom Point structure (simulator --bulk-structures). */
  bulkStructures?: boolean;
  /** Order of the extra namespaces (simulator --namespace-order). */
  namespaceOrder?: "normal" | "reversed";
  /** Reverse Connect: the client listener URL the simulator dials. */
  reverseConnect?: string;
  /** Signed and encrypted endpoints only. */
  secure?: boolean;
  /** The one user allowed in (its password reaches the process through the environment). */
  user?: { name: string; password: string };
  /** The simulator's certificate store (simulator --pki); a new empty folder = a new certificate. */
  pkiFolder?: string;
  /** simulator --event-ms / --alarm-cycle-ms (src/simulator/alarms.ts). */
  eventMs?: number;
  alarmCycleMs?: number;
  /** A mismatched partner: variables left out / retyped (simulator --omit-nodes, --retype-nodes). */
  omitNodes?: string[];
  retypeNodes?: string[];
  /** Monitored items one subscription may hold (simulator --max-items-per-subscription). */
  maxMonitoredItemsPerSubscription?: number;
  /** Nodes per Browse, Read, Write and Call (simulator --max-nodes-per-request). */
  maxNodesPerRequest?: number;
  /** simulator --clock-offset-ms: the server's clock this far from the host's. */
  clockOffsetMs?: number;
  /** simulator --browse-delay-ms: Browse and BrowseNext answered this late (ns=1;s=BrowseDelayMs). */
  browseDelayMs?: number;
  /** simulator --own-clock: sample the shared-clock device on this phase, stamp with the own clock. */
  ownClockPhaseMs?: number;
  /**
   * False: `writes` stays empty and writes are only reported to `onWrite` listeners (a long run,
   * the chaos soak, would otherwise keep every write of hours in the heap it measures).
   */
  keepWrites?: boolean;
}

export interface SimProcess {
  readonly endpointUrl: string;
  readonly port: number;
  readonly pid: number;
  /** Client writes reported by the process (kept across restarts). */
  readonly writes: WriteLogEntry[];
  readonly exited: boolean;
  /** Milliseconds from spawn to the "listening" line, for the last start. */
  readonly startupMs: number;
  /** How the last process ended (undefined while it runs). */
  readonly exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  waitForWrite(predicate: (entry: WriteLogEntry) => boolean, timeoutMs: number): Promise<WriteLogEntry>;
  /** Calls `listener` with each client write the process reports; returns the unsubscribe. */
  onWrite(listener: (entry: WriteLogEntry) => void): () => void;
  /** SIGKILL; resolves when the process has exited. */
  kill(): Promise<void>;
  /** SIGSTOP: the process keeps its sockets but answers nothing. */
  freeze(): void;
  /** SIGCONT. */
  thaw(): void;
  /** SIGTERM (graceful shutdown); resolves when the process has exited. */
  terminate(): Promise<void>;
  /** Starts the simulator again on the same port (with `changes` to its options); the previous process must have exited. */
  restart(changes?: Partial<SpawnSimulatorOptions>): Promise<void>;
  /** Kills the process if it is running; idempotent. */
  dispose(): Promise<void>;
}

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const START_TIMEOUT_MS = 30_000;
/** A simulator with many bulk nodes takes longer to build its address space (more on a loaded machine). */
const startTimeoutMs = (options: SpawnSimulatorOptions) => START_TIMEOUT_MS + (options.bulk ?? 0) / 2;
const ADDRESS_IN_USE_RETRY_MS = 5_000;
const live = new Set<ChildProcess>();

process.once("exit", () => {
  for (const child of live) {
    child.kill("SIGKILL");
  }
});

interface Started {
  child: ChildProcess;
  port: number;
  endpointUrl: string;
}

function cliArgs(options: SpawnSimulatorOptions, port: number): string[] {
  const args = ["--import", "tsx", join("src", "cli", "main.ts"), "simulate", "--port", String(port)];
  if (options.tickMs !== undefined) args.push("--tick-ms", String(options.tickMs));
  if (options.sharedClock) args.push("--shared-clock");
  if (options.shutdownDelayMs !== undefined)
    args.push("--shutdown-delay-ms", String(options.shutdownDelayMs));
  if (options.bulk !== undefined) args.push("--bulk", String(options.bulk));
  if (options.bulkStructures) args.push("--bulk-structures");
  if (options.namespaceOrder !== undefined) args.push("--namespace-order", options.namespaceOrder);
  if (options.reverseConnect !== undefined) args.push("--reverse-connect", options.reverseConnect);
  if (options.secure) args.push("--secure");
  if (options.user) args.push("--user", options.user.name);
  if (options.pkiFolder !== undefined) args.push("--pki", options.pkiFolder);
  // tests that do not ask for events get a simulator without the alarm (a faster start)
  if (options.eventMs === undefined && options.alarmCycleMs === undefined) args.push("--no-alarms");
  if (options.eventMs !== undefined) args.push("--event-ms", String(options.eventMs));
  if (options.alarmCycleMs !== undefined) args.push("--alarm-cycle-ms", String(options.alarmCycleMs));
  if (options.omitNodes?.length) args.push("--omit-nodes", options.omitNodes.join(","));
  if (options.retypeNodes?.length) args.push("--retype-nodes", options.retypeNodes.join(","));
  if (options.maxMonitoredItemsPerSubscription !== undefined)
    args.push("--max-items-per-subscription", String(options.maxMonitoredItemsPerSubscription));
  if (options.maxNodesPerRequest !== undefined)
    args.push("--max-nodes-per-request", String(options.maxNodesPerRequest));
  if (options.clockOffsetMs !== undefined) args.push(`--clock-offset-ms=${options.clockOffsetMs}`); // may be negative
  if (options.browseDelayMs !== undefined) args.push(`--browse-delay-ms=${options.browseDelayMs}`);
  if (options.ownClockPhaseMs !== undefined) args.push("--own-clock", String(options.ownClockPhaseMs));
  return args;
}

class SimProcessImpl extends EventEmitter implements SimProcess {
  readonly writes: WriteLogEntry[] = [];
  endpointUrl = "";
  port: number;
  startupMs = 0;
  exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private child: ChildProcess | undefined;
  private exitedPromise: Promise<void> = Promise.resolve();
  private running = false;

  constructor(private readonly options: SpawnSimulatorOptions) {
    super();
    this.port = options.port ?? 0;
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  get exited(): boolean {
    return !this.running;
  }

  async start(): Promise<void> {
    const deadline = Date.now() + ADDRESS_IN_USE_RETRY_MS;
    for (;;) {
      try {
        const started = await this.startOnce();
        this.port = started.port;
        this.endpointUrl = started.endpointUrl;
        return;
      } catch (error) {
        const inUse = error instanceof Error && /EADDRINUSE/.test(error.message);
        if (!inUse || Date.now() > deadline) throw error;
        await delay(100);
      }
    }
  }

  private startOnce(): Promise<Started> {
    const began = performance.now();
    const child = spawn(process.execPath, cliArgs(this.options, this.port), {
      cwd: projectRoot,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        OPCUA_REDUNDANCY_LOG_LEVEL: "silent",
        ...(this.options.user ? { OPCUA_SIMULATOR_PASSWORD: this.options.user.password } : {}),
      },
    });
    live.add(child);
    this.child = child;
    this.running = true;
    this.exitStatus = undefined;
    this.exitedPromise = new Promise<void>((resolve) => {
      child.once("exit", (code, signal) => {
        live.delete(child);
        if (this.child === child) {
          this.running = false;
          this.exitStatus = { code, signal };
        }
        resolve();
      });
    });
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-8000);
    });
    return new Promise<Started>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(
          new Error(`simulator did not start within ${startTimeoutMs(this.options)} ms; stderr:\n${stderr}`),
        );
      }, startTimeoutMs(this.options));
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(`simulator exited before listening (code ${code}, signal ${signal}); stderr:\n${stderr}`),
        );
      });
      this.readLines(child, (record) => {
        if (record.event === "listening") {
          clearTimeout(timer);
          this.startupMs = performance.now() - began;
          resolve({ child, port: Number(record.port), endpointUrl: String(record.endpointUrl) });
        } else if (record.event === "write") {
          const entry = { time: String(record.time), nodeId: String(record.nodeId), value: record.value };
          if (this.options.keepWrites !== false) this.writes.push(entry);
          this.emit("write", entry);
        }
      });
    });
  }

  private readLines(child: ChildProcess, onRecord: (record: Record<string, unknown>) => void): void {
    let buffered = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf("\n");
        if (!line.startsWith("{")) continue;
        try {
          onRecord(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not one of ours
        }
      }
    });
  }

  onWrite(listener: (entry: WriteLogEntry) => void): () => void {
    this.on("write", listener);
    return () => this.off("write", listener);
  }

  async waitForWrite(
    predicate: (entry: WriteLogEntry) => boolean,
    timeoutMs: number,
  ): Promise<WriteLogEntry> {
    const seen = this.writes.find(predicate);
    if (seen) return seen;
    return waitForEvent<WriteLogEntry>(this, "write", timeoutMs, (entry: WriteLogEntry) => predicate(entry));
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.running) this.child?.kill(signal);
  }

  async kill(): Promise<void> {
    this.signal("SIGKILL");
    await this.exitedPromise;
  }

  freeze(): void {
    this.signal("SIGSTOP");
  }

  thaw(): void {
    this.signal("SIGCONT");
  }

  async terminate(): Promise<void> {
    this.signal("SIGTERM");
    await this.exitedPromise;
  }

  async restart(changes: Partial<SpawnSimulatorOptions> = {}): Promise<void> {
    Object.assign(this.options, changes);
    if (this.running) {
      throw new Error(
        `simulator pid ${this.pid} is still running: kill() or terminate() it before restart()`,
      );
    }
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.kill();
  }
}

/** Spawns `simulate` in a child process; resolves when it prints its "listening" line. */
export async function spawnSimulator(options: SpawnSimulatorOptions = {}): Promise<SimProcess> {
  const sim = new SimProcessImpl(options);
  await sim.start();
  return sim;
}
