/**
 * The gateway's HTTP side (DESIGN §6, README "HTTP API"): the status page, the JSON API, live
 * updates (server-sent events), Prometheus metrics; HTTPS when `http.tls` is configured.
 */
import { readFile } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { RedundancyError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { type GatewayControl, handleApi, sendErrorJson, statusDocument } from "./api.ts";
import { type ConfigApiContext, handleConfigApi } from "./config-api.ts";
import type { DiagnosticEvent, DiagnosticEventSource } from "./diagnostic-event.ts";
import type { GatewayMetrics } from "./metrics.ts";
import { SseHub } from "./sse.ts";
import { serveStatic } from "./static-files.ts";

export type { GatewayPairStatus, ReloadReport } from "./api.ts";
export { statusDocument };

export interface StatusServerOptions {
  host: string;
  port: number;
  gateway: GatewayControl;
  events: DiagnosticEventSource;
  /** ServiceLevel and ServerState changes, sent to the page as they happen (`serverFacts`). */
  serverFacts?: ServerFactsSource;
  metrics?: GatewayMetrics;
  /** The API token (null: state-changing requests are refused with 403). Never logged. */
  token: string | null;
  /** The configuration page's API (operators only); absent: no configuration from the page. */
  configApi?: ConfigApiContext;
  tls?: { certFile: string; keyFile: string };
  logger: Logger;
}

export interface StatusServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** A server's ServiceLevel or ServerState changed, in a pair. */
export interface ServerFactsChange {
  pair: string;
  server: string;
  index: number;
  serverState: string | null;
  serviceLevel: number | null;
  at: Date;
}
export interface ServerFactsSource {
  on(event: "serverFacts", listener: (change: ServerFactsChange) => void): unknown;
  off(event: "serverFacts", listener: (change: ServerFactsChange) => void): unknown;
}

/**
 * Server facts and every engine event reach the page as they happen; this slow refresh carries
 * only what changes without an event (counters: items created, recovery, buffer overflows).
 */
const STATUS_REFRESH_MS = 5000;

export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const sse = new SseHub();
  const ctx = {
    gateway: options.gateway,
    events: options.events,
    metrics: options.metrics ?? null,
    sse,
    token: options.token,
  };
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://gateway");
    if (options.configApi && (await handleConfigApi(request, response, url, options.configApi))) return;
    if (await handleApi(request, response, url, ctx)) return;
    if (
      (request.method === "GET" || request.method === "HEAD") &&
      (await serveStatic(url.pathname, response))
    )
      return;
    sendErrorJson(response, 404, "ERR_NOT_FOUND", `no route ${request.method} ${url.pathname}`);
  };
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    handle(request, response).catch((error: unknown) => {
      options.logger.error({ err: error, path: request.url }, "HTTP request failed");
      if (!response.headersSent) sendErrorJson(response, 500, "ERR_INTERNAL", "internal error");
      else response.end();
    });
  };
  const server = options.tls
    ? createHttpsServer(
        { cert: await readTlsFile(options.tls.certFile), key: await readTlsFile(options.tls.keyFile) },
        listener,
      )
    : createHttpServer(listener);

  // Live channel: every diagnostics event, and the status whenever it changed.
  let lastStatus = "";
  const pushStatus = () => {
    if (sse.size === 0) return;
    const document = statusDocument(options.gateway.pairs(), options.gateway.storage?.());
    const text = JSON.stringify(document);
    if (text === lastStatus) return;
    lastStatus = text;
    sse.send("status", document);
  };
  const onEvent = (event: DiagnosticEvent) => {
    sse.send("event", event);
    pushStatus();
  };
  options.events.on("event", onEvent);
  const onFacts = (change: ServerFactsChange) =>
    sse.send("serverFacts", { ...change, at: change.at.toISOString() });
  options.serverFacts?.on("serverFacts", onFacts);
  const statusTimer = setInterval(pushStatus, STATUS_REFRESH_MS);
  statusTimer.unref();

  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) =>
      reject(
        new RedundancyError(
          "ERR_LISTEN",
          `cannot listen on ${options.host}:${options.port}: ${error.message}`,
        ),
      ),
    );
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  const scheme = options.tls ? "https" : "http";
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  const url = `${scheme}://${host}:${port}`;
  options.logger.info(
    { url, auth: options.token === null ? "none (operator commands disabled)" : "token" },
    "status server listening",
  );
  return {
    port,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(statusTimer);
        options.events.off("event", onEvent);
        options.serverFacts?.off("serverFacts", onFacts);
        sse.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readTlsFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new RedundancyError("ERR_CONFIG_UNREADABLE", `http.tls: cannot read ${file}`, { cause: error });
  }
}
