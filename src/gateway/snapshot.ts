/**
 * A snapshot of the upstream address space that the gateway mirrors: the server's own types (below
 * Types, wherever they hang in the standard type tree), the nodes below Objects, its Views and its
 * 1.03 type dictionaries.
 * Plain data (strings and numbers) so that it can be cached on disk and rebuilt while every
 * upstream is down. Namespace 0 is the gateway's own copy of the standard and is not mirrored.
 */
import {
  AttributeIds,
  BrowseDirection,
  type BrowseResult,
  type DataValue,
  NodeClass,
  type ReadValueIdOptions,
} from "node-opcua";
import { RedundancyError } from "../errors.ts";
import { retrying, retryingPort } from "./crawl-retry.ts";
import { readAttributes, readMethodArguments, readModellingRules } from "./snapshot-attributes.ts";
import { type DefinitionSpec, type EncodingSpec, readDataTypes } from "./snapshot-datatypes.ts";

export type SnapshotNodeClass =
  | "Object"
  | "Variable"
  | "Method"
  | "View"
  | "ObjectType"
  | "VariableType"
  | "DataType"
  | "ReferenceType";

export interface SnapshotNode {
  /** Upstream NodeId, e.g. "ns=1;s=Counter". */
  nodeId: string;
  nodeClass: SnapshotNodeClass;
  /** The parent's NodeId and the reference from parent to this node (HasComponent, HasSubtype, ...). */
  parent: string;
  referenceType: string;
  browseName: { namespaceIndex: number; name: string };
  displayName: string;
  description?: string;
  typeDefinition?: string;
  /** An instance declaration's modelling rule (NodeId of Mandatory, Optional, ...). */
  modellingRule?: string;
  // Variables and VariableTypes
  dataType?: string;
  valueRank?: number;
  arrayDimensions?: number[];
  accessLevel?: number;
  userAccessLevel?: number;
  minimumSamplingInterval?: number;
  historizing?: boolean;
  // Objects and Views
  eventNotifier?: number;
  // Methods
  executable?: boolean;
  inputArguments?: ArgumentSpec[];
  outputArguments?: ArgumentSpec[];
  // Types
  isAbstract?: boolean;
  inverseName?: string;
  symmetric?: boolean;
  // DataTypes
  dataTypeDefinition?: DefinitionSpec;
  encodings?: EncodingSpec[];
}

/** A method argument (OPC UA Argument structure) as plain data. */
export interface ArgumentSpec {
  name: string;
  dataType: string;
  valueRank: number;
  arrayDimensions?: number[];
  description?: string;
}

/** A hierarchical reference to a node that was already reached another way (a second parent, a View). */
export interface SnapshotReference {
  source: string;
  referenceType: string;
  target: string;
}

export interface AddressSnapshot {
  /** The upstream NamespaceArray the NodeIds refer to. */
  namespaceUris: string[];
  /** Parents before children, types before the nodes that use them. */
  nodes: SnapshotNode[];
  /** Absent in caches written before references were recorded. */
  references?: SnapshotReference[];
  takenAt: string;
}

/** What crawling needs from the engine (RedundantClient has it). */
export interface BrowsePort {
  browse(
    nodes: {
      nodeId: string;
      browseDirection: number;
      referenceTypeId: string;
      includeSubtypes: boolean;
      nodeClassMask: number;
      resultMask: number;
    }[],
  ): Promise<BrowseResult[]>;
  browseNext(continuationPoints: Buffer[], releaseContinuationPoints: boolean): Promise<BrowseResult[]>;
  read(nodes: ReadValueIdOptions[], maxAge?: number): Promise<DataValue[]>;
  /**
   * The NamespaceArray the engine's NodeIds use (its canonical one); when absent or null, the
   * active server's, as read.
   */
  readonly namespaceUris?: readonly string[] | null;
}

const HierarchicalReferences = "i=33";
const ObjectsFolder = "i=85";
const ViewsFolder = "i=87";
/**
 * The "OPC Binary" and "XML Schema" type systems: a server's 1.03 type dictionaries and their
 * DataTypeDescriptions hang below them (Part 3 §5.8.2), for clients that decode from those.
 */
const TYPE_SYSTEMS = ["i=93", "i=92"];
/** ObjectTypes, VariableTypes, DataTypes and ReferenceTypes folders. */
const TYPE_FOLDERS = ["i=88", "i=89", "i=90", "i=91"];
const TYPE_CLASSES =
  NodeClass.ObjectType | NodeClass.VariableType | NodeClass.DataType | NodeClass.ReferenceType;
const INSTANCE_CLASSES = NodeClass.Object | NodeClass.Variable | NodeClass.Method | NodeClass.View;
const BATCH = 200;
/**
 * About this many references per Browse request: a server builds every reference of the nodes it
 * is asked for before it answers (node-opcua even for the part it keeps behind a continuation
 * point), so 200 folders of 1,000 variables in one request kept a server from answering anything,
 * status queries included, for seconds. The number of parents per request follows the references
 * the last request brought: halved or less when it brought more, doubled (up to BATCH) when fewer.
 */
const REFERENCES_PER_REQUEST = 5000;
/** Parents in the first request of each level of a walk (then as the references say, up to BATCH). */
const FIRST_BATCH = 25;

interface Crawl {
  /** The engine itself: a batch (Browse and the BrowseNexts continuing it) is retried whole. */
  port: BrowsePort;
  retryWaitMs: number | undefined;
  nodes: SnapshotNode[];
  references: SnapshotReference[];
  seen: Set<string>;
  onProgress(nodes: number): void;
}

/** Browse the server's types, everything below Objects and its Views, then read their attributes. */
export async function takeSnapshot(
  source: BrowsePort,
  onProgress: (nodes: number) => void = () => undefined,
  options: { retryWaitMs?: number } = {},
): Promise<AddressSnapshot> {
  const port = retryingPort(source, options.retryWaitMs);
  // the engine answers in its canonical indices, which may not be the active server's own order
  const canonical = port.namespaceUris;
  const [nsArray] = canonical
    ? [undefined]
    : await port.read([{ nodeId: "i=2255", attributeId: AttributeIds.Value }]);
  const namespaceUris = canonical ? [...canonical] : ((nsArray?.value.value as string[] | null) ?? []);
  const crawl: Crawl = {
    port: source,
    retryWaitMs: options.retryWaitMs,
    nodes: [],
    references: [],
    seen: new Set(),
    onProgress,
  };
  // The standard type tree is walked (namespace 0 is not recorded) to find the server's subtypes.
  await walk(crawl, TYPE_FOLDERS, TYPE_CLASSES, true);
  const types = crawl.nodes.map((n) => n.nodeId);
  const inTypes = new Set(types);
  // Instance declarations of the types, then the instances and the views.
  await walk(crawl, [...types, ObjectsFolder, ViewsFolder, ...TYPE_SYSTEMS], INSTANCE_CLASSES, false);
  // parents come before children: this marks every node below a type as an instance declaration
  for (const node of crawl.nodes) if (inTypes.has(node.parent)) inTypes.add(node.nodeId);
  await readAttributes(port, crawl.nodes);
  await readMethodArguments(
    port,
    crawl.nodes.filter((n) => n.nodeClass === "Method"),
  );
  const descriptions = await readDataTypes(
    port,
    crawl.nodes.filter((n) => n.nodeClass === "DataType"),
  );
  // an encoding's HasDescription to a DataTypeDescription that is mirrored too
  crawl.references.push(...descriptions.filter((d) => crawl.seen.has(d.target)));
  await readModellingRules(
    port,
    crawl.nodes.filter((n) => inTypes.has(n.parent) && !TYPE_NAMES.has(n.nodeClass)),
  );
  return {
    namespaceUris,
    nodes: crawl.nodes,
    references: crawl.references,
    takenAt: new Date().toISOString(),
  };
}

const TYPE_NAMES = new Set<SnapshotNodeClass>(["ObjectType", "VariableType", "DataType", "ReferenceType"]);

/** Breadth first from `roots`; nodes of namespace 0 are walked through only when `throughStandard`. */
async function walk(crawl: Crawl, roots: string[], nodeClassMask: number, throughStandard: boolean) {
  let frontier = roots;
  while (frontier.length > 0) {
    const next: string[] = [];
    let batch = FIRST_BATCH; // a new level: its nodes' fan-out is not known yet
    for (let i = 0; i < frontier.length; ) {
      const parents = frontier.slice(i, i + batch);
      i += parents.length;
      const results = await retrying(async () => {
        const answered = await crawl.port.browse(
          parents.map((nodeId) => ({
            nodeId,
            browseDirection: BrowseDirection.Forward,
            referenceTypeId: HierarchicalReferences,
            includeSubtypes: true,
            nodeClassMask,
            resultMask: 0x3f,
          })),
        );
        await completeWithBrowseNext(crawl.port, answered);
        return answered.map((result, k) => (usableBrowseResult(result, parents[k]!) ? result : null));
      }, crawl.retryWaitMs);
      batch = nextBatch(batch, results);
      results.forEach((result, k) => {
        const parent = parents[k]!;
        if (!result) return;
        for (const ref of result.references ?? []) {
          const id = ref.nodeId.toString();
          if (ref.nodeId.namespace === 0) {
            if (throughStandard && !crawl.seen.has(id)) {
              crawl.seen.add(id);
              next.push(id);
            }
            continue;
          }
          if (crawl.seen.has(id)) {
            crawl.references.push({
              source: parent,
              referenceType: ref.referenceTypeId.toString(),
              target: id,
            });
            continue;
          }
          crawl.seen.add(id);
          crawl.nodes.push({
            nodeId: id,
            nodeClass: NodeClass[ref.nodeClass] as SnapshotNodeClass,
            parent,
            referenceType: ref.referenceTypeId.toString(),
            browseName: { namespaceIndex: ref.browseName.namespaceIndex, name: ref.browseName.name ?? "" },
            displayName: ref.displayName.text ?? ref.browseName.name ?? "",
            typeDefinition: ref.typeDefinition.isEmpty() ? undefined : ref.typeDefinition.toString(),
          });
          if (ref.nodeClass !== NodeClass.Method) next.push(id);
        }
      });
      crawl.onProgress(crawl.nodes.length);
    }
    frontier = next;
  }
}

/** Parents for the next Browse request, from the references the last one brought. */
function nextBatch(batch: number, results: readonly (BrowseResult | null)[]): number {
  const references = results.reduce((sum, r) => sum + (r?.references?.length ?? 0), 0);
  if (references > REFERENCES_PER_REQUEST)
    return Math.max(1, Math.floor((batch * REFERENCES_PER_REQUEST) / references));
  if (references < REFERENCES_PER_REQUEST / 2) return Math.min(BATCH, batch * 2);
  return batch;
}

/**
 * Statuses that say a node's references are not for this client, for good (the node went, the
 * gateway's user may not browse it): that node is left out. Any other Bad status (no continuation
 * point left, server too busy, a timeout) fails the crawl, which is tried again: a partial mirror
 * served as if whole would be a silent Good.
 */
const NOTHING_TO_MIRROR = new Set([
  "BadNodeIdUnknown",
  "BadNodeIdInvalid",
  "BadUserAccessDenied",
  "BadNotReadable",
]);

function usableBrowseResult(result: BrowseResult, nodeId: string): boolean {
  const status = result.statusCode;
  if (status.isGood()) return true;
  if (NOTHING_TO_MIRROR.has(status.name)) return false;
  throw new RedundancyError("ERR_UPSTREAM_REQUEST", `Browse of ${nodeId} answered ${status.name}`, {
    statusCode: status.name,
  });
}

const hasMore = (r: BrowseResult) => r.continuationPoint !== null && r.continuationPoint.length > 0;

/**
 * A server returns at most its own number of references per node and a continuation point for the
 * rest: follow them all (a folder with 10,000 children must not be cut short). When the crawl
 * fails on the way, the continuation points still held are released (servers keep only a few per
 * session: a crawl tried again would find none left).
 */
async function completeWithBrowseNext(port: BrowsePort, results: BrowseResult[]): Promise<void> {
  let pending = results.filter(hasMore);
  /** Continuation points the server answered Bad for: it no longer holds them. */
  const gone = new Set<BrowseResult>();
  try {
    while (pending.length > 0) {
      const next = await port.browseNext(
        pending.map((r) => r.continuationPoint),
        false,
      );
      // every answer is taken in first, so that the points the server now holds are known
      let failed: BrowseResult | undefined;
      next.forEach((more, i) => {
        const target = pending[i]!;
        if (!more.statusCode.isGood()) {
          gone.add(target);
          failed ??= more;
          return;
        }
        target.references = [...(target.references ?? []), ...(more.references ?? [])];
        target.continuationPoint = more.continuationPoint;
      });
      if (failed)
        throw new RedundancyError("ERR_UPSTREAM_REQUEST", `BrowseNext answered ${failed.statusCode.name}`, {
          statusCode: failed.statusCode.name,
        });
      pending = pending.filter(hasMore);
    }
  } catch (error) {
    const held = pending.filter((r) => !gone.has(r) && hasMore(r)).map((r) => r.continuationPoint);
    if (held.length > 0) await port.browseNext(held, true).catch(() => undefined);
    throw error;
  }
}
