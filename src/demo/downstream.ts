/**
 * The demo's downstream proof: a plain node-opcua client, connected to the gateway's endpoint the way
 * any SCADA or historian would be, that subscribes Counter and counts what arrives THROUGH THE
 * GATEWAY (lost, duplicated, reordered values), independently of the engine inside the gateway.
 */
import {
  AttributeIds,
  type ClientMonitoredItem,
  type ClientSession,
  type ClientSubscription,
  constructEventFilter,
  type DataValue,
  OPCUAClient,
  TimestampsToReturn,
} from "node-opcua";
import { clientApplicationName, clientCertificateManager } from "../upstream/client-pki.ts";
import { CounterStats } from "./counter-stats.ts";

export const COUNTER_NODE = "ns=1;s=Counter";

export class DownstreamClient {
  readonly endpointUrl: string;
  readonly stats = new CounterStats();
  /** Events received through the gateway on the Server object (the simulators' BaseEvents and alarm). */
  events = 0;
  readonly #client: OPCUAClient;
  #session: ClientSession | null = null;
  #subscription: ClientSubscription | null = null;
  #item: ClientMonitoredItem | null = null;
  #closed = false;

  private constructor(endpointUrl: string, client: OPCUAClient) {
    this.endpointUrl = endpointUrl;
    this.#client = client;
  }

  /**
   * Connects, opens a session and monitors Counter with samplingInterval 0 and queueSize 1000, so
   * that the gateway's server reports every change. `onNote` gets the lines worth printing
   * (a gap, a duplicate, a Bad value).
   */
  static async connect(endpointUrl: string, onNote: (text: string) => void): Promise<DownstreamClient> {
    const client = OPCUAClient.create({
      applicationName: clientApplicationName,
      clientCertificateManager: await clientCertificateManager(),
      clientName: "opcua-redundancy-demo-downstream",
      endpointMustExist: false,
      keepSessionAlive: true,
      connectionStrategy: { maxRetry: 5, initialDelay: 200, maxDelay: 2000 },
    });
    const downstream = new DownstreamClient(endpointUrl, client);
    try {
      await downstream.#open(onNote);
    } catch (error) {
      await downstream.close();
      throw error;
    }
    return downstream;
  }

  async #open(onNote: (text: string) => void): Promise<void> {
    await this.#client.connect(this.endpointUrl);
    this.#session = await this.#client.createSession();
    this.#subscription = await this.#session.createSubscription2({
      requestedPublishingInterval: 100,
      requestedMaxKeepAliveCount: 20,
      requestedLifetimeCount: 600,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 1,
    });
    this.#item = await this.#subscription.monitor(
      { nodeId: COUNTER_NODE, attributeId: AttributeIds.Value },
      { samplingInterval: 0, queueSize: 1000, discardOldest: true },
      TimestampsToReturn.Both,
    );
    const events = await this.#subscription.monitor(
      { nodeId: "i=2253", attributeId: AttributeIds.EventNotifier },
      {
        samplingInterval: 0,
        queueSize: 1000,
        discardOldest: true,
        filter: constructEventFilter(["EventId"]),
      },
      TimestampsToReturn.Neither,
    );
    events.on("changed", () => {
      this.events++;
    });
    this.#item.on("changed", (value: DataValue) => {
      if (this.#closed) return;
      const note = this.stats.offer(value);
      if (note) onNote(`through the gateway: ${note}`);
    });
  }

  /** Closes the subscription, the session and the connection; never throws. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#subscription?.terminate().catch(() => undefined);
    await this.#session?.close().catch(() => undefined);
    await this.#client.disconnect().catch(() => undefined);
  }
}
