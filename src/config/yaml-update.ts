/**
 * Rewrites a YAML configuration to a new value while keeping what a person wrote around it: the
 * `yaml` package's Document is updated node by node — unchanged scalars keep their node (and so
 * their comments), maps keep their keys' order, list entries with a `name` (pairs) are matched by
 * name, others by position — instead of being serialised afresh.
 */
import { type Document, isMap, isScalar, isSeq, parseDocument, YAMLMap, YAMLSeq } from "yaml";

type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

function isObject(value: unknown): value is Record<string, Plain> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function nameOf(node: unknown): unknown {
  return isMap(node) ? node.get("name") : undefined;
}

function update(doc: Document, node: unknown, value: Plain): unknown {
  if (isObject(value) && isMap(node)) {
    for (const item of [...node.items]) {
      const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
      if (!(key in value)) node.delete(key);
    }
    for (const [key, child] of Object.entries(value)) {
      const pair = node.items.find((i) => (isScalar(i.key) ? String(i.key.value) : String(i.key)) === key);
      if (pair) pair.value = update(doc, pair.value, child);
      else node.set(key, doc.createNode(child));
    }
    return node;
  }
  if (Array.isArray(value) && isSeq(node)) {
    const old = [...node.items];
    const byName = value.every((v) => isObject(v) && typeof v.name === "string");
    node.items = value.map((child, i) => {
      const match = byName ? old.find((o) => nameOf(o) === (child as { name: string }).name) : old[i];
      return match === undefined ? doc.createNode(child) : update(doc, match, child);
    });
    return node;
  }
  if (isScalar(node) && !isObject(value) && !Array.isArray(value)) {
    if (node.value !== value) node.value = value;
    return node;
  }
  const created = doc.createNode(value);
  // a flow-style node stays flow-style ({ a: 1 } in the file)
  if ((created instanceof YAMLMap || created instanceof YAMLSeq) && (isMap(node) || isSeq(node)))
    created.flow = node.flow;
  return created;
}

/** The YAML text of `source` changed to `value`, comments kept where the nodes survive. */
export function rewriteYaml(source: string, value: Plain): string {
  const doc = parseDocument(source);
  doc.contents = update(doc, doc.contents, value) as typeof doc.contents;
  return doc.toString();
}

export type { Plain };
