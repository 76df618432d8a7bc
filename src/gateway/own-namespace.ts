/**
 * The upstream's own namespace URI at the gateway's index 1 (DESIGN §5, README "NamespaceArray").
 *
 * Index 1 holds the mirror of the upstream's own namespace, so a client that addresses a node as
 * `nsu=<upstream URI>;s=...` (or keeps ExpandedNodeIds with namespace URIs) must find that URI at
 * index 1, as it does directly. node-opcua names index 1 after the server's applicationUri when the
 * server is built, before any upstream is known; the URI is set here once the first address space
 * (from the cache or the upstream) is installed. The gateway's ApplicationUri and ServerArray stay
 * its own: they are bound to its certificate, and a transparent set has one ServerUri, the gateway's.
 */
import type { AddressSpace } from "node-opcua";
import { renameNamespace } from "../node-opcua-private.ts";

/** Gives index 1 the upstream's URI; false (nothing changed) when the URI is already used elsewhere. */
export function presentUpstreamNamespace(addressSpace: AddressSpace, uri: string | undefined): boolean {
  if (!uri) return false;
  const own = addressSpace.getOwnNamespace();
  if (own.namespaceUri === uri) return true;
  if (addressSpace.getNamespaceIndex(uri) >= 0) return false;
  renameNamespace(addressSpace, own, uri);
  return true;
}
