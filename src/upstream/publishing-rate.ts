/**
 * The publishing interval of one link's subscriptions, which may follow what the link's users ask
 * for (subscription.followDownstream: the gateway's fastest downstream request). The keep-alive
 * and lifetime are counts of publishing intervals: they are scaled so that their *times* stay the
 * configured ones (publishingIntervalMs × keepAliveCount, × lifetimeCount), so that the keep-alive
 * watchdog detects a silent server as fast at every interval and a subscription survives a cut as
 * long.
 */
import type { ClientSubscription } from "node-opcua";
import { LIMITS } from "../config/defaults.ts";
import type { LinkSettings } from "./link-types.ts";

export interface PublishingParameters {
  requestedPublishingInterval: number;
  requestedMaxKeepAliveCount: number;
  requestedLifetimeCount: number;
}

export class PublishingRate {
  readonly #configured: LinkSettings["subscription"];
  #intervalMs: number;

  constructor(configured: LinkSettings["subscription"]) {
    this.#configured = configured;
    this.#intervalMs = configured.publishingIntervalMs;
  }

  /** The interval asked of the server (it may revise it). */
  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** Ask for `intervalMs` (null: the configured interval); false when it is the current one. */
  set(intervalMs: number | null): boolean {
    const next = intervalMs ?? this.#configured.publishingIntervalMs;
    if (next === this.#intervalMs) return false;
    this.#intervalMs = next;
    return true;
  }

  /** CreateSubscription / ModifySubscription parameters at the current interval. */
  parameters(): PublishingParameters {
    const c = this.#configured;
    const interval = this.#intervalMs;
    const keepAlive = Math.max(1, Math.round((c.publishingIntervalMs * c.keepAliveCount) / interval));
    const lifetime = Math.max(
      LIMITS.lifetimeToKeepAlive * keepAlive,
      Math.round((c.publishingIntervalMs * c.lifetimeCount) / interval),
    );
    return {
      requestedPublishingInterval: interval,
      requestedMaxKeepAliveCount: keepAlive,
      requestedLifetimeCount: lifetime,
    };
  }
}

/** ModifySubscription of each subscription whose interval differs; resolves when every one answered. */
export async function modifySubscriptions(
  subscriptions: readonly ClientSubscription[],
  parameters: PublishingParameters,
): Promise<void> {
  await Promise.all(
    subscriptions
      .filter(
        (s) =>
          s.publishingInterval !== parameters.requestedPublishingInterval ||
          s.maxKeepAliveCount !== parameters.requestedMaxKeepAliveCount,
      )
      .map((s) => s.modify({ ...parameters })),
  );
}
