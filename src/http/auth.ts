/**
 * HTTP authentication for state-changing requests (issue 7 point 5): one API token, presented as
 * `Authorization: Bearer <token>` or as the password of HTTP Basic auth (any user name), so that
 * scripts and browsers both work. The token is never logged, shown or echoed.
 */
import { timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import type { HttpAuthConfig } from "../config/schema-http.ts";
import { RedundancyError } from "../errors.ts";

/** Reads the token from where the configuration says; a missing source is a configuration error. */
export async function resolveToken(auth: HttpAuthConfig | undefined): Promise<string | null> {
  if (!auth) return null;
  if (auth.token !== undefined) return auth.token;
  if (auth.tokenEnv !== undefined) {
    const value = process.env[auth.tokenEnv];
    if (!value)
      throw new RedundancyError(
        "ERR_CONFIG_INVALID",
        `http.auth.tokenEnv: environment variable ${auth.tokenEnv} is not set`,
      );
    return value;
  }
  const file = auth.tokenFile as string;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new RedundancyError("ERR_CONFIG_UNREADABLE", `http.auth.tokenFile: cannot read ${file}`, {
      cause: error,
    });
  }
  const token = text.trim();
  if (token.length === 0)
    throw new RedundancyError("ERR_CONFIG_INVALID", `http.auth.tokenFile: ${file} is empty`);
  return token;
}

/** `ok`, `missing` (no credentials: 401), `denied` (wrong ones: 401), `disabled` (no token configured: 403). */
export type AuthOutcome = "ok" | "missing" | "denied" | "disabled";

/** The credential presented in an Authorization header (Bearer token, or Basic auth's password). */
function presentedSecret(header: string | undefined): string | null {
  if (!header) return null;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (!scheme || !value) return null;
  if (scheme.toLowerCase() === "bearer") return value;
  if (scheme.toLowerCase() !== "basic") return null;
  const decoded = Buffer.from(value, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon === -1 ? null : decoded.slice(colon + 1);
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function authorize(request: IncomingMessage, token: string | null): AuthOutcome {
  if (token === null) return "disabled";
  const presented = presentedSecret(request.headers.authorization);
  if (presented === null) return "missing";
  return sameSecret(presented, token) ? "ok" : "denied";
}
