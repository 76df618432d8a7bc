/**
 * Requests of a pair (read, write, call, browse, history) forwarded to its active server only:
 * NodeIds turned into the server's namespace indices and back, a deadline on each, never queued
 * for later. RedundantClient's request methods are this module's face.
 */
import {
  AttributeIds,
  type BrowseDescriptionLike,
  type BrowseResult,
  type CallMethodRequestLike,
  type CallMethodResult,
  type ClientSession,
  type DataValue,
  HistoryReadRequest,
  type HistoryReadRequestOptions,
  type HistoryReadResult,
  type NodeIdLike,
  type ReadValueIdOptions,
  type StatusCode,
  type WriteValueOptions,
} from "node-opcua";
import { RedundancyError } from "../errors.ts";
import { NO_LIMITS, type OperationLimits, requestInChunks } from "../upstream/item-batches.ts";
import type { LinkNamespaces } from "../upstream/namespace-remap.ts";

/** Send a request's operations in requests within the server's `pick` limit, before the deadline. */
type Chunked = <T, R>(
  pick: "nodesPerRead" | "nodesPerWrite" | "nodesPerMethodCall" | "nodesPerBrowse",
  operations: readonly T[],
  send: (chunk: T[]) => Promise<R[]>,
) => Promise<R[]>;

/** The active server's session and its namespace table (null: none active, or not connected). */
export interface ActiveServer {
  session: ClientSession;
  namespaces: LinkNamespaces;
  /** The server's operation limits: a request beyond them is sent as several (default: none known). */
  limits?: Readonly<OperationLimits>;
}

export class RequestForwarding {
  readonly #pairName: string;
  readonly #timeoutMs: number;
  readonly #active: () => ActiveServer | null;

  constructor(options: { pairName: string; timeoutMs: number; active: () => ActiveServer | null }) {
    this.#pairName = options.pairName;
    this.#timeoutMs = options.timeoutMs;
    this.#active = options.active;
  }

  read(nodes: readonly (ReadValueIdOptions | NodeIdLike)[], maxAge: number): Promise<DataValue[]> {
    const toRead = nodes.map((n) =>
      typeof n === "object" && n !== null && "nodeId" in n
        ? n
        : { nodeId: n as NodeIdLike, attributeId: AttributeIds.Value },
    );
    return this.#onActive("read", (session, ns, chunked) =>
      chunked(
        "nodesPerRead",
        toRead.map((n) => ({ ...n, nodeId: ns.toLink(n.nodeId as NodeIdLike) })),
        (chunk) => session.read(chunk, maxAge),
      ),
    );
  }

  write(nodes: readonly WriteValueOptions[]): Promise<StatusCode[]> {
    return this.#onActive("write", (session, ns, chunked) =>
      chunked(
        "nodesPerWrite",
        nodes.map((n) => ({ ...n, nodeId: ns.toLink(n.nodeId as NodeIdLike) })),
        (chunk) => session.write(chunk),
      ),
    );
  }

  call(methods: readonly CallMethodRequestLike[]): Promise<CallMethodResult[]> {
    return this.#onActive("call", (session, ns, chunked) =>
      chunked(
        "nodesPerMethodCall",
        methods.map((m) => ({
          ...m,
          objectId: ns.toLink(m.objectId as NodeIdLike),
          methodId: ns.toLink(m.methodId as NodeIdLike),
        })),
        (chunk) => session.call(chunk),
      ),
    );
  }

  historyRead(request: HistoryReadRequestOptions): Promise<HistoryReadResult[]> {
    return this.#onActive("historyRead", async (session) => {
      const response = await session.historyRead(new HistoryReadRequest(request));
      return response.results ?? [];
    });
  }

  browse(nodes: readonly BrowseDescriptionLike[]): Promise<BrowseResult[]> {
    return this.#onActive("browse", async (session, ns, chunked) => {
      const toBrowse = nodes.map((n) =>
        typeof n === "object" && n !== null && "nodeId" in n
          ? {
              ...n,
              nodeId: ns.toLink(n.nodeId as NodeIdLike),
              ...(n.referenceTypeId ? { referenceTypeId: ns.toLink(n.referenceTypeId as NodeIdLike) } : {}),
            }
          : ns.toLink(n as NodeIdLike).toString(),
      ) as BrowseDescriptionLike[];
      const results = await chunked("nodesPerBrowse", toBrowse, (chunk) => session.browse(chunk));
      return ns.browseResultsToCanonical(results);
    });
  }

  browseNext(
    continuationPoints: readonly Buffer[],
    releaseContinuationPoints: boolean,
  ): Promise<BrowseResult[]> {
    return this.#onActive("browseNext", async (session, ns) =>
      ns.browseResultsToCanonical(
        await session.browseNext([...continuationPoints], releaseContinuationPoints),
      ),
    );
  }

  /** Run one request on the active server: ERR_NO_ACTIVE_SERVER, ERR_REQUEST_TIMEOUT, ERR_UPSTREAM_REQUEST. */
  async #onActive<T>(
    operation: string,
    run: (session: ClientSession, namespaces: LinkNamespaces, chunked: Chunked) => Promise<T>,
  ): Promise<T> {
    const active = this.#active();
    if (!active) {
      throw new RedundancyError(
        "ERR_NO_ACTIVE_SERVER",
        `${operation}: no active server in pair ${this.#pairName}`,
        {
          statusCode: "BadServerNotConnected",
        },
      );
    }
    let timer: NodeJS.Timeout | undefined;
    let expired: RedundancyError | null = null;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const message = `${operation} not answered within ${this.#timeoutMs} ms`;
        expired = new RedundancyError("ERR_REQUEST_TIMEOUT", message, { statusCode: "BadTimeout" });
        reject(expired);
      }, this.#timeoutMs);
    });
    // the rest of a request split by the server's limits is never sent after its deadline
    const limits = active.limits ?? NO_LIMITS;
    const chunked: Chunked = (pick, operations, send) =>
      requestInChunks(operations, limits[pick], (chunk) => (expired ? Promise.reject(expired) : send(chunk)));
    try {
      return await Promise.race([run(active.session, active.namespaces, chunked), timeout]);
    } catch (error) {
      if (error instanceof RedundancyError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new RedundancyError("ERR_UPSTREAM_REQUEST", `${operation} failed: ${message}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}
