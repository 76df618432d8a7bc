/**
 * Who may change the configuration from the status page: an operator. Credentials come as HTTP
 * Basic auth (browsers) or a Bearer token (scripts): the API token (the operator's key: name
 * "api-token"), or a user of a pair's `security.users` with its password (checked against its
 * hash) — role `operate` may change, role `read` is refused (403). Never logs a credential.
 */

import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { GatewayConfig } from "../config/schema.ts";
import { verifyPassword } from "../security/password-hash.ts";

export type ConfigAuth =
  | { outcome: "ok"; who: string }
  /** 401: no or wrong credentials. */
  | { outcome: "unauthenticated" }
  /** 403: a user without the operate role. */
  | { outcome: "forbidden"; who: string };

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function credentials(header: string | undefined): { user: string | null; secret: string } | null {
  if (!header) return null;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (!scheme || !value) return null;
  if (scheme.toLowerCase() === "bearer") return { user: null, secret: value };
  if (scheme.toLowerCase() !== "basic") return null;
  const decoded = Buffer.from(value, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : { user: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

export async function authenticateOperator(
  request: IncomingMessage,
  token: string | null,
  config: GatewayConfig,
): Promise<ConfigAuth> {
  const given = credentials(request.headers.authorization);
  if (!given) return { outcome: "unauthenticated" };
  if (token !== null && same(given.secret, token)) return { outcome: "ok", who: "api-token" };
  if (given.user === null) return { outcome: "unauthenticated" };
  let role: "read" | "operate" | null = null;
  for (const pair of config.pairs)
    for (const user of pair.security.users)
      if (user.name === given.user && (await verifyPassword(given.secret, user.passwordHash)))
        role = role === "operate" ? role : user.role;
  if (role === null) return { outcome: "unauthenticated" };
  return role === "operate" ? { outcome: "ok", who: given.user } : { outcome: "forbidden", who: given.user };
}
