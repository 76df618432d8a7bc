/**
 * The operator commands' side of the HTTP API (`status`, `failover`, `reload`): a request to a
 * running gateway, its answer, and the exit code it maps to.
 */
import { readFileSync } from "node:fs";

export const DEFAULT_GATEWAY_URL = "http://127.0.0.1:8080";

/** Exit codes of the operator commands (sysexits.h where one fits). */
export const EXIT = {
  ok: 0,
  /** The gateway refused the command (unknown pair, failover impossible). */
  refused: 1,
  usage: 64,
  /** No gateway answered at the URL. */
  unavailable: 69,
  /** Missing or wrong token, or operator commands disabled. */
  noPermission: 77,
  /** The configuration file the gateway re-read is invalid (it keeps running the old one). */
  config: 78,
} as const;

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** The token: --token, else --token-file, else $OPCUA_REDUNDANCY_TOKEN. */
export function tokenFrom(values: { token?: string; "token-file"?: string }): string | undefined {
  if (values.token) return values.token;
  if (values["token-file"]) return readFileSync(values["token-file"], "utf8").trim();
  return process.env.OPCUA_REDUNDANCY_TOKEN || undefined;
}

export function gatewayUrl(values: { url?: string }): string {
  return (values.url ?? process.env.OPCUA_REDUNDANCY_URL ?? DEFAULT_GATEWAY_URL).replace(/\/+$/, "");
}

/** Sends one request; null when nothing answered (the message is written to stderr). */
export async function callApi(
  base: string,
  path: string,
  options: { method?: string; token?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<ApiAnswer | null> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  try {
    const response = await fetch(`${base}${path}`, {
      method: options.method ?? "GET",
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await response.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { error: text.slice(0, 200) };
    }
    return { status: response.status, body };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
    process.stderr.write(`opcua-redundancy: no gateway answered at ${base} (${reason})\n`);
    return null;
  }
}

/** Writes an error answer to stderr and returns its exit code. */
export function failure(answer: ApiAnswer): number {
  const message = typeof answer.body.error === "string" ? answer.body.error : `HTTP ${answer.status}`;
  process.stderr.write(`opcua-redundancy: ${message}\n`);
  const issues = answer.body.issues;
  if (Array.isArray(issues))
    for (const issue of issues as { path?: string; message?: string }[])
      process.stderr.write(`  ${issue.path ? `${issue.path}: ` : ""}${issue.message ?? ""}\n`);
  if (answer.status === 401 || answer.status === 403) return EXIT.noPermission;
  if (answer.status === 422) return EXIT.config;
  return EXIT.refused;
}
