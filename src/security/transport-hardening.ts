/**
 * A guard against a crash in node-opcua's server transport (2.186.4). After a HEL message the
 * transport replaces its packet assembler and removes the old one's listeners, but bytes that came
 * in the same TCP segment as the HEL are still fed to the old assembler. If they announce an
 * oversized chunk, it emits "error" with no listener, which throws out of the socket's data
 * handler: one hostile packet (HEL + a bogus chunk header) would take the whole gateway down.
 * An assembler nobody listens to any more has no one to tell: its errors are dropped (the
 * connection itself stays under the transport's normal timeouts and limits).
 */
import { dropUnheardAssemblerErrors } from "../node-opcua-private.ts";

/** Installs the guard (once per process; the patch itself is in node-opcua-private.ts). */
export function hardenServerTransport(): void {
  dropUnheardAssemblerErrors();
}
