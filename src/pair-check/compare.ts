/**
 * Whether the servers of a pair are interchangeable, from their inventories (inventory.ts) and the
 * security their endpoints offer: pure comparison, no I/O. Every server is compared with the first
 * (the primary); each kind of difference is counted, with a few examples.
 */
import type { Inventory, InventoryNode } from "./inventory.ts";

export const EXAMPLES = 5;

export interface Difference {
  /** e.g. "missing", "extra", "dataType". */
  kind: DifferenceKind;
  count: number;
  /** Up to EXAMPLES NodeIds (as the compared server numbers them, else the primary) with details. */
  examples: string[];
}

export type DifferenceKind =
  | "missing"
  | "extra"
  | "pathMissing"
  | "pathExtra"
  | "nodeClass"
  | "dataType"
  | "valueRank"
  | "accessLevel"
  | "namespaceMissing"
  | "namespaceExtra"
  | "namespaceOrder"
  | "securityMissing"
  | "securityExtra";

export interface ServerSide {
  url: string;
  inventory: Inventory;
  /** "Policy/Mode" of every endpoint, e.g. "Basic256Sha256/SignAndEncrypt". */
  security: string[];
}

export interface Comparison {
  url: string;
  variables: number;
  methods: number;
  differences: Difference[];
}

export interface PairCheckResult {
  primary: { url: string; variables: number; methods: number };
  comparisons: Comparison[];
  /** No difference that failover would notice (the namespace order alone is re-mapped: not one). */
  interchangeable: boolean;
}

/** Kinds the gateway absorbs (it re-maps namespace indices by URI): reported, not disqualifying. */
const HARMLESS: ReadonlySet<DifferenceKind> = new Set(["namespaceOrder"]);

class Tally {
  readonly byKind = new Map<DifferenceKind, Difference>();
  add(kind: DifferenceKind, example: string): void {
    let d = this.byKind.get(kind);
    if (!d) {
      d = { kind, count: 0, examples: [] };
      this.byKind.set(kind, d);
    }
    d.count++;
    if (d.examples.length < EXAMPLES) d.examples.push(example);
  }
}

function counts(inventory: Inventory): { variables: number; methods: number } {
  let variables = 0;
  let methods = 0;
  for (const n of inventory.nodes.values()) n.nodeClass === "Variable" ? variables++ : methods++;
  return { variables, methods };
}

function compareAttributes(tally: Tally, a: InventoryNode, b: InventoryNode): void {
  if (a.nodeClass !== b.nodeClass) {
    tally.add("nodeClass", `${b.nodeId}: ${b.nodeClass}, primary ${a.nodeClass}`);
    return;
  }
  if (a.nodeClass !== "Variable") return;
  if (a.dataType !== b.dataType) tally.add("dataType", `${b.nodeId}: ${b.dataType}, primary ${a.dataType}`);
  if (a.valueRank !== b.valueRank)
    tally.add("valueRank", `${b.nodeId}: ${b.valueRank}, primary ${a.valueRank}`);
  if (a.accessLevel !== b.accessLevel)
    tally.add("accessLevel", `${b.nodeId}: ${b.accessLevel}, primary ${a.accessLevel}`);
}

function compareNodes(tally: Tally, a: Inventory, b: Inventory): void {
  for (const [key, node] of a.nodes) {
    const other = b.nodes.get(key);
    if (!other) tally.add("missing", node.nodeId);
    else compareAttributes(tally, node, other);
  }
  for (const [key, node] of b.nodes) if (!a.nodes.has(key)) tally.add("extra", node.nodeId);
  const pathsB = new Set([...b.nodes.values()].map((n) => n.path));
  const pathsA = new Set([...a.nodes.values()].map((n) => n.path));
  for (const node of a.nodes.values()) if (!pathsB.has(node.path)) tally.add("pathMissing", node.path);
  for (const node of b.nodes.values()) if (!pathsA.has(node.path)) tally.add("pathExtra", node.path);
}

function compareNamespaces(tally: Tally, a: string[], b: string[]): void {
  for (const uri of a) if (!b.includes(uri)) tally.add("namespaceMissing", uri);
  for (const uri of b) if (!a.includes(uri)) tally.add("namespaceExtra", uri);
  a.forEach((uri, i) => {
    const j = b.indexOf(uri);
    if (j >= 0 && j !== i) tally.add("namespaceOrder", `${uri}: index ${j}, primary ${i}`);
  });
}

function compareSecurity(tally: Tally, a: string[], b: string[]): void {
  for (const s of new Set(a)) if (!b.includes(s)) tally.add("securityMissing", s);
  for (const s of new Set(b)) if (!a.includes(s)) tally.add("securityExtra", s);
}

export function comparePair(primary: ServerSide, others: readonly ServerSide[]): PairCheckResult {
  const comparisons = others.map((side) => {
    const tally = new Tally();
    compareNodes(tally, primary.inventory, side.inventory);
    compareNamespaces(tally, primary.inventory.namespaces, side.inventory.namespaces);
    compareSecurity(tally, primary.security, side.security);
    return { url: side.url, ...counts(side.inventory), differences: [...tally.byKind.values()] };
  });
  return {
    primary: { url: primary.url, ...counts(primary.inventory) },
    comparisons,
    interchangeable: comparisons.every((c) => c.differences.every((d) => HARMLESS.has(d.kind))),
  };
}

const WORDING: Record<DifferenceKind, string> = {
  missing: "lacks {n} of the primary's {total} variables and methods (by NodeId)",
  extra: "has {n} variables and methods the primary lacks (by NodeId)",
  pathMissing: "lacks {n} of the primary's browse paths",
  pathExtra: "has {n} browse paths the primary lacks",
  nodeClass: "{n} differ in NodeClass",
  dataType: "{n} differ in DataType",
  valueRank: "{n} differ in ValueRank",
  accessLevel: "{n} differ in AccessLevel",
  namespaceMissing: "lacks {n} of the primary's namespaces",
  namespaceExtra: "has {n} namespaces the primary lacks",
  namespaceOrder: "orders {n} namespaces differently (re-mapped by the gateway: harmless)",
  securityMissing: "lacks {n} of the primary's endpoint securities",
  securityExtra: "offers {n} endpoint securities the primary does not",
};

/** One line per difference, e.g. "secondary lacks 12 of 4,031 variables …, e.g. ns=2;s=Line1.Temp". */
export function describeDifferences(result: PairCheckResult): string[] {
  const total = (result.primary.variables + result.primary.methods).toLocaleString("en-US");
  const lines: string[] = [];
  for (const c of result.comparisons) {
    for (const d of c.differences) {
      const text = WORDING[d.kind].replace("{n}", d.count.toLocaleString("en-US")).replace("{total}", total);
      lines.push(`${c.url} ${text}, e.g. ${d.examples.join("; ")}`);
    }
  }
  return lines;
}
