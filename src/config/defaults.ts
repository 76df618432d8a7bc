/**
 * Default values and limits of the configuration, in one place so that documentation, schema and
 * tests agree. Durations are integers in milliseconds.
 */
export const MODES = ["cold", "warm", "hot"] as const;
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export const COMPARISON_OPS = ["==", "!=", "<", "<=", ">", ">="] as const;
/** Operators that order values: they need a number to compare with. */
export const ORDERING_OPS: ReadonlySet<string> = new Set(["<", "<=", ">", ">="]);
export const MONITOR_CONDITIONS = ["noChangeMs", "value", "badQuality"] as const;

export const DEFAULTS = {
  mode: "hot",
  /** A gateway serves downstream clients on the network, so it listens on every interface. */
  listenHost: "0.0.0.0",
  /** The status page exposes operator commands: loopback only unless configured otherwise. */
  httpHost: "127.0.0.1",
  statusQuery: { intervalMs: 500, timeoutMs: 1000 },
  failback: { policy: "auto", holdMs: 5000 },
  minDwellMs: 1000,
  serviceLevel: { minimum: 0 },
  failureCount: 1,
  subscription: {
    publishingIntervalMs: 100,
    keepAliveCount: 10,
    lifetimeCount: 300,
    queueSize: 1000,
    samplingIntervalMs: 0,
  },
  session: { timeoutMs: 60_000 },
  reconnect: { initialDelayMs: 100, maxDelayMs: 2000 },
  hot: { bufferSize: 1000, itemSelection: "bestQuality" },
  ordering: { maxRegressionMs: 5000, clockStepMs: 1000 },
  addressSpace: { rebrowseMs: 0 },
  pairCheck: { atStart: true },
  diagnostics: { maxEvents: 10_000 },
  logLevel: "info",
} as const;

export const LIMITS = {
  pairName: { maxLength: 64, pattern: /^[A-Za-z0-9_.-]+$/ },
  serversPerPair: { min: 1, max: 8 },
  statusQueryMinMs: 50,
  /** A whole re-browse costs about 1 s per 10,000 nodes on the upstream (see README). */
  rebrowseMinMs: 1000,
  monitorNoChangeMinMs: 10,
  publishingIntervalMinMs: 10,
  sessionTimeoutMinMs: 1000,
  reconnectMinMs: 10,
  /** OPC UA counts and sizes are UInt32. */
  uint32Max: 4_294_967_295,
  hotBufferSize: { min: 1, max: 100_000 },
  /** ordering.maxRegressionMs and clockStepMs: below this, clock noise and network delay dominate. */
  orderingMinMs: 100,
  serviceLevelMax: 255,
  /** lifetimeCount must be at least this many times keepAliveCount (OPC UA Part 4 §5.13.2). */
  lifetimeToKeepAlive: 3,
} as const;
