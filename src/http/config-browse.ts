/**
 * Browsing an upstream server's address space for the configuration page (picking monitor items):
 * the children of one node, and a search over the server's variables (its pair-check inventory,
 * kept for a minute so that typing in the search box does not browse the server again each time).
 */
import { BrowseDirection, type ClientSession, NodeClass } from "node-opcua";
import {
  chooseToolEndpoint,
  readDiscoveryServices,
  type ToolSessionOptions,
  withToolSession,
} from "../discovery/session.ts";
import { RedundancyError } from "../errors.ts";
import { type Inventory, takeInventory } from "../pair-check/inventory.ts";

export interface BrowsedNode {
  nodeId: string;
  name: string;
  nodeClass: string;
}

async function session<T>(
  url: string,
  options: ToolSessionOptions,
  work: (s: ClientSession) => Promise<T>,
): Promise<T> {
  const { endpoints } = await readDiscoveryServices(url, options.timeoutMs, options.pkiFolder);
  const endpoint = chooseToolEndpoint(endpoints, options.identity !== undefined, options.security);
  if (!endpoint) throw new RedundancyError("ERR_UPSTREAM_REQUEST", `${url}: no usable endpoint`);
  return withToolSession(url, endpoint, options, work);
}

export async function browseChildren(
  url: string,
  nodeId: string,
  options: ToolSessionOptions,
): Promise<BrowsedNode[]> {
  return session(url, options, async (s) => {
    const result = await s.browse({
      nodeId,
      browseDirection: BrowseDirection.Forward,
      referenceTypeId: "HierarchicalReferences",
      includeSubtypes: true,
      nodeClassMask: NodeClass.Object | NodeClass.Variable,
      resultMask: 63,
    });
    if (!result.statusCode.isGood())
      throw new RedundancyError("ERR_UPSTREAM_REQUEST", `browse ${nodeId}: ${result.statusCode.name}`);
    return (result.references ?? []).map((r) => ({
      nodeId: r.nodeId.toString(),
      name: r.displayName.text ?? r.browseName.name ?? "",
      nodeClass: NodeClass[r.nodeClass] ?? String(r.nodeClass),
    }));
  });
}

const cache = new Map<string, { at: number; inventory: Promise<Inventory> }>();
const CACHE_MS = 60_000;

export async function searchVariables(
  url: string,
  query: string,
  options: ToolSessionOptions,
  limit = 100,
): Promise<BrowsedNode[]> {
  let entry = cache.get(url);
  if (!entry || Date.now() - entry.at > CACHE_MS) {
    entry = { at: Date.now(), inventory: session(url, options, takeInventory) };
    cache.set(url, entry);
    entry.inventory.catch(() => cache.delete(url));
  }
  const inventory = await entry.inventory;
  const needle = query.toLowerCase();
  const found: BrowsedNode[] = [];
  for (const node of inventory.nodes.values()) {
    if (node.nodeClass !== "Variable") continue;
    const name = node.path.slice(node.path.lastIndexOf(":") + 1);
    if (node.nodeId.toLowerCase().includes(needle) || node.path.toLowerCase().includes(needle))
      found.push({ nodeId: node.nodeId, name, nodeClass: "Variable" });
    if (found.length >= limit) break;
  }
  return found;
}
