import {
  type BrowseResult,
  type ClientSubscription,
  NodeId,
  type NodeIdLike,
  resolveNodeId,
} from "node-opcua";
import { subscriptionItems } from "../node-opcua-private.ts";

/**
 * The pair's canonical namespace table, kept for the client's lifetime: the first server's
 * NamespaceArray as first read or, when the first server cannot be reached at start, that of the
 * first other server that answers. Every NodeId the engine and its users handle uses these indices;
 * each link translates them to its server's current indices by namespace URI.
 */
export class CanonicalNamespaces {
  uris: readonly string[] | null = null;
  #primaryDown = false;
  #waiters: (() => void)[] = [];

  /** Whether a link of server `index` may define the table now. */
  mayDefine(index: number): boolean {
    return this.uris === null && (index === 0 || this.#primaryDown);
  }

  define(uris: readonly string[]): void {
    this.uris ??= uris;
    this.#wake();
  }

  /** The first server failed to connect: another server's table will do. */
  primaryUnavailable(): void {
    this.#primaryDown = true;
    this.#wake();
  }

  /** Resolves when the table is known or another server may define it. */
  settled(): Promise<void> {
    if (this.uris !== null || this.#primaryDown) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
}

/** Index `ns` of table `from` in table `to`, by URI (0, unknown tables and unknown URIs: unchanged). */
export function mapNamespace(
  ns: number,
  from: readonly string[] | null,
  to: readonly string[] | null,
): number {
  if (ns === 0 || !from || !to || from === to) return ns;
  const uri = from[ns];
  if (uri === undefined) return ns;
  const index = to.indexOf(uri);
  return index < 0 ? ns : index;
}

/**
 * Move the NodeIds of a subscription's items from the namespace table `before` to `after`, so that
 * node-opcua re-creates them (after a server restart) at the namespaces' new indices.
 */
export function repointItems(
  subscription: ClientSubscription,
  before: readonly string[] | null,
  after: readonly string[],
): void {
  // what node-opcua re-creates each item from: its itemToMonitor
  for (const item of subscriptionItems(subscription)) {
    const target = item.itemToMonitor;
    if (!target?.nodeId) continue;
    const ns = mapNamespace(target.nodeId.namespace, before, after);
    // a new NodeId: the old one may be the canonical spec itself
    if (ns !== target.nodeId.namespace)
      target.nodeId = new NodeId(target.nodeId.identifierType, target.nodeId.value, ns);
  }
}

function remapped(nodeId: NodeIdLike, from: readonly string[] | null, to: readonly string[] | null): NodeId {
  const id = resolveNodeId(nodeId);
  const ns = mapNamespace(id.namespace, from, to);
  return ns === id.namespace ? id : new NodeId(id.identifierType, id.value, ns);
}

/** One link's view: canonical ↔ the server's current NamespaceArray. */
export class LinkNamespaces {
  readonly #canonical: CanonicalNamespaces;
  readonly #index: number;
  /** The server's NamespaceArray as last read (null before the first read). */
  current: readonly string[] | null = null;

  constructor(canonical: CanonicalNamespaces, index: number) {
    this.#canonical = canonical;
    this.#index = index;
  }

  /**
   * Before this link's first items: wait until the canonical table is known or this link may
   * define it; after `timeoutMs` (the first server neither answers nor fails) this link defines it.
   */
  async settle(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.#canonical.settled(), timeout]).finally(() => clearTimeout(timer));
    if (this.current && this.#canonical.uris === null) this.#canonical.define(this.current);
  }

  /** Take a NamespaceArray just read; returns the previous one when it changed. */
  update(uris: readonly string[]): readonly string[] | null | undefined {
    if (this.#canonical.mayDefine(this.#index)) this.#canonical.define(uris);
    const previous = this.current;
    this.current = uris;
    const changed =
      previous !== null && (previous.length !== uris.length || previous.some((u, i) => u !== uris[i]));
    return changed ? previous : undefined;
  }

  toLink(nodeId: NodeIdLike): NodeId {
    return remapped(nodeId, this.#canonical.uris, this.current);
  }

  toCanonical(nodeId: NodeIdLike): NodeId {
    return remapped(nodeId, this.current, this.#canonical.uris);
  }

  /** Browse results in canonical indices (target, reference type, type definition, browse name). */
  browseResultsToCanonical(results: BrowseResult[]): BrowseResult[] {
    const from = this.current;
    const to = this.#canonical.uris;
    if (!from || !to || from === to) return results;
    for (const result of results) {
      for (const ref of result.references ?? []) {
        ref.nodeId.namespace = mapNamespace(ref.nodeId.namespace, from, to);
        ref.referenceTypeId.namespace = mapNamespace(ref.referenceTypeId.namespace, from, to);
        ref.typeDefinition.namespace = mapNamespace(ref.typeDefinition.namespace, from, to);
        ref.browseName.namespaceIndex = mapNamespace(ref.browseName.namespaceIndex, from, to);
      }
    }
    return results;
  }
}
