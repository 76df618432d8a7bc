import { type BrowseResult, NodeId, type NodeIdLike, resolveNodeId } from "node-opcua";

/**
 * The pair's canonical namespace table: the first NamespaceArray any link read, kept for the
 * client's lifetime. Every NodeId the engine and its users handle uses these indices; each link
 * translates them to its server's current indices by namespace URI.
 */
export interface CanonicalNamespaces {
  uris: readonly string[] | null;
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

function remapped(nodeId: NodeIdLike, from: readonly string[] | null, to: readonly string[] | null): NodeId {
  const id = resolveNodeId(nodeId);
  const ns = mapNamespace(id.namespace, from, to);
  return ns === id.namespace ? id : new NodeId(id.identifierType, id.value, ns);
}

/** One link's view: canonical ↔ the server's current NamespaceArray. */
export class LinkNamespaces {
  readonly #canonical: CanonicalNamespaces;
  /** The server's NamespaceArray as last read (null before the first read). */
  current: readonly string[] | null = null;

  constructor(canonical: CanonicalNamespaces) {
    this.#canonical = canonical;
  }

  /** Take a NamespaceArray just read; returns the previous one when it changed. */
  update(uris: readonly string[]): readonly string[] | null | undefined {
    this.#canonical.uris ??= uris;
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
