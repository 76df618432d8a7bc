/**
 * Server-sent events: the status page's live channel. Each client gets named events
 * (`status`, `event`) as they happen and a comment every 15 s so that proxies keep it open.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

const KEEP_ALIVE_MS = 15_000;

export class SseHub {
  readonly #clients = new Set<ServerResponse>();
  #keepAlive: NodeJS.Timeout | null = null;

  get size(): number {
    return this.#clients.size;
  }

  /** Takes over the response; `initial` events are sent first (the current state). */
  open(
    request: IncomingMessage,
    response: ServerResponse,
    initial: { event: string; data: unknown }[],
  ): void {
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    for (const message of initial) response.write(format(message.event, message.data));
    this.#clients.add(response);
    request.on("close", () => this.#clients.delete(response));
    this.#keepAlive ??= setInterval(() => {
      for (const client of this.#clients) client.write(": keep-alive\n\n");
    }, KEEP_ALIVE_MS);
    this.#keepAlive.unref();
  }

  send(event: string, data: unknown): void {
    if (this.#clients.size === 0) return;
    const text = format(event, data);
    for (const client of this.#clients) client.write(text);
  }

  close(): void {
    if (this.#keepAlive) clearInterval(this.#keepAlive);
    this.#keepAlive = null;
    for (const client of this.#clients) client.end();
    this.#clients.clear();
  }
}

function format(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
