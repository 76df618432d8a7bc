import { NodeId, type NodeIdLike, resolveNodeId } from "node-opcua";
import type { StructureCodec } from "./structure-values.ts";
import { type IndexMap, type ValueRemap, valueRemap } from "./value-remap.ts";

/**
 * Namespace indices between one upstream server and the gateway (DESIGN §5): 0 is the standard
 * namespace, 1 is the server's own namespace (mirrored into the gateway's own index 1), and every
 * other index is matched by namespace URI.
 */
export class NamespaceMap {
  /** upstream index → downstream index */
  readonly #toDownstream: number[];
  /** downstream index → upstream index */
  readonly #toUpstream = new Map<number, number>();

  constructor(upstreamUris: readonly string[], downstreamUris: readonly string[]) {
    this.#toDownstream = upstreamUris.map((uri, i) => (i <= 1 ? i : downstreamUris.indexOf(uri)));
    this.#toDownstream.forEach((d, u) => {
      if (d >= 0) this.#toUpstream.set(d, u);
    });
  }

  /** The namespace URIs of the upstream that the gateway does not have yet (to register them). */
  static missing(upstreamUris: readonly string[], downstreamUris: readonly string[]): string[] {
    return upstreamUris.slice(2).filter((uri) => !downstreamUris.includes(uri));
  }

  downstreamIndex(upstreamIndex: number): number {
    const d = this.#toDownstream[upstreamIndex];
    if (d === undefined || d < 0) throw new RangeError(`upstream namespace ${upstreamIndex} is not mirrored`);
    return d;
  }

  /** Whether every mirrored namespace has the same index on both sides (nothing to re-index). */
  get identical(): boolean {
    return this.#toDownstream.every((d, u) => d === u || d < 0);
  }

  /** Upstream index → downstream index (undefined: not mirrored). */
  readonly downstreamOf: IndexMap = (u) => {
    const d = this.#toDownstream[u];
    return d === undefined || d < 0 ? undefined : d;
  };

  /** Downstream index → upstream index (undefined: not mirrored). */
  readonly upstreamOf: IndexMap = (d) => this.#toUpstream.get(d);

  /**
   * NodeId-valued data in both directions (indices outside the map are kept); with `structures`,
   * values of the server's own structured DataTypes too (see structure-values.ts).
   */
  valueRemap(structures?: StructureCodec): ValueRemap {
    const ids = valueRemap(this.downstreamOf, this.upstreamOf);
    if (!structures) return ids;
    return {
      toDownstream: (v) => structures.toDownstream(ids.toDownstream(v)),
      toUpstream: (v) => structures.toUpstream(ids.toUpstream(v)),
    };
  }

  toDownstream(nodeId: NodeIdLike): NodeId {
    const id = resolveNodeId(nodeId);
    return new NodeId(id.identifierType, id.value, this.downstreamIndex(id.namespace));
  }

  toUpstream(nodeId: NodeIdLike): NodeId {
    const id = resolveNodeId(nodeId);
    const u = this.#toUpstream.get(id.namespace);
    if (u === undefined) throw new RangeError(`namespace ${id.namespace} is not a mirrored namespace`);
    return new NodeId(id.identifierType, id.value, u);
  }
}
