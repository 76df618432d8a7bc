import assert from "node:assert/strict";
import { test } from "node:test";
import { SequenceTracker } from "../../src/upstream/sequence-tracker.ts";

test("data messages in order, keep-alives announce the next number without consuming it", () => {
  const t = new SequenceTracker();
  assert.deepEqual(t.data(1), { kind: "inOrder" });
  assert.deepEqual(t.data(2), { kind: "inOrder" });
  // keep-alive carries 3 = the next data message's number
  assert.deepEqual(t.keepAlive(3), { kind: "inOrder" });
  assert.equal(t.next, 3, "Republish must start at 3, not 4");
  assert.deepEqual(t.keepAlive(3), { kind: "inOrder" });
  assert.deepEqual(t.data(3), { kind: "inOrder" });
  assert.equal(t.next, 4);
});

test("a skipped number is a gap with its size; a replayed one is stale", () => {
  const t = new SequenceTracker();
  t.data(10);
  assert.deepEqual(t.data(14), { kind: "gap", missing: 3, from: 11, to: 13 });
  assert.deepEqual(t.data(12), { kind: "stale" });
  assert.deepEqual(t.data(14), { kind: "stale" });
  assert.equal(t.next, 15);
  // a keep-alive announcing a number past the expected one: the messages before it were lost
  assert.deepEqual(t.keepAlive(17), { kind: "gap", missing: 2, from: 15, to: 16 });
  assert.deepEqual(t.data(17), { kind: "inOrder" });
});

test("numbers wrap from 4294967295 to 1", () => {
  const t = new SequenceTracker();
  t.data(4_294_967_294);
  assert.deepEqual(t.data(4_294_967_295), { kind: "inOrder" });
  assert.deepEqual(t.data(1), { kind: "inOrder" });
  assert.deepEqual(t.data(3), { kind: "gap", missing: 1, from: 2, to: 2 });
  t.reset();
  assert.equal(t.next, null);
  assert.deepEqual(t.data(1), { kind: "inOrder" });
});
