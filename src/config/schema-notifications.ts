/**
 * `notifications:` e-mail on diagnostics events (nodemailer): SMTP servers tried in order (the
 * first that accepts wins), recipients each with the event kinds they want, and a digest that
 * bounds the number of mails in a storm. Host names are passed to nodemailer as they are.
 */
import { z } from "zod";
import { EVENT_KINDS } from "../diagnostics/event.ts";
import { describeValue } from "./issues.ts";

const port = z.number().refine((n) => Number.isInteger(n) && n >= 1 && n <= 65_535, {
  error: "expected an integer from 1 to 65535",
});
const positiveMs = (min: number) =>
  z.number().refine((n) => Number.isInteger(n) && n >= min, {
    error: (issue) => `expected an integer >= ${min} (milliseconds), got ${describeValue(issue.input)}`,
  });
const address = z.string().regex(/^[^@\s<>]+@[^@\s<>]+$/, {
  error: (issue) => `expected an e-mail address (name@domain), got ${describeValue(issue.input)}`,
});

const authSchema = z
  .strictObject({
    user: z.string().min(1),
    /** The password itself (prefer passFile or passEnv: a config file is often readable by many). */
    pass: z.string().optional(),
    /** A file holding the password (trailing newline ignored). */
    passFile: z.string().min(1).optional(),
    /** An environment variable holding the password. */
    passEnv: z.string().min(1).optional(),
  })
  .superRefine((auth, ctx) => {
    const given = (["pass", "passFile", "passEnv"] as const).filter((k) => auth[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: `expected exactly one of pass, passFile or passEnv, got ${given.length === 0 ? "none" : given.join(" and ")}`,
      });
    }
  });

export const smtpServerSchema = z.strictObject({
  /** A host name (dots and all) or an address. */
  host: z.string().min(1),
  /** Default 465 with `secure`, else 587. */
  port: port.optional(),
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure: z.boolean().default(false),
  /** Refuse to send unless STARTTLS succeeds. */
  requireTls: z.boolean().default(false),
  auth: authSchema.optional(),
  tls: z
    .strictObject({
      rejectUnauthorized: z.boolean().default(true),
      /** Name to check the server certificate against (default: host). */
      servername: z.string().min(1).optional(),
      /** A PEM file with the CA certificates to trust. */
      caFile: z.string().min(1).optional(),
      minVersion: z.enum(["TLSv1.2", "TLSv1.3"]).optional(),
    })
    .optional(),
  /** Connection, greeting and socket timeout. */
  timeoutMs: positiveMs(100).default(10_000),
});

export const recipientSchema = z.strictObject({
  address,
  /** Event kinds this recipient gets (default: failover, allLost, recovered, monitor, certificate, error). */
  kinds: z
    .array(z.enum(EVENT_KINDS))
    .min(1)
    .default(["failover", "allLost", "recovered", "monitor", "certificate", "clock", "error"]),
});

export const notificationsSchema = z.strictObject({
  smtp: z.array(smtpServerSchema).min(1),
  from: address,
  recipients: z.array(recipientSchema).min(1),
  digest: z
    .strictObject({
      /** The period over which mails are counted. */
      windowMs: positiveMs(1000).default(60_000),
      /** Mails per recipient and window at most; beyond, events wait for one digest at the window's end. */
      maxPerWindow: z
        .number()
        .refine((n) => Number.isInteger(n) && n >= 1, { error: "expected an integer >= 1" })
        .default(5),
    })
    .prefault({}),
});

export type NotificationsConfig = z.output<typeof notificationsSchema>;
export type SmtpServerConfig = z.output<typeof smtpServerSchema>;
export type RecipientConfig = z.output<typeof recipientSchema>;
