import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parsePairConfig } from "../../src/config/load.ts";
import { assertIssue, issuesOf, minimalPair } from "../helpers/config-issues.ts";

describe("config: addressSpace.rebrowseMs", () => {
  it("is off by default", () => {
    assert.equal(parsePairConfig(minimalPair).addressSpace.rebrowseMs, 0);
  });

  it("takes 0 or at least 1000 ms", () => {
    assert.equal(
      parsePairConfig({ ...minimalPair, addressSpace: { rebrowseMs: 1000 } }).addressSpace.rebrowseMs,
      1000,
    );
    assertIssue(
      issuesOf(() => parsePairConfig({ ...minimalPair, addressSpace: { rebrowseMs: 500 } })),
      "addressSpace.rebrowseMs",
      /0 \(off\) or at least 1000 ms/,
    );
    assertIssue(
      issuesOf(() => parsePairConfig({ ...minimalPair, addressSpace: { rebrowseMs: "often" } })),
      "addressSpace.rebrowseMs",
      /integer/,
    );
    assertIssue(
      issuesOf(() => parsePairConfig({ ...minimalPair, addressSpace: { everyMs: 5000 } })),
      "addressSpace.everyMs",
      /unknown key 'everyMs'/,
    );
  });
});
