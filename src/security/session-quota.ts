/**
 * The pair's OPC UA server with one more limit than node-opcua has: sessions per client, a client
 * being a remote IP address. Without it, one client could take every session of the endpoint
 * (`limits.maxSessions`) and lock out everyone who connects after it.
 *
 * A CreateSession request over the quota is answered with a ServiceFault BadTooManySessions, as
 * node-opcua does for its own limit. Requests still being served count against the quota (so that
 * a burst of concurrent requests cannot overshoot it).
 */
import {
  OPCUAServer,
  type OPCUAServerOptions,
  type ServerSecureChannelLayer,
  ServiceFault,
  StatusCodes,
} from "node-opcua";
import { interceptCreateSession, type ServerMessage } from "../node-opcua-private.ts";

type Message = ServerMessage;
/** Told of every connection refused before a session (untrusted certificate, garbage, too many). */
export type RefusalListener = (remoteAddress: string, reason: string) => void;

export class QuotaOpcUaServer extends OPCUAServer {
  readonly #maxSessionsPerClient: number;
  readonly #onRefused: RefusalListener | undefined;
  /** Sessions and requests in progress per remote address. */
  readonly #perClient = new Map<string, number>();

  constructor(options: OPCUAServerOptions & { maxSessionsPerClient: number; onRefused?: RefusalListener }) {
    const { maxSessionsPerClient, onRefused, ...serverOptions } = options;
    super(serverOptions);
    this.#maxSessionsPerClient = maxSessionsPerClient;
    this.#onRefused = onRefused;
    if (onRefused) {
      this.on("openSecureChannelFailure", (socket) => onRefused(socket.remoteAddress ?? "", socket.reason));
      this.on("connectionRefused", (socket) => onRefused(socket.remoteAddress ?? "", socket.reason));
    }
    this.on("create_session", (session) => {
      const address = session.channel?.remoteAddress ?? "";
      this.#add(address, 1);
      session.once("session_closed", () => this.#add(address, -1));
    });
    interceptCreateSession(this, (original, message, channel) =>
      this.#createSession(original, message, channel),
    );
  }

  /** Sessions (and CreateSession requests in progress) of one remote address. */
  sessionsOf(address: string): number {
    return this.#perClient.get(address) ?? 0;
  }

  async #createSession(
    original: (message: Message, channel: ServerSecureChannelLayer) => Promise<void>,
    message: Message,
    channel: ServerSecureChannelLayer,
  ): Promise<void> {
    const address = channel.remoteAddress ?? "";
    if (this.sessionsOf(address) >= this.#maxSessionsPerClient) {
      const fault = new ServiceFault({ responseHeader: { serviceResult: StatusCodes.BadTooManySessions } });
      channel.send_response("MSG", fault, message);
      this.#onRefused?.(address, `BadTooManySessions: ${this.#maxSessionsPerClient} sessions per client`);
      return;
    }
    this.#add(address, 1);
    try {
      await original(message, channel);
    } finally {
      this.#add(address, -1);
    }
  }

  #add(address: string, delta: number): void {
    const count = (this.#perClient.get(address) ?? 0) + delta;
    if (count <= 0) this.#perClient.delete(address);
    else this.#perClient.set(address, count);
  }
}
