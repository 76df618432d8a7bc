/**
 * A guard against a crash in node-opcua's server transport (2.186.4). After a HEL message the
 * transport replaces its packet assembler and removes the old one's listeners, but bytes that came
 * in the same TCP segment as the HEL are still fed to the old assembler. If they announce an
 * oversized chunk, it emits "error" with no listener, which throws out of the socket's data
 * handler: one hostile packet (HEL + a bogus chunk header) would take the whole gateway down.
 * An assembler nobody listens to any more has no one to tell: its errors are dropped (the
 * connection itself stays under the transport's normal timeouts and limits).
 */
import { PacketAssembler } from "node-opcua-packet-assembler";

let installed = false;

export function hardenServerTransport(): void {
  if (installed) return;
  installed = true;
  const emit = PacketAssembler.prototype.emit;
  PacketAssembler.prototype.emit = function guardedEmit(
    this: PacketAssembler,
    event: string | symbol,
    ...args: unknown[]
  ): boolean {
    if (event === "error" && this.listenerCount("error") === 0) return false;
    return emit.call(this, event, ...args);
  };
}
