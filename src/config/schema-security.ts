/**
 * Configuration of security: the downstream endpoint of a pair (policies, modes, users and roles),
 * the limits a downstream client must stay within, and the upstream connection of a server
 * (policy, mode, user identity with credentials from the environment or a file, never inline).
 *
 * Secure by default: a pair without a `security` section offers only signed and encrypted
 * endpoints and no anonymous access. SecurityPolicy None and anonymous users must be asked for.
 */
import { z } from "zod";
import { PASSWORD_HASH_PATTERN } from "../security/password-hash.ts";
import { always } from "./checks.ts";
import { describeValue } from "./issues.ts";

export const SECURITY_POLICIES = ["Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss"] as const;
export const SECURITY_MODES = ["Sign", "SignAndEncrypt"] as const;
/** read: browse, read, subscribe, read history. operate: also write and call methods. */
export const ROLES = ["read", "operate"] as const;

const role = z.enum(ROLES);
const nonEmpty = z.string().min(1);

const userSchema = z.strictObject({
  name: z.string().min(1).max(128),
  /** Made by `opcua-redundancy hash-password`; the password itself never goes in the file. */
  passwordHash: z.string().regex(PASSWORD_HASH_PATTERN, {
    error: "expected a hash made by 'opcua-redundancy hash-password' (scrypt$N$r$p$salt$hash)",
  }),
  role,
});

const certificateUserSchema = z.strictObject({
  /** PEM or DER file of the user's X.509 certificate; trusted in the user PKI at start. */
  certificate: nonEmpty,
  role,
});

type Ctx = z.core.$RefinementCtx<unknown>;

function checkUniqueNames(users: unknown, ctx: Ctx): void {
  if (!Array.isArray(users)) return;
  const seen = new Set<string>();
  users.forEach((user: unknown, i) => {
    const name = (user as { name?: unknown } | null)?.name;
    if (typeof name !== "string") return;
    if (seen.has(name))
      ctx.addIssue({
        code: "custom",
        path: [i, "name"],
        message: `repeated user name ${JSON.stringify(name)}`,
      });
    seen.add(name);
  });
}

export const pairSecuritySchema = z.strictObject({
  policies: z
    .array(z.enum(SECURITY_POLICIES))
    .min(1)
    .default([...SECURITY_POLICIES]),
  modes: z
    .array(z.enum(SECURITY_MODES))
    .min(1)
    .default([...SECURITY_MODES]),
  /** Also offer SecurityPolicy None (no signature, no encryption). */
  allowNone: z.boolean().default(false),
  /** Accept anonymous users (with `anonymousRole`). */
  anonymous: z.boolean().default(false),
  /** Enabling anonymous access already opts out of security: by default it keeps full access. */
  anonymousRole: role.default("operate"),
  users: z.array(userSchema).superRefine(checkUniqueNames, { when: always }).default([]),
  certificateUsers: z.array(certificateUserSchema).default([]),
});

const limit = (max: number) =>
  z
    .number()
    .int()
    .min(1)
    .max(max, {
      error: (issue) => `expected an integer from 1 to ${max}, got ${describeValue(issue.input)}`,
    });

/** What downstream clients may ask of a pair's endpoint (hostile or broken clients included). */
export const pairLimitsSchema = z.strictObject({
  /** Sessions on the endpoint, all clients together (node-opcua closes unactivated ones first). */
  maxSessions: limit(100_000).default(500),
  /** Sessions of one client (its remote IP address): one client cannot lock the others out. */
  maxSessionsPerClient: limit(100_000).default(50),
  /** TCP connections (secure channels) on the endpoint, all clients together. */
  maxConnections: limit(100_000).default(500),
  maxSubscriptionsPerSession: limit(10_000).default(100),
  maxMonitoredItemsPerSubscription: limit(10_000_000).default(100_000),
  /** Monitored items on the endpoint, all clients together. */
  maxMonitoredItems: limit(10_000_000).default(1_000_000),
  /** Largest request a client may send (bytes, all chunks together). */
  maxMessageSize: limit(512 * 1024 * 1024).default(16 * 1024 * 1024),
  /** Operations in one Read, Write, Browse, Call or CreateMonitoredItems request. */
  maxNodesPerRequest: limit(1_000_000).default(10_000),
});

const UPSTREAM_POLICIES = ["None", ...SECURITY_POLICIES] as const;
const UPSTREAM_MODES = ["None", ...SECURITY_MODES] as const;

/** The identity the gateway presents to an upstream server. */
const upstreamUserSchema = z.union(
  [
    z
      .strictObject({
        name: nonEmpty,
        /** Environment variable that holds the password. */
        passwordEnv: nonEmpty.optional(),
        /** File that holds the password (trailing newline ignored). */
        passwordFile: nonEmpty.optional(),
      })
      .superRefine(
        (user, ctx) => {
          const sources = [user.passwordEnv, user.passwordFile].filter((s) => s !== undefined).length;
          if (sources !== 1)
            ctx.addIssue({
              code: "custom",
              path: [],
              message:
                "expected exactly one of passwordEnv, passwordFile (passwords are never written inline)",
            });
        },
        { when: always },
      ),
    z.strictObject({
      /** PEM file of the user certificate and of its private key. */
      certificate: nonEmpty,
      privateKey: nonEmpty,
    }),
  ],
  {
    error: () =>
      "expected { name, passwordEnv | passwordFile } or { certificate, privateKey } (no other keys)",
  },
);

export const upstreamSecuritySchema = z
  .strictObject({
    policy: z.enum(UPSTREAM_POLICIES).default("None"),
    mode: z.enum(UPSTREAM_MODES).default("None"),
  })
  .superRefine(
    (s, ctx) => {
      if ((s.policy === "None") !== (s.mode === "None"))
        ctx.addIssue({
          code: "custom",
          path: ["mode"],
          message: `policy ${s.policy} needs mode ${s.policy === "None" ? "None" : "Sign or SignAndEncrypt"}, got ${s.mode}`,
        });
    },
    { when: always },
  );

export { upstreamUserSchema };
export type PairSecurity = z.output<typeof pairSecuritySchema>;
export type PairLimits = z.output<typeof pairLimitsSchema>;
export type UpstreamSecurity = z.output<typeof upstreamSecuritySchema>;
export type UpstreamUser = z.output<typeof upstreamUserSchema>;
export type Role = (typeof ROLES)[number];
