import {
  defaultClientTransportFactory,
  type IClientTransport,
  type IClientTransportFactory,
  type OPCUAClient,
  type TransportSettingsOptions,
} from "node-opcua";
import { breakSecureChannel, checkTransport, resetTransportSocket } from "../node-opcua-private.ts";

/**
 * Creates the client's TCP transports (node-opcua's default ones) and remembers the current one,
 * so that an abandoned connection can be aborted with a TCP reset.
 */
export class TransportTracker implements IClientTransportFactory {
  #current: IClientTransport | null = null;

  create(settings?: TransportSettingsOptions): IClientTransport {
    const transport = defaultClientTransportFactory.create(settings);
    checkTransport(transport);
    this.#current = transport;
    return transport;
  }

  /**
   * Abort the current connection with an RST: the kernel discards the bytes not yet delivered,
   * so a Write or Call sent into a dead link cannot reach the server when the link comes back
   * (a plain close would let TCP retransmit them, FIN after).
   */
  reset(): void {
    try {
      if (this.#current) resetTransportSocket(this.#current);
    } catch {
      // already closed
    }
  }
}

/**
 * node-opcua's own keep-alive manager breaks a silent channel this way (`forceConnectionBreak`), so
 * that the ordinary reconnect path runs; the property is not in its public typings. The socket is
 * reset first (see TransportTracker.reset).
 */
export function breakChannel(client: OPCUAClient | null, transports?: TransportTracker): void {
  transports?.reset();
  if (client) breakSecureChannel(client);
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A channel that stays silent this long is broken: a backstop, the health probe notices sooner.
 * Generous, because node's socket timer fires before the data that arrived meanwhile is read when
 * this process's own event loop was busy (a burst of 50k values): a short one cut healthy links.
 */
export function transportTimeoutMs(statusQuery: { intervalMs: number; timeoutMs: number }): number {
  return Math.max(5000, 3 * (statusQuery.intervalMs + statusQuery.timeoutMs));
}
