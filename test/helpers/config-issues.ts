/** Shared by the configuration tests: fixtures and assertions on ConfigError issues. */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ConfigError, parsePairConfig } from "../../src/config/load.ts";
import type { PairConfigInput } from "../../src/config/schema.ts";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const minimalPair = {
  name: "line1",
  servers: [{ url: "opc.tcp://127.0.0.1:48401" }],
} satisfies PairConfigInput;
export const gatewayPair = (name: string, port: number, url = "opc.tcp://127.0.0.1:48401") => ({
  name,
  listen: { port },
  servers: [{ url }],
});

/** The issues of the ConfigError thrown by `fn`, as "path: message" lines. */
export function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.code, "ERR_CONFIG_INVALID");
    return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  assert.fail("expected a ConfigError");
}

export function assertIssue(issues: string[], path: string, pattern: RegExp): void {
  const found = issues.filter((line) => line.startsWith(`${path}: `));
  assert.ok(
    found.some((line) => pattern.test(line)),
    `no issue at ${path} matching ${pattern}; issues:\n${issues.join("\n")}`,
  );
}

export const pairWithMonitors =
  (monitors: unknown[], extra: Record<string, unknown> = {}) =>
  () =>
    parsePairConfig({ ...minimalPair, monitors, ...extra });
