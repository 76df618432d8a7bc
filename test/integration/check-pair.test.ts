/**
 * `opcua-redundancy check-pair` against real simulators: a matching partner (its namespaces in
 * another order, which the gateway re-maps) and a deliberately mismatched one (variables left out,
 * one retyped).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { PairCheckResult } from "../../src/pair-check/compare.ts";
import { cli } from "../helpers/cli.ts";
import { type SimProcess, spawnSimulator } from "../helpers/sim-process.ts";

let primary: SimProcess;
let reordered: SimProcess;
let mismatched: SimProcess;

before(async () => {
  [primary, reordered, mismatched] = await Promise.all([
    spawnSimulator({ bulk: 50 }),
    spawnSimulator({ bulk: 50, namespaceOrder: "reversed" }),
    spawnSimulator({
      bulk: 50,
      omitNodes: ["ns=1;s=Bulk.7", "ns=1;s=Bulk.9"],
      retypeNodes: ["ns=1;s=Bulk.3"],
    }),
  ]);
});
after(async () => {
  await Promise.all([primary?.dispose(), reordered?.dispose(), mismatched?.dispose()]);
});

test("a partner whose namespaces are only ordered differently is interchangeable (exit 0)", async () => {
  const { code, stdout } = await cli("check-pair", primary.endpointUrl, reordered.endpointUrl);
  assert.equal(code, 0, stdout);
  // The simulator's own node count grows with its features: compare the two sides, not a constant.
  const [, primaryCounts] = /primary \S+: (\d+ variables, \d+ methods)/.exec(stdout) ?? [];
  assert.ok(primaryCounts, stdout);
  assert.ok(Number(primaryCounts.split(" ")[0]) >= 50, "the 50 bulk variables at least");
  assert.match(stdout, new RegExp(`compared \\S+: ${primaryCounts}`));
  assert.match(stdout, /orders 2 namespaces differently \(re-mapped by the gateway: harmless\)/);
  assert.match(stdout, /\ninterchangeable\n/);
});

test("a partner lacking variables and with another DataType is not (exit 1, counts and examples)", async () => {
  const { code, stdout } = await cli("check-pair", primary.endpointUrl, mismatched.endpointUrl);
  assert.equal(code, 1, stdout);
  const [, variables, methods] = /primary \S+: (\d+) variables, (\d+) methods/.exec(stdout) ?? [];
  const total = Number(variables) + Number(methods);
  assert.match(
    stdout,
    new RegExp(
      `lacks 2 of the primary's ${total} variables and methods \\(by NodeId\\), e\\.g\\. ns=1;s=Bulk\\.7; ns=1;s=Bulk\\.9`,
    ),
  );
  assert.match(stdout, /1 differ in DataType, e\.g\. ns=1;s=Bulk\.3: Double, primary Int32/);
  assert.match(stdout, /lacks 2 of the primary's browse paths/);
  assert.match(stdout, /NOT interchangeable/);
});

test("check-pair --json gives every difference by kind", async () => {
  const { code, stdout } = await cli(
    "check-pair",
    "--json",
    primary.endpointUrl,
    reordered.endpointUrl,
    mismatched.endpointUrl,
  );
  assert.equal(code, 1);
  const result = JSON.parse(stdout) as PairCheckResult;
  assert.equal(result.interchangeable, false);
  const [first, second] = result.comparisons;
  assert.deepEqual(
    first?.differences.map((d) => d.kind),
    ["namespaceOrder"],
  );
  const kinds = Object.fromEntries(second?.differences.map((d) => [d.kind, d.count]) ?? []);
  assert.deepEqual(kinds, { missing: 2, dataType: 1, pathMissing: 2 });
});

test("check-pair with a server that is not there exits 69 and names it", async () => {
  const { code, stderr } = await cli("check-pair", primary.endpointUrl, "opc.tcp://127.0.0.1:1");
  assert.equal(code, 69);
  assert.match(stderr, /opc\.tcp:\/\/127\.0\.0\.1:1/);
});
