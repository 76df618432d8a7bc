/** EventFilters between namespace tables, filter keys, the engine's hidden fields (src/upstream/event-filter.ts). */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AttributeOperand,
  ContentFilter,
  ContentFilterElement,
  constructEventFilter,
  DataType,
  FilterOperator,
  LiteralOperand,
  type NodeId,
  QualifiedName,
  RelativePath,
  RelativePathElement,
  resolveNodeId,
  SimpleAttributeOperand,
  Variant,
} from "node-opcua";
import {
  eventFilterKey,
  HIDDEN_FIELDS,
  remapEventFilter,
  splitHiddenFields,
  withHiddenFields,
} from "../../src/upstream/event-filter.ts";

const shift = (i: number) => (i === 2 ? 3 : i === 3 ? 2 : undefined); // swap namespaces 2 and 3

test("select clauses and where-clause operands are re-indexed, namespace 0 and unknown indices kept", () => {
  const filter = constructEventFilter(["EventId", "Message"]);
  filter.selectClauses![1] = new SimpleAttributeOperand({
    typeDefinitionId: resolveNodeId("ns=2;i=5000"),
    browsePath: [new QualifiedName({ name: "Level", namespaceIndex: 2 })],
    attributeId: 13,
  });
  filter.whereClause = new ContentFilter({
    elements: [
      new ContentFilterElement({
        filterOperator: FilterOperator.OfType,
        filterOperands: [
          new LiteralOperand({
            value: new Variant({ dataType: DataType.NodeId, value: resolveNodeId("ns=3;s=Alarm") }),
          }),
        ],
      }),
      new ContentFilterElement({
        filterOperator: FilterOperator.IsNull,
        filterOperands: [
          new AttributeOperand({
            nodeId: resolveNodeId("ns=5;i=1"),
            browsePath: new RelativePath({
              elements: [
                new RelativePathElement({ targetName: new QualifiedName({ name: "X", namespaceIndex: 2 }) }),
              ],
            }),
            attributeId: 13,
          }),
        ],
      }),
    ],
  });
  const out = remapEventFilter(filter, shift);
  assert.equal(out.selectClauses![0]!.typeDefinitionId.toString(), "ns=0;i=2041");
  assert.equal(out.selectClauses![1]!.typeDefinitionId.toString(), "ns=3;i=5000");
  assert.equal(out.selectClauses![1]!.browsePath![0]!.namespaceIndex, 3);
  const literal = out.whereClause.elements![0]!.filterOperands![0] as LiteralOperand;
  assert.equal((literal.value.value as NodeId).toString(), "ns=2;s=Alarm");
  const attribute = out.whereClause.elements![1]!.filterOperands![0] as AttributeOperand;
  assert.equal(attribute.nodeId.toString(), "ns=5;i=1", "an index the map does not know is kept");
  assert.equal(attribute.browsePath.elements![0]!.targetName.namespaceIndex, 3);
  // the input is untouched
  assert.equal(filter.selectClauses![1]!.typeDefinitionId.toString(), "ns=2;i=5000");
});

test("equal filters give equal keys; another notifier or field another key", () => {
  const a = eventFilterKey(resolveNodeId("i=2253"), constructEventFilter(["EventId", "Time"]));
  assert.equal(a, eventFilterKey(resolveNodeId("i=2253"), constructEventFilter(["EventId", "Time"])));
  assert.notEqual(a, eventFilterKey(resolveNodeId("ns=1;s=Tank"), constructEventFilter(["EventId", "Time"])));
  assert.notEqual(a, eventFilterKey(resolveNodeId("i=2253"), constructEventFilter(["EventId", "Message"])));
});

test("hidden fields are appended after the client's and split off again", () => {
  const filter = withHiddenFields(constructEventFilter(["EventId", "Severity"]));
  assert.equal(filter.selectClauses!.length, 2 + HIDDEN_FIELDS.length);
  const fields = [
    new Variant({ dataType: DataType.ByteString, value: Buffer.from("01", "hex") }),
    new Variant({ dataType: DataType.UInt16, value: 500 }),
    ...HIDDEN_FIELDS.map((_, i) => new Variant({ dataType: DataType.UInt32, value: i })),
  ];
  const { own, hidden } = splitHiddenFields(fields);
  assert.deepEqual(
    own.map((v) => v.value),
    [Buffer.from("01", "hex"), 500],
  );
  assert.equal(hidden.eventType.value, 0);
  assert.equal(hidden.retain.value, HIDDEN_FIELDS.length - 1);
});
