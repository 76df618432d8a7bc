/**
 * The gateway's HTTP side (DESIGN §6): `GET /api/status` and `GET /health`. Read-only for now;
 * the status page, metrics and operator commands come with the operations release.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { PairStatus } from "../client/types.ts";
import { RedundancyError } from "../errors.ts";
import type { Logger } from "../log.ts";

export interface StatusServerOptions {
  host: string;
  port: number;
  pairs(): GatewayPairStatus[];
  logger: Logger;
}

/** A pair's engine status plus what the gateway adds: whether its address space is served yet. */
export interface GatewayPairStatus extends PairStatus {
  /** `mirrored`: the upstream address space (or its cache) is served; `pending`: not yet. */
  addressSpace: "mirrored" | "pending";
}

export interface StatusServer {
  readonly port: number;
  close(): Promise<void>;
}

/** The stable shape of `GET /api/status`: other programs read it. */
export function statusDocument(pairs: readonly GatewayPairStatus[]) {
  return {
    pairs: pairs.map((p) => ({
      name: p.name,
      mode: p.mode,
      state: p.state,
      active: p.active,
      failovers: p.failovers,
      lastFailover: p.lastFailover,
      addressSpace: p.addressSpace,
      servers: p.servers.map((s) => ({
        url: s.url,
        name: s.name,
        state: s.state,
        serverState: s.serverState,
        serviceLevel: s.serviceLevel,
        lastError: s.lastError,
      })),
    })),
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  });
  response.end(text);
}

export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? "/", "http://gateway").pathname;
    if (request.method !== "GET" && request.method !== "HEAD") {
      send(response, 405, { error: "method not allowed" });
      return;
    }
    if (path === "/health") send(response, 200, { status: "ok" });
    else if (path === "/api/status") send(response, 200, statusDocument(options.pairs()));
    else send(response, 404, { error: `no route ${path}` });
  };
  const server = createServer((request, response) => {
    try {
      handle(request, response);
    } catch (error) {
      options.logger.error({ err: error }, "status request failed");
      if (!response.headersSent) send(response, 500, { error: "internal error" });
    }
  });
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
  options.logger.info({ host: options.host, port }, "status server listening");
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
