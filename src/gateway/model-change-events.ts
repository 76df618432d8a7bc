/**
 * The upstream's GeneralModelChangeEvents (Part 3 §9.32): one event monitored item on the Server
 * object, in a subscription of its own on the active server's session (no second session), moved
 * to the new active server's session whenever it changes. Each event asks the model follower for a
 * re-browse; the event's Changes are not trusted to be complete (servers may summarise), the
 * re-browse finds the exact difference.
 */
import {
  AttributeIds,
  type ClientMonitoredItem,
  type ClientSession,
  type ClientSubscription,
  constructEventFilter,
  TimestampsToReturn,
  type Variant,
} from "node-opcua";
import type { Logger } from "../log.ts";

/** GeneralModelChangeEventType and its base BaseModelChangeEventType. */
const MODEL_CHANGE_TYPES = new Set(["ns=0;i=2133", "ns=0;i=2132"]);
const CHECK_MS = 1000;

export class UpstreamModelEvents {
  readonly #activeSession: () => ClientSession | null;
  readonly #onEvent: () => void;
  readonly #logger: Logger;
  #session: ClientSession | null = null;
  #subscription: ClientSubscription | null = null;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  /** Model-change events received from the upstream (for tests and diagnostics). */
  received = 0;

  constructor(activeSession: () => ClientSession | null, onEvent: () => void, logger: Logger) {
    this.#activeSession = activeSession;
    this.#onEvent = onEvent;
    this.#logger = logger;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.#follow(), CHECK_MS);
    void this.#follow();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    const subscription = this.#subscription;
    this.#subscription = null;
    this.#session = null;
    void subscription?.terminate().catch(() => undefined);
  }

  /** Subscribes on the active session when it is not the one subscribed on. */
  async #follow(): Promise<void> {
    const session = this.#activeSession();
    if (this.#busy || session === this.#session) return;
    this.#busy = true;
    const previous = this.#subscription;
    this.#subscription = null;
    this.#session = session;
    try {
      await previous?.terminate().catch(() => undefined);
      if (!session) return;
      const subscription = await session.createSubscription2({
        requestedPublishingInterval: 500,
        requestedMaxKeepAliveCount: 20,
        requestedLifetimeCount: 120,
        publishingEnabled: true,
      });
      if (this.#session !== session || !this.#timer) {
        await subscription.terminate().catch(() => undefined);
        return;
      }
      this.#subscription = subscription;
      const item: ClientMonitoredItem = await subscription.monitor(
        { nodeId: "i=2253", attributeId: AttributeIds.EventNotifier },
        { samplingInterval: 0, queueSize: 100, filter: constructEventFilter(["EventType"]) },
        TimestampsToReturn.Neither,
      );
      item.on("changed", (fields: unknown) => {
        const [eventType] = fields as Variant[];
        if (!MODEL_CHANGE_TYPES.has(String(eventType?.value?.toString()))) return;
        this.received++;
        this.#onEvent();
      });
    } catch (error) {
      this.#logger.warn({ err: error }, "cannot subscribe to the upstream's model-change events");
      this.#session = null; // try again at the next check
    } finally {
      this.#busy = false;
    }
  }
}
