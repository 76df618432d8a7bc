/**
 * The gateway service: every configured pair on its own OPC UA endpoint (the OPC UA form of
 * RedundancyMaster's "ProgID aliasing"), plus the HTTP status server.
 */
import { join } from "node:path";
import { DEFAULTS } from "../config/defaults.ts";
import type { GatewayConfig } from "../config/schema.ts";
import { EventLog } from "../diagnostics/event-log.ts";
import { followClient } from "../diagnostics/follow-client.ts";
import { type StatusServer, startStatusServer } from "../http/status-server.ts";
import type { Logger } from "../log.ts";
import { Notifier } from "../notify/notifier.ts";
import { PairServer } from "./pair-server.ts";

export interface GatewayOptions {
  config: GatewayConfig;
  logger: Logger;
  /** Where the address-space caches live (default ./data). */
  dataDir?: string;
}

export class Gateway {
  readonly pairs: PairServer[];
  /** The diagnostics event log (every pair's events, config changes, mail problems, errors). */
  readonly events: EventLog;
  readonly #notifier: Notifier | null;
  readonly #options: GatewayOptions;
  #http: StatusServer | null = null;

  constructor(options: GatewayOptions) {
    this.#options = options;
    const dataDir = options.dataDir ?? "data";
    this.pairs = options.config.pairs.map(
      (pair) =>
        new PairServer({
          pair,
          logger: options.logger,
          cacheFile: join(dataDir, "address-space", `${pair.name}.json`),
        }),
    );
    const diagnostics = options.config.diagnostics;
    this.events = new EventLog({
      file: diagnostics?.file,
      maxEvents: diagnostics?.maxEvents ?? DEFAULTS.diagnostics.maxEvents,
      logger: options.logger,
    });
    for (const pair of this.pairs) followClient(this.events, pair.client);
    const notifications = options.config.notifications;
    this.#notifier = notifications
      ? new Notifier(notifications, { record: (e) => this.events.record(e), logger: options.logger })
      : null;
    this.events.on("event", (event) => this.#notifier?.notify(event));
  }

  get httpPort(): number | null {
    return this.#http?.port ?? null;
  }

  async start(): Promise<void> {
    await this.events.open();
    await Promise.all(this.pairs.map((p) => p.start()));
    const http = this.#options.config.http;
    if (http) {
      this.#http = await startStatusServer({
        host: http.host,
        port: http.port,
        pairs: () =>
          this.pairs.map((p) => ({ ...p.status(), addressSpace: p.mirrored ? "mirrored" : "pending" })),
        logger: this.#options.logger,
      });
    }
  }

  async stop(): Promise<void> {
    await this.#http?.close();
    this.#http = null;
    await Promise.all(this.pairs.map((p) => p.stop()));
    await this.#notifier?.close();
    await this.events.flush();
  }
}
