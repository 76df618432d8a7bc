/**
 * The crawl of the upstream address space (snapshot.ts) and the status of each Browse result: a
 * node the gateway may not browse (or that went) is left out, but a result without its references
 * for a passing reason (no continuation point left, server busy) fails the crawl — which is tried
 * again — instead of becoming a partial mirror served as whole. Continuation points still held
 * when the crawl fails are released. (A port of the crawl's own interface, not of OPC UA: the
 * statuses are ones node-opcua's server does not produce; the retry itself is tested against real
 * servers in test/integration/gateway-mirror-retry.test.ts.)
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  BrowseResult,
  DataType,
  DataValue,
  ExpandedNodeId,
  NodeClass,
  NodeId,
  ReferenceDescription,
  StatusCodes,
  Variant,
} from "node-opcua";
import { RedundancyError } from "../../src/errors.ts";
import { type BrowsePort, takeSnapshot } from "../../src/gateway/snapshot.ts";

const OBJECTS = "i=85";
/** Retries of the crawl (crawl-retry.ts) without the production waits. */
const FAST = { retryWaitMs: 1 };

function folderChild(name: string): ReferenceDescription {
  return new ReferenceDescription({
    nodeId: ExpandedNodeId.fromNodeId(NodeId.resolveNodeId(`ns=1;s=${name}`)),
    referenceTypeId: NodeId.resolveNodeId("i=35"),
    isForward: true,
    browseName: { namespaceIndex: 1, name },
    displayName: { text: name },
    nodeClass: NodeClass.Object,
    typeDefinition: ExpandedNodeId.fromNodeId(NodeId.resolveNodeId("i=61")),
  });
}

/** Objects answers `objects`; every other node has no references. */
function port(objects: () => BrowseResult, released: Buffer[][]): BrowsePort {
  return {
    namespaceUris: ["http://opcfoundation.org/UA/", "urn:test"],
    browse: async (nodes) =>
      nodes.map((n) =>
        n.nodeId === OBJECTS ? objects() : new BrowseResult({ statusCode: StatusCodes.Good }),
      ),
    browseNext: async (points, release) => {
      if (release) {
        released.push(points);
        return points.map(() => new BrowseResult({ statusCode: StatusCodes.Good }));
      }
      return points.map(() => new BrowseResult({ statusCode: StatusCodes.BadContinuationPointInvalid }));
    },
    read: async (nodes) =>
      nodes.map(() => new DataValue({ value: new Variant({ dataType: DataType.Null }) })),
  };
}

describe("crawl: the status of each Browse result", () => {
  it("fails on BadNoContinuationPoints instead of mirroring part of the address space", async () => {
    const released: Buffer[][] = [];
    await assert.rejects(
      takeSnapshot(
        port(() => new BrowseResult({ statusCode: StatusCodes.BadNoContinuationPoints }), released),
      ),
      (error: unknown) =>
        error instanceof RedundancyError &&
        error.code === "ERR_UPSTREAM_REQUEST" &&
        /Browse of i=85 answered BadNoContinuationPoints/.test(error.message),
    );
  });

  it("leaves out a node the gateway's user may not browse", async () => {
    const snapshot = await takeSnapshot(
      port(() => new BrowseResult({ statusCode: StatusCodes.BadUserAccessDenied }), []),
    );
    assert.deepEqual(snapshot.nodes, []);
  });

  it("releases the continuation points it still holds when a BrowseNext fails", async () => {
    const released: Buffer[][] = [];
    const held = (name: string, point: string) =>
      new BrowseResult({
        statusCode: StatusCodes.Good,
        references: [folderChild(name)],
        continuationPoint: Buffer.from(point),
      });
    const failing: BrowsePort = {
      ...port(() => new BrowseResult({ statusCode: StatusCodes.Good }), released),
      // two type folders with more to come; the server answers the first Bad, the second with a new point
      browse: async (nodes) =>
        nodes.map((n) =>
          n.nodeId === "i=88"
            ? held("A", "a1")
            : n.nodeId === "i=89"
              ? held("B", "b1")
              : new BrowseResult({ statusCode: StatusCodes.Good }),
        ),
      browseNext: async (points, release) => {
        if (release) {
          released.push(points);
          return [];
        }
        return points.map((p) =>
          p.toString() === "a1"
            ? new BrowseResult({ statusCode: StatusCodes.BadContinuationPointInvalid })
            : held("B2", "b2"),
        );
      },
    };
    await assert.rejects(
      takeSnapshot(failing, undefined, FAST),
      /BrowseNext answered BadContinuationPointInvalid/,
    );
    assert.deepEqual(
      released.map((points) => points.map((p) => p.toString())),
      [["b2"], ["b2"], ["b2"], ["b2"]],
      "at each of the 4 attempts, the point the server holds now, not the one it answered Bad for",
    );
  });

  it("goes on where it is after a passing failure (a failover mid-crawl), without starting over", async () => {
    let objectsBrowses = 0;
    let otherBrowses = 0;
    const flaky: BrowsePort = {
      ...port(() => new BrowseResult({ statusCode: StatusCodes.Good }), []),
      browse: async (nodes) => {
        if (nodes.some((n) => n.nodeId === OBJECTS) && objectsBrowses++ === 0)
          throw new RedundancyError("ERR_UPSTREAM_REQUEST", "browse failed: Connection Break");
        otherBrowses += nodes.filter((n) => n.nodeId !== OBJECTS).length;
        return nodes.map((n) =>
          n.nodeId === OBJECTS
            ? new BrowseResult({ statusCode: StatusCodes.Good, references: [folderChild("A")] })
            : new BrowseResult({ statusCode: StatusCodes.Good }),
        );
      },
    };
    const snapshot = await takeSnapshot(flaky, undefined, FAST);
    assert.deepEqual(
      snapshot.nodes.map((n) => n.nodeId),
      ["ns=1;s=A"],
    );
    assert.equal(objectsBrowses, 2, "the failed batch once more");
    // the 4 type folders before it once, Views and the 2 type systems (its batch) once answered,
    // then ns=1;s=A: nothing walked twice
    assert.equal(otherBrowses, 4 + 3 + 1);
  });
});

describe("crawl: references per Browse request", () => {
  it("asks for fewer parents at once when they bring many references", async () => {
    const GROUPS = 40;
    const PER_GROUP = 1000;
    const requests: { parents: number; references: number }[] = [];
    const child = (name: string, nodeClass: NodeClass) =>
      new ReferenceDescription({
        nodeId: ExpandedNodeId.fromNodeId(NodeId.resolveNodeId(`ns=1;s=${name}`)),
        referenceTypeId: NodeId.resolveNodeId("i=35"),
        isForward: true,
        browseName: { namespaceIndex: 1, name },
        displayName: { text: name },
        nodeClass,
        typeDefinition: ExpandedNodeId.fromNodeId(NodeId.resolveNodeId("i=61")),
      });
    const childrenOf = (nodeId: string): ReferenceDescription[] => {
      if (nodeId === OBJECTS)
        return Array.from({ length: GROUPS }, (_, g) => child(`G${g}`, NodeClass.Object));
      const group = /^ns=1;s=G(\d+)$/.exec(nodeId);
      if (!group) return [];
      return Array.from({ length: PER_GROUP }, (_, v) => child(`G${group[1]}.V${v}`, NodeClass.Variable));
    };
    const big: BrowsePort = {
      ...port(() => new BrowseResult({ statusCode: StatusCodes.Good }), []),
      browse: async (nodes) => {
        const results = nodes.map(
          (n) => new BrowseResult({ statusCode: StatusCodes.Good, references: childrenOf(n.nodeId) }),
        );
        const references = results.reduce((sum, r) => sum + (r.references?.length ?? 0), 0);
        requests.push({ parents: nodes.length, references });
        return results;
      },
    };
    const snapshot = await takeSnapshot(big, undefined, FAST);
    assert.equal(snapshot.nodes.length, GROUPS + GROUPS * PER_GROUP, "every node all the same");
    const groupRequests = requests.filter((r) => r.references >= PER_GROUP);
    // the level's first request: 25 groups; then about 5,000 references each
    assert.equal(
      groupRequests.reduce((sum, r) => sum + r.parents, 0),
      GROUPS,
      JSON.stringify(requests.slice(0, 12)),
    );
    assert.ok(
      groupRequests.slice(1).every((r) => r.references <= 5000),
      `at most 5,000 references per request after the first: ${JSON.stringify(groupRequests)}`,
    );
    assert.ok(groupRequests[0]!.references <= 25_000, JSON.stringify(groupRequests[0]));
  });
});
