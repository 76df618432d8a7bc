/**
 * The gateway service: every configured pair on its own OPC UA endpoint (the OPC UA form of
 * RedundancyMaster's "ProgID aliasing"), plus the HTTP status server.
 */
import { join } from "node:path";
import type { GatewayConfig } from "../config/schema.ts";
import { type StatusServer, startStatusServer } from "../http/status-server.ts";
import type { Logger } from "../log.ts";
import { PairServer } from "./pair-server.ts";

export interface GatewayOptions {
  config: GatewayConfig;
  logger: Logger;
  /** Where the address-space caches live (default ./data). */
  dataDir?: string;
  /** The PKI folder (default <dataDir>/pki). */
  pkiDir?: string;
}

export class Gateway {
  readonly pairs: PairServer[];
  readonly #options: GatewayOptions;
  #http: StatusServer | null = null;

  constructor(options: GatewayOptions) {
    this.#options = options;
    const dataDir = options.dataDir ?? "data";
    const pkiDir = options.pkiDir ?? join(dataDir, "pki");
    this.pairs = options.config.pairs.map(
      (pair) =>
        new PairServer({
          pair,
          logger: options.logger,
          cacheFile: join(dataDir, "address-space", `${pair.name}.json`),
          pkiDir,
        }),
    );
  }

  get httpPort(): number | null {
    return this.#http?.port ?? null;
  }

  async start(): Promise<void> {
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
  }
}
