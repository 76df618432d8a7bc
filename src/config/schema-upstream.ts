/**
 * Per-server overrides of the pair's session and subscription settings (issue 4, point 8): a
 * server on a slower or session-limited host can get its own session timeout, keep-alive,
 * lifetime, publishing interval and item queue size. Missing keys fall back to the pair's values.
 */
import { z } from "zod";
import { LIMITS } from "./defaults.ts";
import { describeValue } from "./issues.ts";

type Ctx = z.core.$RefinementCtx<unknown>;

function integer(min: number, unit = "") {
  const expected = `expected an integer >= ${min}${unit}`;
  return z
    .number({
      error: (issue) =>
        issue.code === "invalid_type" ? `${expected}, got ${describeValue(issue.input)}` : undefined,
    })
    .superRefine((n, ctx) => {
      if (!Number.isInteger(n) || n < min || n > LIMITS.uint32Max) {
        ctx.addIssue({ code: "custom", message: `${expected}, got ${describeValue(n)}`, input: n });
      }
    });
}

/** The keys a server entry may add (spread into the server schema). */
export const serverOverridesShape = {
  session: z
    .strictObject({ timeoutMs: integer(LIMITS.sessionTimeoutMinMs, " (milliseconds)").optional() })
    .optional(),
  subscription: z
    .strictObject({
      publishingIntervalMs: integer(LIMITS.publishingIntervalMinMs, " (milliseconds)").optional(),
      keepAliveCount: integer(1).optional(),
      lifetimeCount: integer(3).optional(),
      /** Queue size of this server's items (those that do not ask for their own). */
      queueSize: integer(1).optional(),
    })
    .optional(),
  /**
   * Reverse Connect (Part 6 §7.1.3): the server dials in to `listen`; `url` stays the server's own
   * endpoint URL (its identity in status and events). `serverUri` accepts only that server.
   */
  reverseConnect: z
    .strictObject({
      listen: z.string().regex(/^opc\.tcp:\/\/[^/:]+:\d{1,5}\/?$/, { error: "expected opc.tcp://host:port" }),
      serverUri: z.string().min(1).optional(),
    })
    .optional(),
};

interface PairLike {
  session?: { timeoutMs?: unknown };
  subscription?: { publishingIntervalMs?: unknown; keepAliveCount?: unknown; lifetimeCount?: unknown };
  servers?: unknown;
}
interface ServerLike {
  session?: { timeoutMs?: number };
  subscription?: {
    publishingIntervalMs?: number;
    keepAliveCount?: number;
    lifetimeCount?: number;
    queueSize?: number;
  };
}

/** lifetimeCount ≥ 3 × keepAliveCount (Part 4 §5.13.2) for every server's effective values. */
export function checkServerOverrides(pair: unknown, ctx: Ctx): void {
  // runs on raw input too (`when: always`): anything may be null here
  if (typeof pair !== "object" || pair === null) return;
  const p = pair as PairLike;
  if (!Array.isArray(p.servers)) return;
  p.servers.forEach((server: ServerLike | null | undefined, i) => {
    const own = typeof server === "object" && server !== null ? server.subscription : undefined;
    if (typeof own !== "object" || own === null) return;
    if (own.keepAliveCount === undefined && own.lifetimeCount === undefined) return;
    const keepAlive = own.keepAliveCount ?? p.subscription?.keepAliveCount;
    const lifetime = own.lifetimeCount ?? p.subscription?.lifetimeCount;
    if (!Number.isInteger(keepAlive) || !Number.isInteger(lifetime)) return;
    const minimum = LIMITS.lifetimeToKeepAlive * (keepAlive as number);
    if ((lifetime as number) < minimum) {
      ctx.addIssue({
        code: "custom",
        path: ["servers", i, "subscription", "lifetimeCount"],
        message: `expected at least ${LIMITS.lifetimeToKeepAlive} × keepAliveCount (${minimum}), got ${lifetime}`,
        input: lifetime,
      });
    }
  });
}

export interface UpstreamSettings {
  session: { timeoutMs: number };
  subscription: {
    publishingIntervalMs: number;
    keepAliveCount: number;
    lifetimeCount: number;
    queueSize: number;
  };
}

/** A server's effective session and subscription settings: its overrides over the pair's. */
export function upstreamSettings(
  pair: { session: { timeoutMs: number }; subscription: UpstreamSettings["subscription"] },
  server: ServerLike,
): UpstreamSettings {
  const s = pair.subscription;
  const o = server.subscription ?? {};
  return {
    session: { timeoutMs: server.session?.timeoutMs ?? pair.session.timeoutMs },
    subscription: {
      publishingIntervalMs: o.publishingIntervalMs ?? s.publishingIntervalMs,
      keepAliveCount: o.keepAliveCount ?? s.keepAliveCount,
      lifetimeCount: o.lifetimeCount ?? s.lifetimeCount,
      queueSize: o.queueSize ?? s.queueSize,
    },
  };
}
