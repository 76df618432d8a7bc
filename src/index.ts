/**
 * The public entry point of the `opcua-redundancy` package: what users import. Everything else
 * under dist/ is internal and may change without notice.
 */

// The library: a redundant set of upstream servers used as one.
export { RedundantClient, type RedundantClientOptions } from "./client/redundant-client.ts";
// A set of gateway instances (or any non-transparent redundant set): its servers from ServerUriArray.
export { discoverRedundantSet, type RedundantSetDiscovery } from "./client/redundant-set-discovery.ts";
export type { ClockStepEvent, ServerClockStatus } from "./client/server-clocks.ts";
export type {
  AllServersLostEvent,
  CertificateRefusedEvent,
  FailoverEvent,
  GapEvent,
  MonitorChangedEvent,
  MonitorHandle,
  MonitorNoticeEvent,
  MonitorOptions,
  PairStatus,
  RecoveredEvent,
  RedundantClientEvents,
  ServerFactsEvent,
  ServerStatus,
  StateChangeEvent,
} from "./client/types.ts";
export type { Clock } from "./clock.ts";
// Configuration.
export {
  ConfigError,
  type ConfigIssue,
  loadConfigFile as loadConfig,
  parseConfigText,
  parseGatewayConfig,
  parsePairConfig,
} from "./config/load.ts";
export type {
  GatewayConfig,
  GatewayConfigInput,
  Mode,
  MonitorConfig,
  PairConfig,
  PairConfigInput,
  ServerConfig,
} from "./config/schema.ts";
// Errors.
export { type ErrorCode, RedundancyError } from "./errors.ts";
// The gateway, in-process.
export {
  type GatewayPairEndpoint,
  type RunningGateway,
  type StartGatewayOptions,
  startGateway,
} from "./gateway/embedded.ts";
export type { GatewayPairStatus, ReloadReport } from "./http/api.ts";
export type { Logger } from "./log.ts";

// The simulator, for users' own tests.
export {
  type Simulator,
  type SimulatorOptions,
  startSimulator,
  type WriteLogEntry,
} from "./simulator/simulator.ts";
