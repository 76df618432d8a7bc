/**
 * The HTTP API's routes (README "HTTP API"): read-only routes are open, state-changing ones
 * (failover, reload) need the API token. Answers are JSON; errors are `{ error, code }`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { PairStatus } from "../client/types.ts";
import { type ErrorCode, RedundancyError } from "../errors.ts";
import type { PairCheckSummary } from "../gateway/pair-check-at-start.ts";
import { authorize } from "./auth.ts";
import {
  DIAGNOSTIC_EVENT_KINDS,
  type DiagnosticEventFilter,
  type DiagnosticEventKind,
  type DiagnosticEventSource,
} from "./diagnostic-event.ts";
import type { GatewayMetrics } from "./metrics.ts";
import type { SseHub } from "./sse.ts";

/** A pair's engine status plus what the gateway adds: whether its address space is served yet. */
export interface GatewayPairStatus extends PairStatus {
  /** `mirrored`: the upstream address space (or its cache) is served; `pending`: not yet. */
  addressSpace: "mirrored" | "pending";
  /** Whether the pair's servers are interchangeable (null until checked; see pair-check-at-start.ts). */
  pairCheck?: PairCheckSummary | null;
  /** The ServiceLevel the pair's endpoint shows (Server.ServiceLevel, i=2267). */
  serviceLevel: number;
  /** `starting` until the address space is served and the engine decided, `stopping` from shutdown. */
  phase: "starting" | "running" | "stopping";
}

/** What a reload did, pair by pair. */
export interface ReloadReport {
  added: string[];
  removed: string[];
  /** Pairs whose settings changed: restarted on other servers, endpoint and sessions kept. */
  reconfigured: string[];
  unchanged: string[];
}

/** What the HTTP side may see and do of the gateway. */
export interface GatewayControl {
  pairs(): GatewayPairStatus[];
  /** Files of the data directory that cannot be written (src/gateway/storage-problems.ts). */
  storage?(): readonly unknown[];
  /** Operator switch; throws RedundancyError ERR_UNKNOWN_PAIR, ERR_INVALID_ARGUMENT or ERR_FAILOVER_REFUSED. */
  failover(pair: string, to?: string): void;
  /** Re-reads the configuration file; throws ConfigError (nothing changed) when it is invalid. */
  reload(): Promise<ReloadReport>;
}

/** The stable shape of `GET /api/status`: other programs read it. */
export function statusDocument(pairs: readonly GatewayPairStatus[], storage: readonly unknown[] = []) {
  return {
    // what cannot be written to the data directory: empty when every write works
    storage,
    pairs: pairs.map((p) => ({
      name: p.name,
      mode: p.mode,
      state: p.state,
      active: p.active,
      activeIndex: p.activeIndex,
      failovers: p.failovers,
      lastFailover: p.lastFailover,
      addressSpace: p.addressSpace,
      pairCheck: p.pairCheck ?? null,
      serviceLevel: p.serviceLevel,
      phase: p.phase,
      monitoredItems: p.monitoredItems,
      hotBufferOverflows: p.hotBufferOverflows,
      // Monitor-item results, when the engine reports them (issue 5).
      ...("monitors" in p ? { monitors: (p as { monitors?: unknown }).monitors } : {}),
      servers: p.servers.map((s) => ({
        url: s.url,
        name: s.name,
        state: s.state,
        role: s.role,
        active: s.active,
        serverState: s.serverState,
        serviceLevel: s.serviceLevel,
        lastError: s.lastError,
        lastErrorAt: s.lastErrorAt,
        lastErrorCurrent: s.lastErrorCurrent,
        monitoredItems: s.monitoredItems,
        publishingIntervalMs: s.publishingIntervalMs,
        // server clock − gateway clock (ms), its steps and the time regressions delivered from it
        clock: s.clock,
      })),
    })),
  };
}

export interface ApiContext {
  gateway: GatewayControl;
  events: DiagnosticEventSource;
  metrics: GatewayMetrics | null;
  sse: SseHub;
  token: string | null;
}

const MAX_BODY_BYTES = 16 * 1024;
const MAX_EVENTS = 1000;

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  });
  response.end(JSON.stringify(body));
}

/** An HTTP error answer: `{ error, code }`, the code one of the stable ErrorCodes. */
export function sendErrorJson(
  response: ServerResponse,
  status: number,
  code: ErrorCode,
  message: string,
): void {
  sendJson(response, status, { error: message, code });
}

const HTTP_STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  ERR_UNKNOWN_PAIR: 404,
  ERR_INVALID_ARGUMENT: 400,
  ERR_FAILOVER_REFUSED: 409,
  ERR_CONFIG_INVALID: 422,
  ERR_CONFIG_UNREADABLE: 422,
};

function sendError(response: ServerResponse, error: RedundancyError): void {
  const issues = (error as { issues?: unknown }).issues;
  sendJson(response, HTTP_STATUS_BY_CODE[error.code] ?? 500, {
    error: error.message,
    code: error.code,
    ...(Array.isArray(issues) ? { issues } : {}),
  });
}

async function readJsonBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new RedundancyError("ERR_INVALID_ARGUMENT", `request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new RedundancyError("ERR_INVALID_ARGUMENT", "the request body is not JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new RedundancyError("ERR_INVALID_ARGUMENT", "expected a JSON object as the request body");
  return body as Record<string, unknown>;
}

function eventFilter(query: URLSearchParams): DiagnosticEventFilter {
  const filter: DiagnosticEventFilter = { limit: MAX_EVENTS };
  const pair = query.get("pair");
  const server = query.get("server");
  const kind = query.get("kind");
  const after = query.get("after");
  const limit = query.get("limit");
  if (pair) filter.pair = pair;
  if (server) filter.server = server;
  if (kind) {
    if (!(DIAGNOSTIC_EVENT_KINDS as readonly string[]).includes(kind))
      throw new RedundancyError(
        "ERR_INVALID_ARGUMENT",
        `kind: expected one of ${DIAGNOSTIC_EVENT_KINDS.join(", ")}`,
      );
    filter.kind = kind as DiagnosticEventKind;
  }
  if (after) filter.afterSeq = integerParam("after", after);
  if (limit) filter.limit = Math.min(MAX_EVENTS, Math.max(1, integerParam("limit", limit)));
  return filter;
}

function integerParam(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new RedundancyError("ERR_INVALID_ARGUMENT", `${name}: expected an integer`);
  return n;
}

/** Answers 401/403 and returns false unless the request carries the API token. */
function authorized(request: IncomingMessage, response: ServerResponse, token: string | null): boolean {
  const outcome = authorize(request, token);
  if (outcome === "ok") return true;
  if (outcome === "disabled") {
    sendErrorJson(
      response,
      403,
      "ERR_FORBIDDEN",
      "operator commands are disabled: configure http.auth to enable them",
    );
  } else {
    response.setHeader("www-authenticate", 'Bearer realm="opcua-redundancy"');
    const message = outcome === "missing" ? "authentication required" : "invalid credentials";
    sendErrorJson(response, 401, "ERR_UNAUTHORIZED", message);
  }
  return false;
}

/** Handles `/api/*`, `/health`, `/ready`, `/metrics`; returns false for any other path. */
export async function handleApi(
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  ctx: ApiContext,
): Promise<boolean> {
  const method = request.method ?? "GET";
  const path = url.pathname;
  const get = method === "GET" || method === "HEAD";
  try {
    if (path === "/health" && get) sendJson(response, 200, { status: "ok" });
    else if (path === "/ready" && get) {
      const pairs = ctx.gateway.pairs();
      const waiting = pairs.filter((p) => p.active === null).map((p) => p.name);
      sendJson(response, waiting.length === 0 ? 200 : 503, {
        ready: waiting.length === 0,
        ...(waiting.length > 0 ? { waiting } : {}),
      });
    } else if (path === "/api/status" && get)
      sendJson(response, 200, statusDocument(ctx.gateway.pairs(), ctx.gateway.storage?.()));
    else if (path === "/api/events" && get)
      sendJson(response, 200, {
        events: ctx.events.list(eventFilter(url.searchParams)),
        kinds: DIAGNOSTIC_EVENT_KINDS,
      });
    else if (path === "/api/live" && get) {
      const initial = [
        { event: "status", data: statusDocument(ctx.gateway.pairs(), ctx.gateway.storage?.()) },
      ];
      ctx.sse.open(request, response, initial);
    } else if (path === "/metrics" && get && ctx.metrics) {
      const text = await ctx.metrics.text();
      response.writeHead(200, { "content-type": ctx.metrics.contentType, "cache-control": "no-store" });
      response.end(text);
    } else if (path.startsWith("/api/pairs/") && path.endsWith("/failover")) {
      if (method !== "POST") return methodNotAllowed(response, "POST");
      if (!authorized(request, response, ctx.token)) return true;
      const name = decodeURIComponent(path.slice("/api/pairs/".length, -"/failover".length));
      const body = await readJsonBody(request);
      if (body.to !== undefined && typeof body.to !== "string")
        throw new RedundancyError("ERR_INVALID_ARGUMENT", "to: expected a server URL");
      ctx.gateway.failover(name, body.to as string | undefined);
      const pair = statusDocument(ctx.gateway.pairs()).pairs.find((p) => p.name === name);
      sendJson(response, 200, { ok: true, pair });
    } else if (path === "/api/reload") {
      if (method !== "POST") return methodNotAllowed(response, "POST");
      if (!authorized(request, response, ctx.token)) return true;
      await readJsonBody(request);
      sendJson(response, 200, { ok: true, ...(await ctx.gateway.reload()) });
    } else if (["/health", "/ready", "/api/status", "/api/events", "/api/live", "/metrics"].includes(path))
      return methodNotAllowed(response, "GET");
    else return false;
  } catch (error) {
    if (!(error instanceof RedundancyError)) throw error;
    sendError(response, error);
  }
  return true;
}

function methodNotAllowed(response: ServerResponse, allow: string): true {
  response.setHeader("allow", allow);
  sendErrorJson(response, 405, "ERR_METHOD", "method not allowed");
  return true;
}
