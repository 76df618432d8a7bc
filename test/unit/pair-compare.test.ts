/** The pair comparison on hand-made inventories: what makes two servers not interchangeable. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { comparePair, describeDifferences, type ServerSide } from "../../src/pair-check/compare.ts";
import type { Inventory, InventoryNode } from "../../src/pair-check/inventory.ts";

function inventory(
  nodes: Partial<InventoryNode>[],
  namespaces = ["http://opcfoundation.org/UA/", "urn:a"],
): Inventory {
  const map = new Map<string, InventoryNode>();
  for (const n of nodes) {
    const node = {
      nodeClass: "Variable",
      dataType: "Int32",
      valueRank: -1,
      accessLevel: 1,
      ...n,
    } as InventoryNode;
    map.set(node.key, node);
  }
  return { namespaces, nodes: map, browsed: nodes.length };
}

const tag = (name: string, extra: Partial<InventoryNode> = {}) => ({
  key: `nsu=urn:a;s=${name}`,
  nodeId: `ns=1;s=${name}`,
  path: `/urn:a:${name}`,
  ...extra,
});

function side(url: string, inv: Inventory, security = ["Basic256Sha256/SignAndEncrypt"]): ServerSide {
  return { url, inventory: inv, security };
}

test("identical servers are interchangeable and report nothing", () => {
  const inv = inventory([tag("A"), tag("B")]);
  const result = comparePair(side("p", inv), [side("s", inventory([tag("A"), tag("B")]))]);
  assert.equal(result.interchangeable, true);
  assert.deepEqual(describeDifferences(result), []);
});

test("a different security offer, ValueRank or AccessLevel makes them not interchangeable", () => {
  const result = comparePair(side("p", inventory([tag("A")])), [
    side("s", inventory([tag("A", { valueRank: 1, accessLevel: 3 })]), ["None/None"]),
  ]);
  assert.equal(result.interchangeable, false);
  const kinds = result.comparisons[0]?.differences.map((d) => d.kind);
  assert.deepEqual(kinds, ["valueRank", "accessLevel", "securityMissing", "securityExtra"]);
  assert.match(
    describeDifferences(result).join("\n"),
    /s lacks 1 of the primary's endpoint securities, e\.g\. Basic256Sha256\/SignAndEncrypt/,
  );
});

test("the same NodeId under another index of the same URI is the same node", () => {
  const moved = { key: "nsu=urn:a;s=A", nodeId: "ns=2;s=A", path: "/urn:a:A" };
  const result = comparePair(side("p", inventory([tag("A")])), [
    side("s", inventory([moved], ["http://opcfoundation.org/UA/", "urn:x", "urn:a"])),
  ]);
  const kinds = result.comparisons[0]?.differences.map((d) => d.kind);
  assert.deepEqual(kinds, ["namespaceExtra", "namespaceOrder"]);
});

test("examples stop at five while the count goes on", () => {
  const many = Array.from({ length: 12 }, (_, i) => tag(`T${i}`));
  const result = comparePair(side("p", inventory(many)), [side("s", inventory([]))]);
  const missing = result.comparisons[0]?.differences.find((d) => d.kind === "missing");
  assert.equal(missing?.count, 12);
  assert.equal(missing?.examples.length, 5);
});
