/**
 * The gateway as a library: start a configured gateway in this process and stop it, through a
 * small typed face (the `Gateway` class itself stays internal, it is the service's machinery).
 */
import { loadConfigFile, parseGatewayConfig } from "../config/load.ts";
import type { GatewayConfigInput } from "../config/schema.ts";
import type { GatewayPairStatus, ReloadReport } from "../http/api.ts";
import { type Logger, silentLogger } from "../log.ts";
import { routeNodeOpcuaLogs } from "../upstream/opcua-logs.ts";
import { Gateway } from "./gateway.ts";

export interface StartGatewayOptions {
  /** A configuration file (YAML or JSON), or the configuration itself as a plain object. */
  config: string | GatewayConfigInput;
  /** pino logger (default: silent). */
  logger?: Logger;
  /** Where the address-space caches live (default ./data). */
  dataDir?: string;
  /** The PKI folder (default <dataDir>/pki). */
  pkiDir?: string;
  /** Route node-opcua's own console warnings and errors into `logger` (default false: a library leaves the process's globals alone). */
  routeNodeOpcuaLogs?: boolean;
}

export interface GatewayPairEndpoint {
  readonly name: string;
  /** The pair's downstream endpoint, e.g. opc.tcp://host:4841. */
  readonly endpointUrl: string;
}

export interface RunningGateway {
  /** Every pair served, with its downstream endpoint. */
  readonly pairs: readonly GatewayPairEndpoint[];
  /** The status page / HTTP API base URL, or null without `http` in the configuration. */
  readonly httpUrl: string | null;
  /** What `GET /api/status` returns in `pairs`. */
  status(): GatewayPairStatus[];
  /** Operator switch of one pair to `to` (a server URL) or to the best other server. */
  failover(pair: string, to?: string): void;
  /** Reads the configuration file again (only when started from a file). */
  reload(): Promise<ReloadReport>;
  /** Stops every endpoint; `delayMs` > 0: clients see ServerState Shutdown for that long first. */
  stop(options?: { delayMs?: number }): Promise<void>;
}

/**
 * Validates the configuration, starts every pair and the HTTP side, resolves once listening.
 * @throws ConfigError (invalid or unreadable configuration), RedundancyError `ERR_LISTEN`.
 */
export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const fromFile = typeof options.config === "string";
  const config =
    typeof options.config === "string"
      ? await loadConfigFile(options.config)
      : parseGatewayConfig(options.config);
  const logger = options.logger ?? silentLogger;
  if (options.routeNodeOpcuaLogs) routeNodeOpcuaLogs(logger);
  const gateway = new Gateway({
    config,
    logger,
    dataDir: options.dataDir,
    pkiDir: options.pkiDir,
    configFile: fromFile ? (options.config as string) : undefined,
  });
  try {
    await gateway.start();
  } catch (error) {
    await gateway.stop();
    throw error;
  }
  return {
    get pairs() {
      return gateway.pairs.map((p) => ({ name: p.config.name, endpointUrl: p.endpointUrl }));
    },
    get httpUrl() {
      return gateway.httpUrl;
    },
    status: () => gateway.statuses(),
    failover: (pair, to) => gateway.failover(pair, to),
    reload: () => gateway.reload(),
    stop: (stopOptions) => gateway.stop(stopOptions),
  };
}
