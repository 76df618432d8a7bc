/** `opcua-redundancy health`: when a pair counts as served (the keepalived track_script's answer). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { pairProblem } from "../../src/cli/commands/health.ts";

const served = {
  name: "line1",
  phase: "running",
  addressSpace: "mirrored",
  serviceLevel: 255,
  active: "opc.tcp://a:1",
};

test("a pair is served when running, mirrored, with an active upstream and a ServiceLevel of 2 or more", () => {
  assert.equal(pairProblem(served), null);
  assert.equal(pairProblem({ ...served, serviceLevel: 2 }), null);
  assert.equal(pairProblem({ ...served, phase: "starting" }), "endpoint starting");
  assert.equal(pairProblem({ ...served, phase: "stopping" }), "endpoint stopping");
  assert.equal(pairProblem({ ...served, addressSpace: "pending" }), "address space not served yet");
  assert.equal(pairProblem({ ...served, active: null, serviceLevel: 1 }), "no upstream server active");
  assert.equal(pairProblem({ ...served, serviceLevel: 1 }), "ServiceLevel 1");
  assert.equal(pairProblem({ ...served, serviceLevel: 0 }), "ServiceLevel 0");
});
