/**
 * The demo's two upstream servers: in-process shared-clock simulators that can be crashed
 * (`stop()` closes every socket at once) and started again on the same port, and whose ServiceLevel
 * is changed the way an operator tool would: an OPC UA write with a node-opcua client.
 */
import { AttributeIds, DataType, OPCUAClient } from "node-opcua";
import { RedundancyError } from "../errors.ts";
import { type Simulator, startSimulator } from "../simulator/simulator.ts";
import { clientApplicationName, clientCertificateManager } from "../upstream/client-pki.ts";

export const SERVICE_LEVEL_NODE = "ns=1;s=ServiceLevel";

const HOST = "127.0.0.1";

export class DemoServers {
  readonly #ports: readonly number[];
  readonly #tickMs: number;
  readonly #sims: (Simulator | null)[];
  /** A start or stop under way per server: key presses during it are refused, not queued. */
  readonly #busy: (Promise<unknown> | null)[];

  constructor(ports: readonly number[], tickMs: number) {
    this.#ports = ports;
    this.#tickMs = tickMs;
    this.#sims = ports.map(() => null);
    this.#busy = ports.map(() => null);
  }

  get count(): number {
    return this.#ports.length;
  }

  url(index: number): string {
    return `opc.tcp://${HOST}:${this.#ports[index]}`;
  }

  isRunning(index: number): boolean {
    return this.#sims[index] !== null;
  }

  isBusy(index: number): boolean {
    return this.#busy[index] !== null;
  }

  /** Starts every server; on a failure, stops those already started and throws. */
  async startAll(): Promise<void> {
    const results = await Promise.allSettled(this.#ports.map((_, i) => this.start(i)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) {
      await this.stopAll();
      throw failed.reason;
    }
  }

  /** Starts (or restarts) server `index` on its port. */
  start(index: number): Promise<void> {
    return this.#exclusive(index, async () => {
      if (this.#sims[index]) return;
      this.#sims[index] = await startSimulator({
        port: this.#ports[index]!,
        host: HOST,
        tickMs: this.#tickMs,
        sharedClock: true,
      });
    });
  }

  /** Crashes server `index` as far as its clients can tell: every connection closes at once. */
  stop(index: number): Promise<void> {
    return this.#exclusive(index, async () => {
      const sim = this.#sims[index];
      if (!sim) return;
      this.#sims[index] = null;
      await sim.stop();
    });
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled(this.#busy);
    await Promise.allSettled(this.#ports.map((_, i) => this.stop(i)));
  }

  /** Writes ServiceLevel (Byte) through OPC UA; resolves with the write's status name. */
  async setServiceLevel(index: number, level: number): Promise<string> {
    const client = OPCUAClient.create({
      applicationName: clientApplicationName,
      clientCertificateManager: await clientCertificateManager(),
      clientName: "opcua-redundancy-demo-operator",
      endpointMustExist: false,
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    });
    await client.connect(this.url(index));
    try {
      const session = await client.createSession();
      try {
        const status = await session.write({
          nodeId: SERVICE_LEVEL_NODE,
          attributeId: AttributeIds.Value,
          value: { value: { dataType: DataType.Byte, value: level } },
        });
        return status.name;
      } finally {
        await session.close();
      }
    } finally {
      await client.disconnect();
    }
  }

  async #exclusive(index: number, action: () => Promise<void>): Promise<void> {
    if (this.#busy[index])
      throw new RedundancyError("ERR_BUSY", `server ${index + 1} is busy, try again in a moment`);
    const running = action();
    this.#busy[index] = running;
    try {
      await running;
    } finally {
      this.#busy[index] = null;
    }
  }
}
