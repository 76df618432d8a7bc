/**
 * The `http:` and `shutdown:` sections of a gateway configuration: the status page and API
 * (issue 8), its security (issue 7 point 5) and the graceful shutdown delay.
 */
import { z } from "zod";
import { DEFAULTS } from "./defaults.ts";
import { describeValue } from "./issues.ts";

/** An integer in [min, max] with one message naming the range (as in schema.ts). */
function integer(min: number, max: number, unit = "") {
  const expected = `expected an integer from ${min} to ${max}${unit}`;
  return z
    .number({
      error: (issue) =>
        issue.code === "invalid_type" ? `${expected}, got ${describeValue(issue.input)}` : undefined,
    })
    .superRefine((n, ctx) => {
      if (!Number.isInteger(n) || n < min || n > max)
        ctx.addIssue({ code: "custom", message: `${expected}, got ${describeValue(n)}`, input: n });
    });
}

/** An HTTP(S) port. */
const port = integer(1, 65_535);
/** Graceful shutdown: how long downstream clients see ServerState Shutdown by default. */
export const DEFAULT_SHUTDOWN_DELAY_MS = 3000;

/**
 * Where the API token comes from: exactly one of `token` (in the file: only for tests and demos),
 * `tokenEnv` (an environment variable's name) or `tokenFile` (a file holding it, trimmed).
 */
export const httpAuthSchema = z
  .strictObject({
    token: z.string().min(16, { error: "expected a token of at least 16 characters" }).optional(),
    tokenEnv: z.string().min(1).optional(),
    tokenFile: z.string().min(1).optional(),
  })
  .superRefine((auth, ctx) => {
    const given = [auth.token, auth.tokenEnv, auth.tokenFile].filter((v) => v !== undefined).length;
    if (given !== 1)
      ctx.addIssue({
        code: "custom",
        message: `expected exactly one of token, tokenEnv, tokenFile, got ${given}`,
        input: auth,
      });
  });

export const httpTlsSchema = z.strictObject({
  certFile: z.string().min(1),
  keyFile: z.string().min(1),
});

export const httpConfigSchema = z.strictObject({
  port,
  host: z.string().min(1).default(DEFAULTS.httpHost),
  /** Required for anything that changes state (failover, reload); without it those answer 403. */
  auth: httpAuthSchema.optional(),
  tls: httpTlsSchema.optional(),
});

export const shutdownConfigSchema = z
  .strictObject({
    /** How long downstream clients see ServerState Shutdown (SecondsTillShutdown) before the endpoint closes. */
    delayMs: integer(0, 600_000, " (milliseconds)").default(DEFAULT_SHUTDOWN_DELAY_MS),
  })
  .prefault({});

export type HttpConfig = z.output<typeof httpConfigSchema>;
export type HttpAuthConfig = z.output<typeof httpAuthSchema>;
