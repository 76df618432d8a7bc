import type { ClientSubscription, NotificationMessage } from "node-opcua";
import { checkSubscription, setLastSequenceNumber } from "../node-opcua-private.ts";
import { SequenceTracker } from "./sequence-tracker.ts";

/** Notifications a subscription never delivered. */
export interface SubscriptionGap {
  subscriptionId: number;
  /** Messages missing; null when unknown (the subscription was re-created: everything since is lost). */
  missingMessages: number | null;
  cause: "sequence" | "recreated";
}

/** What the recovery of one link fetched and missed, since the link was created. */
export interface RecoveryCounters {
  /** NotificationMessages with data received while the connection was being repaired (Republish). */
  republishedMessages: number;
  /** Item notifications in those messages. */
  republishedValues: number;
  gaps: number;
  /** Messages known missing (gaps of unknown size not counted). */
  missingMessages: number;
}

/**
 * Watches one node-opcua subscription's NotificationMessages: tracks sequence numbers (so that a
 * keep-alive, which carries the *next* number, does not make Republish skip a message — node-opcua
 * takes it as received), counts what the repair fetched, and reports gaps.
 */
export class SubscriptionWatch {
  readonly #subscription: ClientSubscription;
  readonly #tracker = new SequenceTracker();
  readonly #onGap: (gap: SubscriptionGap) => void;
  readonly #counters: RecoveryCounters;
  /** Between a connection loss and the end of node-opcua's repair (Republish runs inside it). */
  recovering = false;

  readonly #onMessage = (message: NotificationMessage) => {
    const data = message.notificationData ?? [];
    const observation =
      data.length === 0
        ? this.#tracker.keepAlive(message.sequenceNumber)
        : this.#tracker.data(message.sequenceNumber);
    const next = this.#tracker.next;
    // node-opcua's Republish starts from its lastSequenceNumber + 1 (not in its public typings)
    if (next !== null) setLastSequenceNumber(this.#subscription, next - 1);
    if (data.length > 0 && this.recovering && observation.kind !== "stale") {
      this.#counters.republishedMessages++;
      for (const notification of data) {
        const items = (notification as { monitoredItems?: unknown[] | null }).monitoredItems;
        this.#counters.republishedValues += items?.length ?? 0;
      }
    }
    if (observation.kind === "gap") {
      this.#counters.gaps++;
      this.#counters.missingMessages += observation.missing;
      this.#onGap({
        subscriptionId: this.#subscription.subscriptionId,
        missingMessages: observation.missing,
        cause: "sequence",
      });
    }
  };

  readonly #onRecreated = () => {
    this.#tracker.reset();
    this.#counters.gaps++;
    this.#onGap({
      subscriptionId: this.#subscription.subscriptionId,
      missingMessages: null,
      cause: "recreated",
    });
  };

  constructor(
    subscription: ClientSubscription,
    counters: RecoveryCounters,
    onGap: (gap: SubscriptionGap) => void,
  ) {
    checkSubscription(subscription);
    this.#subscription = subscription;
    this.#counters = counters;
    this.#onGap = onGap;
    subscription.on("raw_notification", this.#onMessage);
    subscription.on("subscriptionId_changed" as "raw_notification", this.#onRecreated);
  }

  stop(): void {
    this.#subscription.off("raw_notification", this.#onMessage);
    this.#subscription.off("subscriptionId_changed" as "raw_notification", this.#onRecreated);
  }
}
