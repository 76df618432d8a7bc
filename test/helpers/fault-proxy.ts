/**
 * A TCP fault proxy in front of one upstream, for injecting network faults at run time:
 * pass, refuse, reset, blackhole (pulled cable), halfOpen (server→client held) and delay.
 *
 * Bytes (and a peer's FIN or RST) travel through one ordered lane per direction. A lane holds
 * its items while the mode blocks its direction, as a real link's sender keeps unacknowledged
 * bytes for retransmission: they arrive when the link comes back, followed by a FIN. A sender that
 * aborts with an RST meanwhile discards them, so a blocked lane drops its bytes on a source RST.
 * Past HOLD_LIMIT_BYTES the source socket is paused, so kernel buffers fill and TCP backpressure
 * does the rest.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

export type FaultMode = "pass" | "refuse" | "reset" | "blackhole" | "halfOpen" | { delayMs: number };

export interface FaultTarget {
  host?: string;
  port: number;
}

export interface FaultProxy {
  readonly port: number;
  /** opc.tcp://127.0.0.1:<port> */
  readonly url: string;
  readonly mode: FaultMode;
  setMode(mode: FaultMode): void;
  /** Where new connections go (existing ones keep their upstream). */
  setTarget(target: FaultTarget): void;
  /** Connections currently open through the proxy. */
  readonly connectionCount: number;
  /** Connections accepted since start (including refused and reset ones). */
  readonly acceptedCount: number;
  close(): Promise<void>;
}

/** What travels in a lane: bytes, or the source's FIN ("end") or RST/error ("reset"). */
type ItemInput = { kind: "data"; data: Buffer } | { kind: "end" } | { kind: "reset" };
type Item = ItemInput & { due: number };

function reset(socket: Socket | undefined): void {
  if (!socket || socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/** Bytes a blocked lane takes in before it pauses its source. */
const HOLD_LIMIT_BYTES = 1024 * 1024;

/** One direction of one connection: source → destination, in order. */
class Lane {
  readonly items: Item[] = [];
  private timer: NodeJS.Timeout | undefined;
  private waitingForDrain = false;

  constructor(
    private readonly destination: () => Socket | undefined,
    private readonly isOpen: () => boolean,
    private readonly delayMs: () => number,
    private readonly onFlowChange: () => void,
  ) {}

  /** The source must pause: the destination is slow, or a blocked lane holds enough. */
  get full(): boolean {
    if (this.waitingForDrain) return true;
    let held = 0;
    for (const item of this.items) if (item.kind === "data") held += item.data.length;
    return held > HOLD_LIMIT_BYTES;
  }

  push(item: ItemInput): void {
    if (item.kind === "reset" && !this.isOpen()) {
      // The sender aborted: what it sent into a link that delivered nothing dies with it.
      for (let i = this.items.length - 1; i >= 0; i--)
        if (this.items[i]!.kind === "data") this.items.splice(i, 1);
    }
    this.items.push({ ...item, due: Date.now() + this.delayMs() });
    this.pump();
  }

  pump(): void {
    const destination = this.destination();
    clearTimeout(this.timer);
    while (this.items.length > 0 && destination && this.isOpen() && !this.waitingForDrain) {
      const head = this.items[0]!;
      const wait = head.due - Date.now();
      if (wait > 0) {
        this.timer = setTimeout(() => this.pump(), wait);
        return;
      }
      this.items.shift();
      if (destination.destroyed) {
        this.items.length = 0;
      } else if (head.kind === "reset") {
        reset(destination);
      } else if (head.kind === "end") {
        destination.end();
      } else if (!destination.write(head.data)) {
        this.waitingForDrain = true;
        destination.once("drain", () => {
          this.waitingForDrain = false;
          this.pump();
        });
      }
    }
    this.onFlowChange();
  }

  clear(): void {
    clearTimeout(this.timer);
    this.items.length = 0;
  }
}

class Connection {
  upstream: Socket | undefined;
  readonly up: Lane;
  readonly down: Lane;

  constructor(
    readonly client: Socket,
    private readonly proxy: FaultProxyImpl,
  ) {
    const delay = () => proxy.delayMs;
    const flow = () => this.updateFlow();
    this.up = new Lane(
      () => this.upstream,
      () => proxy.forwards("up"),
      delay,
      flow,
    );
    this.down = new Lane(
      () => client,
      () => proxy.forwards("down"),
      delay,
      flow,
    );
    this.watch(client, this.up);
  }

  connectUpstream(target: FaultTarget): void {
    const upstream = tcpConnect({ host: target.host ?? "127.0.0.1", port: target.port });
    upstream.setNoDelay(true);
    this.upstream = upstream;
    this.watch(upstream, this.down);
    upstream.once("connect", () => this.up.pump());
  }

  private watch(socket: Socket, lane: Lane): void {
    socket.on("data", (data: Buffer) => lane.push({ kind: "data", data }));
    socket.on("end", () => lane.push({ kind: "end" }));
    socket.on("error", () => lane.push({ kind: "reset" }));
    socket.on("close", () => this.proxy.closed(this));
  }

  /** Pause a source whose lane cannot forward now; resume it when it can. */
  updateFlow(): void {
    const lanes: [Socket | undefined, Lane][] = [
      [this.client, this.up],
      [this.upstream, this.down],
    ];
    for (const [socket, lane] of lanes) {
      if (!socket || socket.destroyed) continue;
      const hold = lane.full;
      if (hold) socket.pause();
      else socket.resume();
    }
  }

  pumpAll(): void {
    this.up.pump();
    this.down.pump();
    this.updateFlow();
  }

  resetBoth(): void {
    this.up.clear();
    this.down.clear();
    reset(this.client);
    reset(this.upstream);
  }

  get isClosed(): boolean {
    return this.client.destroyed && (!this.upstream || this.upstream.destroyed);
  }
}

class FaultProxyImpl implements FaultProxy {
  mode: FaultMode = "pass";
  port = 0;
  acceptedCount = 0;
  private readonly connections = new Set<Connection>();
  private readonly server: Server;

  constructor(private target: FaultTarget) {
    this.server = createServer({ pauseOnConnect: true }, (socket) => this.accept(socket));
  }

  get url(): string {
    return `opc.tcp://127.0.0.1:${this.port}`;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  get delayMs(): number {
    return typeof this.mode === "object" ? this.mode.delayMs : 0;
  }

  /** Whether the mode lets bytes travel in this direction (up = client→server). */
  forwards(direction: "up" | "down"): boolean {
    if (this.mode === "blackhole") return false;
    if (this.mode === "halfOpen") return direction === "up";
    return true;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => {
        this.server.off("error", reject);
        const address = this.server.address();
        this.port = typeof address === "object" && address ? address.port : 0;
        resolve();
      });
    });
  }

  private accept(socket: Socket): void {
    this.acceptedCount++;
    if (this.mode === "refuse" || this.mode === "reset") {
      socket.on("error", () => undefined);
      reset(socket);
      return;
    }
    socket.setNoDelay(true);
    const connection = new Connection(socket, this);
    this.connections.add(connection);
    if (this.mode !== "blackhole") connection.connectUpstream(this.target);
    connection.updateFlow();
  }

  closed(connection: Connection): void {
    if (connection.isClosed) this.connections.delete(connection);
  }

  setMode(mode: FaultMode): void {
    if (typeof mode === "object" && !(Number.isFinite(mode.delayMs) && mode.delayMs >= 0)) {
      throw new Error(`delayMs must be a number >= 0, got ${String(mode.delayMs)}`);
    }
    this.mode = mode;
    for (const connection of this.connections) {
      if (mode === "reset") {
        connection.resetBoth();
        continue;
      }
      if (mode !== "blackhole" && !connection.upstream) connection.connectUpstream(this.target);
      connection.pumpAll();
    }
  }

  setTarget(target: FaultTarget): void {
    this.target = target;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) {
      connection.up.clear();
      connection.down.clear();
      connection.client.destroy();
      connection.upstream?.destroy();
    }
    this.connections.clear();
    await closed;
  }
}

/** Starts a fault proxy on 127.0.0.1 (free port) in front of `target`, in "pass" mode. */
export async function startFaultProxy(target: FaultTarget): Promise<FaultProxy> {
  const proxy = new FaultProxyImpl(target);
  await proxy.listen();
  return proxy;
}
