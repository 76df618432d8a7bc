/**
 * The gateway service: every configured pair on its own OPC UA endpoint (the OPC UA form of
 * RedundancyMaster's "ProgID aliasing"), plus the HTTP side (status page, API, metrics).
 * Reloads apply a new configuration pair by pair without disturbing the untouched ones.
 */
import { EventEmitter } from "node:events";
import { join } from "node:path";
import type { ServerFactsEvent } from "../client/types.ts";
import { DEFAULTS } from "../config/defaults.ts";
import { ConfigError, loadConfigFile } from "../config/load.ts";
import type { GatewayConfig, PairConfig } from "../config/schema.ts";
import { EventLog } from "../diagnostics/event-log.ts";
import { followClient } from "../diagnostics/follow-client.ts";
import { RedundancyError } from "../errors.ts";
import type { GatewayPairStatus, ReloadReport } from "../http/api.ts";
import { resolveToken } from "../http/auth.ts";
import { GatewayMetrics } from "../http/metrics.ts";
import { type StatusServer, startStatusServer } from "../http/status-server.ts";
import type { Logger } from "../log.ts";
import { Notifier } from "../notify/notifier.ts";
import { pkiStoreFolder } from "../security/gateway-pki.ts";
import { PairChecks } from "./pair-check-at-start.ts";
import { PairServer } from "./pair-server.ts";
import { type InstanceSelection, pairSetView, selectInstancePairs, selfPeer } from "./redundant-set.ts";
import { planReload } from "./reload-plan.ts";
import { type StorageProblem, StorageProblems } from "./storage-problems.ts";

export interface GatewayOptions {
  config: GatewayConfig;
  logger: Logger;
  /** Where the address-space caches live (default ./data). */
  dataDir?: string;
  /** The file the configuration came from: what `reload()` reads again. */
  configFile?: string;
  /** The PKI folder (default <dataDir>/pki). */
  pkiDir?: string;
  /** Which instance of a redundantSet this is, and which pairs it serves (`start --instance --only-pairs`). */
  instance?: InstanceSelection;
}

export class Gateway {
  readonly #options: GatewayOptions;
  readonly #logger: Logger;
  /** The served configuration: only the pairs this instance serves. */
  #config: GatewayConfig;
  /** The whole configuration (every instance's pairs: the redundant sets). */
  #fullConfig: GatewayConfig;
  #pairs: PairServer[] = [];
  /** Per pair: stops the event adapter and metrics from following it. */
  readonly #unfollow = new Map<PairServer, () => void>();
  /** The diagnostics event log (every pair's events, config changes, mail problems, errors). */
  readonly events: EventLog;
  readonly #notifier: Notifier | null;
  readonly metrics: GatewayMetrics;
  /** Files of the data directory that cannot be written (diagnostics, address-space caches). */
  readonly storage: StorageProblems;
  #http: StatusServer | null = null;
  /** Every pair's ServiceLevel and ServerState changes, for the status page's live channel. */
  readonly #serverFacts = new EventEmitter<{ serverFacts: [ServerFactsEvent & { pair: string }] }>();
  /** Reloads run one after the other. */
  #reloading: Promise<unknown> = Promise.resolve();
  /** Whether each pair's servers are interchangeable (checked in the background at start). */
  readonly pairChecks: PairChecks;

  constructor(options: GatewayOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#fullConfig = options.config;
    this.#config = selectInstancePairs(options.config, options.instance);
    const diagnostics = options.config.diagnostics;
    this.events = new EventLog({
      file: diagnostics?.file,
      maxEvents: diagnostics?.maxEvents ?? DEFAULTS.diagnostics.maxEvents,
      logger: options.logger,
    });
    this.storage = new StorageProblems(options.logger, (e) => this.events.record(e));
    const notifications = options.config.notifications;
    this.#notifier = notifications
      ? new Notifier(notifications, { record: (e) => this.events.record(e), logger: options.logger })
      : null;
    this.events.on("event", (event) => this.#notifier?.notify(event));
    this.metrics = new GatewayMetrics(() =>
      this.#pairs.map((p) => ({
        status: () => p.status(),
        downstreamSessions: p.downstreamSessions,
        valuesForwarded: p.client.valuesForwarded,
      })),
    );
    this.pairChecks = new PairChecks({
      logger: options.logger,
      record: (e) => this.events.record(e),
      pkiFolder: pkiStoreFolder(options.pkiDir ?? join(options.dataDir ?? "data", "pki"), "applications"),
    });
    this.#pairs = this.#config.pairs.map((pair) => this.#createPair(pair));
  }

  /** The pairs being served (a new array after a reload that adds or removes pairs). */
  get pairs(): readonly PairServer[] {
    return this.#pairs;
  }

  get config(): GatewayConfig {
    return this.#config;
  }

  /** The background pair check of a pair that (re)starts, unless its pairCheck.atStart is false. */
  #checkPairAtStart(pair: PairServer): void {
    if (pair.config.pairCheck.atStart) void this.pairChecks.run(pair.config, () => PairChecks.serving(pair));
    else this.pairChecks.forget(pair.config.name);
  }

  get httpPort(): number | null {
    return this.#http?.port ?? null;
  }

  get httpUrl(): string | null {
    return this.#http?.url ?? null;
  }

  async start(): Promise<void> {
    await this.events.open();
    await Promise.all(this.#pairs.map((p) => p.start()));
    for (const p of this.#pairs) this.#checkPairAtStart(p);
    const http = this.#config.http;
    if (http) {
      this.#http = await startStatusServer({
        host: http.host,
        port: http.port,
        tls: http.tls,
        token: await resolveToken(http.auth),
        gateway: {
          pairs: () => this.statuses(),
          storage: () => this.storageProblems(),
          failover: (pair, to) => this.failover(pair, to),
          reload: () => this.reload(),
        },
        events: this.events,
        serverFacts: this.#serverFacts,
        metrics: this.metrics,
        logger: this.#logger,
        configApi: {
          file: this.#options.configFile ?? null,
          token: await resolveToken(http.auth),
          current: () => this.#config,
          pairs: () => this.statuses(),
          reload: () => this.reload(),
          record: (e) => this.events.record(e),
          pkiFolder: pkiStoreFolder(
            this.#options.pkiDir ?? join(this.#options.dataDir ?? "data", "pki"),
            "applications",
          ),
          logger: this.#logger,
        },
      });
    }
  }

  /** What cannot be written now (the event log reports and logs its own file's failure). */
  storageProblems(): StorageProblem[] {
    const file = this.events.fileProblem;
    if (file) this.storage.report({ what: "diagnostics", pair: null, ...file }, true);
    return this.storage.list();
  }

  statuses(): GatewayPairStatus[] {
    return this.#pairs.map((p) => ({
      ...p.status(),
      addressSpace: p.mirrored ? "mirrored" : "pending",
      pairCheck: this.pairChecks.get(p.config.name) ?? null,
      serviceLevel: p.serviceLevel,
      phase: p.phase,
    }));
  }

  /** Operator switch of one pair to `to` (a server URL) or to the best other server. */
  failover(pairName: string, to?: string): void {
    const pair = this.#pairs.find((p) => p.config.name === pairName);
    if (!pair) throw new RedundancyError("ERR_UNKNOWN_PAIR", `no pair named ${pairName}`);
    this.#logger.info({ pair: pairName, to: to ?? "best other server" }, "operator failover");
    pair.client.failover(to);
  }

  /** Reads the configuration file again and applies it; an invalid file changes nothing. */
  reload(): Promise<ReloadReport> {
    const run = async () => {
      const file = this.#options.configFile;
      if (!file)
        throw new RedundancyError("ERR_RELOAD", "the gateway was not started from a configuration file");
      let next: GatewayConfig;
      try {
        next = await loadConfigFile(file);
      } catch (error) {
        this.#logger.error({ err: error }, "configuration reload rejected; the running configuration stays");
        const issues = error instanceof ConfigError ? error.issues : [];
        this.events.record({
          kind: "config",
          pair: null,
          server: null,
          message: `reload of ${file} rejected (${issues.length} problem(s)); the running configuration stays`,
          details: { issues },
        });
        throw error;
      }
      return this.apply(next);
    };
    const result = this.#reloading.then(run, run);
    this.#reloading = result.catch(() => undefined);
    return result;
  }

  /** Applies a validated configuration: pairs added, removed, reconfigured; the others untouched. */
  async apply(full: GatewayConfig): Promise<ReloadReport> {
    const next = selectInstancePairs(full, this.#options.instance);
    if (JSON.stringify(full.redundantSet) !== JSON.stringify(this.#fullConfig.redundantSet))
      this.#logger.warn(
        "redundantSet changed: it takes effect for pairs (re)started now and at the next start",
      );
    this.#fullConfig = full;
    const plan = planReload(
      this.#pairs.map((p) => p.config),
      next.pairs,
    );
    const byName = (name: string) => this.#pairs.find((p) => p.config.name === name) as PairServer;
    const removed = [...plan.remove, ...plan.restart.map((p) => p.name)].map(byName);
    await Promise.all(removed.map((pair) => this.#stopPair(pair, 0)));
    const added = [...plan.add, ...plan.restart].map((config) => this.#createPair(config));
    await Promise.all(added.map((pair) => pair.start()));
    for (const name of plan.remove) this.pairChecks.forget(name);
    for (const pair of [...added, ...plan.reconfigure.map((c) => byName(c.name))])
      this.#checkPairAtStart(pair);
    await Promise.all(plan.reconfigure.map((config) => byName(config.name).reconfigure(config)));
    const kept = this.#pairs.filter((p) => !removed.includes(p));
    this.#pairs = next.pairs.map((config) =>
      [...kept, ...added].find((p) => p.config.name === config.name),
    ) as PairServer[];
    if (JSON.stringify(next.http) !== JSON.stringify(this.#config.http))
      this.#logger.warn("http settings changed: they take effect at the next start");
    this.#config = next;
    const report: ReloadReport = {
      added: plan.add.map((p) => p.name),
      removed: plan.remove,
      reconfigured: [...plan.reconfigure, ...plan.restart].map((p) => p.name),
      unchanged: plan.unchanged,
    };
    this.#logger.info(report, "configuration reloaded");
    this.events.record({
      kind: "config",
      pair: null,
      server: null,
      message: `configuration reloaded: added [${report.added.join(", ")}], removed [${report.removed.join(", ")}], reconfigured [${report.reconfigured.join(", ")}]`,
      details: { ...report },
    });
    return report;
  }

  /**
   * Stops everything. `delayMs` > 0 (graceful shutdown): downstream clients see ServerState
   * Shutdown with SecondsTillShutdown for that long before the endpoints close.
   */
  async stop(options: { delayMs?: number } = {}): Promise<void> {
    const delayMs = options.delayMs ?? 0;
    this.#logger.info({ delayMs }, "gateway stopping");
    this.pairChecks.stop();
    await Promise.all(this.#pairs.map((p) => this.#stopPair(p, delayMs)));
    await this.#http?.close();
    this.#http = null;
    await this.#notifier?.close();
    await this.events.flush();
  }

  #createPair(config: PairConfig): PairServer {
    const dataDir = this.#options.dataDir ?? "data";
    const full = this.#fullConfig;
    const set = pairSetView(
      full.redundantSet,
      selfPeer(full, this.#options.instance),
      config,
      full.pairs.map((p) => p.name),
    );
    const pair = new PairServer({
      pair: config,
      set,
      logger: this.#logger,
      cacheFile: join(dataDir, "address-space", `${config.name}.json`),
      pkiDir: this.#options.pkiDir ?? join(dataDir, "pki"),
      storage: this.storage,
    });
    const stopEvents = followClient(this.events, pair.client);
    const stopMetrics = this.metrics.follow(config.name, pair.client);
    const onFacts = (event: ServerFactsEvent) =>
      this.#serverFacts.emit("serverFacts", { pair: config.name, ...event });
    pair.client.on("serverFacts", onFacts);
    this.#unfollow.set(pair, () => {
      stopEvents();
      stopMetrics();
      pair.client.off("serverFacts", onFacts);
    });
    return pair;
  }

  async #stopPair(pair: PairServer, delayMs: number): Promise<void> {
    await pair.stop(delayMs);
    this.#unfollow.get(pair)?.();
    this.#unfollow.delete(pair);
  }
}
