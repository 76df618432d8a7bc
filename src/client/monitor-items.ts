/**
 * The wiring of user-defined monitor items: one subscription of monitor items per connected server
 * (standbys included; in cold mode the servers that are connected), created afresh at every
 * (re)connect on the link's session, their notifications fed to the pure MonitorEvaluator, and the
 * one timer for no-change periods. The verdicts reach the machine as `monitorsFailing` facts
 * through the client's fact path (`changed` event).
 */
import { EventEmitter } from "node:events";
import {
  AttributeIds,
  type ClientSubscription,
  DataType,
  type DataValue,
  TimestampsToReturn,
  VariantArrayType,
} from "node-opcua";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import type { MonitorValue } from "../redundancy/monitor-compare.ts";
import {
  type MonitorDefinition,
  MonitorEvaluator,
  type MonitorEvent,
  type MonitorSample,
  type MonitorState,
} from "../redundancy/monitor-eval.ts";
import { withTimeout } from "../upstream/channel.ts";
import type { LinkStateChange, UpstreamLink } from "../upstream/link.ts";
import { upstreamStatusOf } from "../upstream/upstream-error.ts";
import type { MonitorChangedEvent, MonitorNoticeEvent } from "./types.ts";

export interface MonitorItemsEvents {
  /** The number of failing monitors of this server may have changed. */
  changed: [server: number];
  monitorChanged: [MonitorChangedEvent];
  monitorNotice: [MonitorNoticeEvent];
}

export interface MonitorItemsSettings {
  monitors: readonly MonitorDefinition[];
  /** How many failing monitors make a server unfit. */
  failureCount: number;
  /** For messages. */
  serverNames: readonly string[];
  subscription: {
    publishingIntervalMs: number;
    keepAliveCount: number;
    lifetimeCount: number;
    samplingIntervalMs: number;
  };
  /** How long to wait for a server to delete an old monitor subscription. */
  timeoutMs: number;
}

interface LinkSlot {
  /** Bumped at every connection change: late callbacks of an older connection are ignored. */
  generation: number;
  subscription: ClientSubscription | null;
}

export class MonitorItems extends EventEmitter<MonitorItemsEvents> {
  readonly #links: readonly UpstreamLink[];
  readonly #settings: MonitorItemsSettings;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #evaluator: MonitorEvaluator;
  readonly #slots: LinkSlot[];
  /** The active server's index, for messages. */
  readonly #active: () => number | null;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #failingEverywhere = false;

  constructor(
    links: readonly UpstreamLink[],
    settings: MonitorItemsSettings,
    options: { clock: Clock; logger: Logger; active: () => number | null },
  ) {
    super();
    this.#links = links;
    this.#settings = settings;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#active = options.active;
    this.#evaluator = new MonitorEvaluator(settings.monitors, links.length);
    this.#slots = links.map(() => ({ generation: 0, subscription: null }));
    if (settings.monitors.length === 0) return;
    for (const link of links) link.on("state", (change) => this.#onLinkState(change));
  }

  failing(server: number): number {
    return this.#evaluator.failingCount(server);
  }

  states(server: number): MonitorState[] {
    return this.#evaluator.states(server);
  }

  /** Every connected server has enough failing monitors to be unfit: the best of them is used all the same. */
  get failingEverywhere(): boolean {
    const connected = this.#links.flatMap((link, i) => (link.state === "connected" ? [i] : []));
    return (
      this.#settings.monitors.length > 0 &&
      connected.length > 0 &&
      connected.every((i) => this.#evaluator.failingCount(i) >= this.#settings.failureCount)
    );
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    for (const slot of this.#slots) slot.generation++;
  }

  #onLinkState(change: LinkStateChange): void {
    if (this.#stopped) return;
    const server = change.server;
    const slot = this.#slots[server]!;
    if (change.to === "connected") {
      this.#apply(this.#evaluator.connected(server), server);
      void this.#attach(server, ++slot.generation);
    } else if (change.from === "connected" || change.to === "idle" || change.to === "stopped") {
      slot.generation++;
      this.#apply(this.#evaluator.disconnected(server), server);
    }
  }

  /** A fresh subscription with every monitor item on the link's session (the old one is deleted). */
  async #attach(server: number, generation: number): Promise<void> {
    const slot = this.#slots[server]!;
    const session = this.#links[server]!.session;
    const old = slot.subscription;
    slot.subscription = null;
    if (old) await withTimeout(old.terminate(), this.#settings.timeoutMs).catch(() => undefined);
    if (!session || generation !== slot.generation) return;
    const s = this.#settings.subscription;
    let subscription: ClientSubscription;
    try {
      subscription = await session.createSubscription2({
        requestedPublishingInterval: s.publishingIntervalMs,
        requestedMaxKeepAliveCount: s.keepAliveCount,
        requestedLifetimeCount: s.lifetimeCount,
        maxNotificationsPerPublish: 0,
        publishingEnabled: true,
        priority: 50,
      });
    } catch (error) {
      // The link notices a broken connection itself; the next "connected" tries again.
      this.#logger.warn({ err: error, server }, "cannot create the monitor subscription");
      return;
    }
    if (generation !== slot.generation) {
      void subscription.terminate().catch(() => undefined);
      return;
    }
    slot.subscription = subscription;
    await Promise.all(
      this.#settings.monitors.map((_, monitor) =>
        this.#createItem(subscription, server, monitor, generation),
      ),
    );
  }

  async #createItem(
    subscription: ClientSubscription,
    server: number,
    monitor: number,
    generation: number,
  ): Promise<void> {
    const definition = this.#settings.monitors[monitor]!;
    const current = () => generation === this.#slots[server]!.generation;
    try {
      const item = await subscription.monitor(
        { nodeId: definition.nodeId, attributeId: AttributeIds.Value },
        {
          samplingInterval: this.#settings.subscription.samplingIntervalMs,
          queueSize: 1,
          discardOldest: true,
        },
        TimestampsToReturn.Both,
      );
      if (!current()) return;
      if (!item.statusCode.isGood()) {
        this.#apply(this.#evaluator.refused(server, monitor, item.statusCode.name), server);
        return;
      }
      const revised = item.monitoringParameters.samplingInterval;
      const updateRateMs = Math.max(revised ?? 0, subscription.publishingInterval ?? 0);
      this.#apply(this.#evaluator.created(server, monitor, updateRateMs), server);
      item.on("changed", (value: DataValue) => {
        if (current())
          this.#apply(this.#evaluator.sample(server, monitor, toSample(value), this.#clock.now()), server);
      });
      item.on("err", (message: string) => {
        if (current()) this.#apply(this.#evaluator.refused(server, monitor, String(message)), server);
      });
    } catch (error) {
      if (!current()) return;
      const status = upstreamStatusOf(error);
      // A server's refusal fails the monitor there; a transport failure is the link's business.
      if (status) this.#apply(this.#evaluator.refused(server, monitor, status.name), server);
      else this.#logger.warn({ err: error, server, nodeId: definition.nodeId }, "cannot create monitor item");
    }
  }

  /** Publish the evaluator's events, tell the client when verdicts changed, re-arm the timer. */
  #apply(events: MonitorEvent[], server: number | null): void {
    const changed = new Set<number>();
    for (const event of events) {
      this.#logger.info({ ...event }, event.kind === "trigger" ? "monitor trigger" : "monitor notice");
      this.#publish(event);
      if (event.kind === "trigger") changed.add(event.server);
    }
    if (changed.size > 0 && server !== null) changed.add(server);
    for (const s of changed) this.emit("changed", s);
    if (changed.size > 0) this.#checkEverywhere();
    this.#schedule();
  }

  #publish(event: MonitorEvent): void {
    const server = this.#links[event.server]!.settings.url;
    const at = new Date(this.#clock.now());
    if (event.kind === "trigger") {
      const { nodeId, failing, reason } = event;
      this.emit("monitorChanged", { server, index: event.server, nodeId, failing, reason, at });
    } else {
      const message = `noChangeMs of ${event.nodeId} raised from ${event.configuredMs} to ${event.effectiveMs} ms (2 × its update rate of ${event.updateRateMs} ms)`;
      this.emit("monitorNotice", { server, index: event.server, nodeId: event.nodeId, message, at });
    }
  }

  /** Say when monitors start or stop failing on every connected server. */
  #checkEverywhere(): void {
    const everywhere = this.failingEverywhere;
    if (everywhere === this.#failingEverywhere) return;
    this.#failingEverywhere = everywhere;
    const active = this.#active();
    const name = active === null ? "none" : this.#settings.serverNames[active];
    const message = everywhere
      ? `monitors failing on every connected server: staying on the best one (${name})`
      : "monitors pass again on at least one server";
    this.#logger.warn({ everywhere }, message);
    this.emit("monitorNotice", {
      server: null,
      index: null,
      nodeId: null,
      message,
      at: new Date(this.#clock.now()),
    });
  }

  #schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const at = this.#evaluator.nextDeadline();
    if (at === null || this.#stopped) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#apply(this.#evaluator.tick(this.#clock.now()), null);
      },
      Math.max(0, at - this.#clock.now()),
    );
  }
}

/** A DataValue reduced to what monitor conditions need. */
export function toSample(value: DataValue): MonitorSample {
  return { good: value.statusCode.isGood(), status: value.statusCode.name, value: toMonitorValue(value) };
}

function toMonitorValue(dataValue: DataValue): MonitorValue {
  const variant = dataValue.value;
  if (!variant || variant.dataType === DataType.Null) return null;
  if (variant.arrayType !== VariantArrayType.Scalar) {
    return { other: `an array of ${(variant.value as unknown[] | null)?.length ?? 0}` };
  }
  const v: unknown = variant.value;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "bigint") return Number(v);
  // node-opcua carries Int64 and UInt64 as [high, low].
  if ((variant.dataType === DataType.Int64 || variant.dataType === DataType.UInt64) && Array.isArray(v)) {
    return Number(v[0]) * 2 ** 32 + Number(v[1]);
  }
  if (variant.dataType === DataType.LocalizedText) return (v as { text?: string | null }).text ?? null;
  return { other: `a ${DataType[variant.dataType]}` };
}
