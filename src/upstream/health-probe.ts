import { AttributeIds, type ClientSession, type ClientSubscription, ServerState } from "node-opcua";
import type { Clock } from "../clock.ts";
import type { ClockSample } from "../redundancy/clock-offset.ts";

export type ProbeResult =
  | { ok: true; serverState: string; serviceLevel: number | undefined; clock?: ClockSample }
  | { ok: false; reason: string };

export interface HealthProbeOptions {
  session: ClientSession;
  subscription: ClientSubscription;
  clock: Clock;
  intervalMs: number;
  timeoutMs: number;
  onResult(result: ProbeResult): void;
}

/**
 * Run `judge` once the event loop has had a full turn of I/O. A timer that fires after the loop was
 * busy (a burst of 50k values) runs before the socket data that arrived meanwhile is read: the
 * answer or keep-alive may be waiting in the buffer. A late timer is not a late server.
 */
function afterPendingIo(judge: () => void): void {
  // check phase of this turn → poll phase of the next (sockets read, node-opcua's own immediates
  // and promise callbacks run) → check phase of the next turn
  setImmediate(() => setImmediate(judge));
}

/**
 * Detects silent outages that node-opcua's client does not notice (a frozen server, a pulled
 * cable): a status query (Read of ServerState, ServiceLevel and CurrentTime every `intervalMs`, failing after
 * `timeoutMs`) and a watchdog on publish responses (none within the subscription's keep-alive time
 * plus `timeoutMs`).
 */
export class HealthProbe {
  readonly #options: HealthProbeOptions;
  #timer: NodeJS.Timeout | null = null;
  /** When the next tick is due: a tick much later than that means this process was busy. */
  #dueAt = 0;
  #inFlight = false;
  #lastPublishAt: number;
  #stopped = false;
  /** Bumped when the connection is known lost: an answer to a query sent before that is stale. */
  #epoch = 0;
  readonly #onPublish = () => {
    this.#lastPublishAt = this.#options.clock.now();
  };

  constructor(options: HealthProbeOptions) {
    this.#options = options;
    this.#lastPublishAt = options.clock.now();
  }

  start(): void {
    this.#options.subscription.on("keepalive", this.#onPublish);
    this.#options.subscription.on("received_notifications", this.#onPublish);
    this.checkNow();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#options.subscription.off("keepalive", this.#onPublish);
    this.#options.subscription.off("received_notifications", this.#onPublish);
  }

  /** The connection was lost: answers to queries already sent must not count. */
  invalidate(): void {
    this.#epoch++;
    this.#inFlight = false;
  }

  /** Query now (after a reconnect), and restart the publish watchdog from now. */
  checkNow(): void {
    if (this.#stopped) return;
    this.#lastPublishAt = this.#options.clock.now();
    this.#schedule(0);
  }

  #schedule(delay: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#dueAt = this.#options.clock.now() + delay;
    this.#timer = setTimeout(() => this.#tick(), delay);
  }

  #tick(): void {
    if (this.#stopped) return;
    const now = this.#options.clock.now();
    // This process could not listen (nor send publish requests) while it was busy: the server's
    // silence is counted again from now, not from before the busy spell.
    if (now - this.#dueAt > this.#options.intervalMs) this.#lastPublishAt = now;
    this.#schedule(this.#options.intervalMs);
    if (this.#watchdogExpired()) {
      const epoch = this.#epoch;
      afterPendingIo(() => {
        const watchdog = this.#watchdogExpired();
        if (watchdog && !this.#stopped && epoch === this.#epoch)
          this.#options.onResult({ ok: false, reason: watchdog });
      });
      return;
    }
    // One query at a time: a query still waiting for its answer is not doubled.
    if (this.#inFlight) return;
    this.#inFlight = true;
    const epoch = this.#epoch;
    let settled = false;
    const timer = setTimeout(
      () =>
        afterPendingIo(() => {
          if (settled || this.#stopped || epoch !== this.#epoch) return;
          settled = true;
          this.#options.onResult({
            ok: false,
            reason: `status query not answered within ${this.#options.timeoutMs} ms`,
          });
        }),
      this.#options.timeoutMs,
    );
    const sentAt = this.#options.clock.now();
    this.#options.session
      .read([
        { nodeId: "i=2259", attributeId: AttributeIds.Value },
        { nodeId: "i=2267", attributeId: AttributeIds.Value },
        { nodeId: "i=2258", attributeId: AttributeIds.Value }, // CurrentTime: the server's clock
      ])
      .then(
        ([state, level, time]) => {
          const receivedAt = this.#options.clock.now();
          if (settled || this.#stopped || epoch !== this.#epoch) return;
          if (!state?.statusCode.isGood()) {
            this.#options.onResult({ ok: false, reason: `status query answered ${state?.statusCode.name}` });
            return;
          }
          this.#options.onResult({
            ok: true,
            serverState: ServerState[state.value.value as number] ?? "Unknown",
            serviceLevel: level?.statusCode.isGood() ? Number(level.value.value) : undefined,
            ...(time?.statusCode.isGood() && time.value.value instanceof Date
              ? { clock: { sentAt, receivedAt, serverTime: time.value.value.getTime() } }
              : {}),
          });
        },
        (error: unknown) => {
          if (settled || this.#stopped || epoch !== this.#epoch) return;
          const message = error instanceof Error ? error.message : String(error);
          this.#options.onResult({ ok: false, reason: `status query failed: ${message}` });
        },
      )
      .finally(() => {
        clearTimeout(timer);
        if (epoch === this.#epoch) this.#inFlight = false;
        settled = true;
      });
  }

  #watchdogExpired(): string | undefined {
    const { subscription, timeoutMs, clock } = this.#options;
    const keepAliveMs = subscription.publishingInterval * subscription.maxKeepAliveCount;
    const silentMs = clock.now() - this.#lastPublishAt;
    if (silentMs <= keepAliveMs + timeoutMs) return undefined;
    return `no publish response or keep-alive for ${silentMs} ms (keep-alive ${keepAliveMs} ms)`;
  }
}
