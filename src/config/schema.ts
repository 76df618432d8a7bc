/**
 * The configuration schema (zod 4). Objects are strict (unknown keys are errors), durations are
 * integers in milliseconds, and every optional setting has its default here. Parse with the
 * functions of `load.ts`, which report every problem with its path and deep-freeze the result.
 */
import { z } from "zod";
import {
  always,
  checkComparison,
  checkGateway,
  checkMonitor,
  checkNodeId,
  checkOpcTcpUrl,
  checkPair,
  checkReconnect,
  checkSubscription,
  labelFromUrl,
} from "./checks.ts";
import { COMPARISON_OPS, DEFAULTS, LIMITS, LOG_LEVELS, MODES } from "./defaults.ts";
import { describeValue } from "./issues.ts";
import { httpConfigSchema, shutdownConfigSchema } from "./schema-http.ts";
import { notificationsSchema } from "./schema-notifications.ts";
import { checkRedundantSet, redundantSetSchema } from "./schema-redundant-set.ts";
import * as security from "./schema-security.ts";
import { checkServerOverrides, serverOverridesShape } from "./schema-upstream.ts";

/**
 * An integer in [min, max], with one message naming the range. (Not `z.int()`: its issue aborts the
 * checks of the enclosing objects, which would hide the cross-field problems.)
 */
function integer(min: number, max: number, unit = "") {
  const range = max >= Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
  const expected = `expected an integer ${range}${unit}`;
  return z
    .number({
      error: (issue) =>
        issue.code === "invalid_type" ? `${expected}, got ${describeValue(issue.input)}` : undefined,
    })
    .superRefine((n, ctx) => {
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `${expected}, got ${describeValue(n)}`, input: n });
      }
    });
}
/** An integer number of milliseconds, at least `min`. */
const durationMs = (min: number) => integer(min, Number.MAX_SAFE_INTEGER, " (milliseconds)");
const count = (min: number, max: number = LIMITS.uint32Max) => integer(min, max);
const port = integer(1, 65_535);
const host = z.string().min(1);

export const modeSchema = z.enum(MODES);

export const serverConfigSchema = z
  .strictObject({
    url: z.string().superRefine(checkOpcTcpUrl),
    /** A label for logs, status and diagnostics; default: host:port[/path] of the URL. */
    name: z.string().min(1).max(LIMITS.pairName.maxLength).optional(),
    ...serverOverridesShape,
    security: security.upstreamSecuritySchema.optional(),
    user: security.upstreamUserSchema.optional(),
  })
  .overwrite((server) =>
    server.name === undefined ? { ...server, name: labelFromUrl(server.url) } : server,
  );

const comparisonSchema = z
  .strictObject({
    op: z.enum(COMPARISON_OPS),
    value: z.union([z.number(), z.boolean(), z.string()], {
      error: (issue) => `expected a number, true, false or a string, got ${describeValue(issue.input)}`,
    }),
  })
  .superRefine(checkComparison, { when: always });

export const monitorConfigSchema = z
  .strictObject({
    nodeId: z.string().superRefine(checkNodeId),
    /** Failing when the item has not changed for this long. */
    noChangeMs: durationMs(LIMITS.monitorNoChangeMinMs).optional(),
    /** Failing while the item's value meets this comparison. */
    value: comparisonSchema.optional(),
    /** Failing while the item's quality is not Good. */
    badQuality: z
      .literal(true, {
        error: (issue) =>
          `expected true (leave the key out for no quality condition), got ${describeValue(issue.input)}`,
      })
      .optional(),
  })
  .superRefine(checkMonitor, { when: always });

const pairNameSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, {
  error: (issue) =>
    `expected 1 to ${LIMITS.pairName.maxLength} characters of A-Z a-z 0-9 _ . -, got ${describeValue(issue.input)}`,
});

const D = DEFAULTS;

export const pairConfigSchema = z
  .strictObject({
    name: pairNameSchema,
    /** The downstream endpoint of the pair (gateway). */
    listen: z.strictObject({ port, host: host.default(D.listenHost) }).optional(),
    mode: modeSchema.default(D.mode),
    /** Preference order: the first is the primary. */
    servers: z.array(serverConfigSchema).min(LIMITS.serversPerPair.min).max(LIMITS.serversPerPair.max),
    statusQuery: z
      .strictObject({
        intervalMs: durationMs(LIMITS.statusQueryMinMs).default(D.statusQuery.intervalMs),
        timeoutMs: durationMs(LIMITS.statusQueryMinMs).default(D.statusQuery.timeoutMs),
      })
      .prefault({}),
    failback: z
      .strictObject({
        policy: z.enum(["auto", "manual"]).default(D.failback.policy),
        holdMs: durationMs(0).default(D.failback.holdMs),
      })
      .prefault({}),
    /** Minimum time between two switches. */
    minDwellMs: durationMs(0).default(D.minDwellMs),
    serviceLevel: z
      .strictObject({ minimum: count(0, LIMITS.serviceLevelMax).default(D.serviceLevel.minimum) })
      .prefault({}),
    monitors: z.array(monitorConfigSchema).default([]),
    /** How many monitors must be failing at once for a failover. */
    failureCount: count(1).default(D.failureCount),
    subscription: z
      .strictObject({
        publishingIntervalMs: durationMs(LIMITS.publishingIntervalMinMs).default(
          D.subscription.publishingIntervalMs,
        ),
        keepAliveCount: count(1).default(D.subscription.keepAliveCount),
        lifetimeCount: count(3).default(D.subscription.lifetimeCount),
        queueSize: count(1).default(D.subscription.queueSize),
        samplingIntervalMs: durationMs(0).default(D.subscription.samplingIntervalMs),
        /**
         * The upstream publishing interval follows the fastest downstream request for a mirrored
         * item, kept within [minMs, maxMs]; absent: always publishingIntervalMs.
         */
        followDownstream: z
          .strictObject({
            minMs: durationMs(LIMITS.publishingIntervalMinMs),
            maxMs: durationMs(LIMITS.publishingIntervalMinMs),
          })
          .optional(),
      })
      .superRefine(checkSubscription, { when: always })
      .prefault({}),
    session: z
      .strictObject({ timeoutMs: durationMs(LIMITS.sessionTimeoutMinMs).default(D.session.timeoutMs) })
      .prefault({}),
    reconnect: z
      .strictObject({
        initialDelayMs: durationMs(LIMITS.reconnectMinMs).default(D.reconnect.initialDelayMs),
        maxDelayMs: durationMs(LIMITS.reconnectMinMs).default(D.reconnect.maxDelayMs),
      })
      .superRefine(checkReconnect, { when: always })
      .prefault({}),
    hot: z
      .strictObject({
        /** Values kept per item, per standby server. */
        bufferSize: count(LIMITS.hotBufferSize.min, LIMITS.hotBufferSize.max).default(D.hot.bufferSize),
        /** active: the active server's values; bestQuality: a Good standby sample beats a Bad active one. */
        itemSelection: z.enum(["active", "bestQuality"]).default(D.hot.itemSelection),
        /** Per item, a selection other than the pair's (NodeIds in the primary's namespace indices). */
        items: z
          .array(
            z.strictObject({
              nodeId: z.string().superRefine(checkNodeId),
              itemSelection: z.enum(["active", "bestQuality"]),
            }),
          )
          .default([]),
      })
      .prefault({}),
    /** The "never older over newer" rule and the servers' clocks (README "Never older over newer"). */
    ordering: z
      .strictObject({
        /** A live value older than the last delivered by more than this is delivered as a time regression. */
        maxRegressionMs: durationMs(LIMITS.orderingMinMs).default(D.ordering.maxRegressionMs),
        /** A change of a server's clock offset beyond this is a clock step. */
        clockStepMs: durationMs(LIMITS.orderingMinMs).default(D.ordering.clockStepMs),
      })
      .prefault({}),
    security: security.pairSecuritySchema.prefault({}),
    limits: security.pairLimitsSchema.prefault({}),
    /** Following the upstream's address-space changes (src/gateway/model-changes.ts). */
    addressSpace: z
      .strictObject({
        /** Re-browse the whole upstream address space this often; 0 = only on NodeVersion changes and failovers. */
        rebrowseMs: durationMs(0)
          .refine((ms) => ms === 0 || ms >= LIMITS.rebrowseMinMs, {
            message: `must be 0 (off) or at least ${LIMITS.rebrowseMinMs} ms`,
          })
          .default(D.addressSpace.rebrowseMs),
      })
      .prefault({}),
    /** The pair check (src/pair-check) the gateway runs in the background when the pair starts. */
    pairCheck: z
      .strictObject({
        /** false: no check at start (it browses every server whole: about 20 s at 100,000 nodes). */
        atStart: z.boolean().default(D.pairCheck.atStart),
      })
      .prefault({}),
  })
  .superRefine(checkPair, { when: always })
  .superRefine(checkServerOverrides, { when: always });

export const gatewayConfigSchema = z
  .strictObject({
    pairs: z.array(pairConfigSchema).min(1),
    /** Status page, /api/status, /metrics, /health. */
    http: httpConfigSchema.optional(),
    shutdown: shutdownConfigSchema,
    diagnostics: z
      .strictObject({
        file: z.string().min(1).optional(),
        maxEvents: count(1).default(D.diagnostics.maxEvents),
      })
      .optional(),
    notifications: notificationsSchema.optional(),
    logLevel: z.enum(LOG_LEVELS).default(D.logLevel),
    /** Several gateway instances as a non-transparent redundant set (schema-redundant-set.ts). */
    redundantSet: redundantSetSchema.optional(),
  })
  .superRefine(checkGateway, { when: always })
  .superRefine(checkRedundantSet, { when: always });

export type Mode = z.output<typeof modeSchema>;
export type ServerConfig = z.output<typeof serverConfigSchema>;
export type MonitorConfig = z.output<typeof monitorConfigSchema>;
export type PairConfig = z.output<typeof pairConfigSchema>;
/** What a library user may pass for one pair: everything that has a default is optional. */
export type PairConfigInput = z.input<typeof pairConfigSchema>;
export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
