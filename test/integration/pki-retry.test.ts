/**
 * Issue 13 point 4: a client PKI folder that cannot be created is a link error shown in the status
 * and retried at the link's backoff (it used to leave the link idle forever with one log line).
 * A path below a regular file cannot be created, even by root.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { RedundantClient } from "../../src/client/redundant-client.ts";
import { spawnSimulator } from "../helpers/sim-process.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor } from "../helpers/wait.ts";

test("a client PKI that cannot be created: reported, retried, connects once it can", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), "pki-retry-"));
  const blocker = join(dir, "not-a-folder");
  await writeFile(blocker, "a file where the PKI folder's parent should be");
  const sim = await spawnSimulator({ tickMs: 100 });
  const client = new RedundantClient(
    {
      name: "pki",
      mode: "cold",
      servers: [{ url: sim.endpointUrl }],
      reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
      security: { allowNone: true, anonymous: true },
    },
    { pkiFolder: join(blocker, "pki") },
  );
  try {
    void client.start();
    const server = await waitFor(
      () => client.status().servers.find((s) => /client PKI/.test(s.lastError ?? "")),
      15_000,
      "the PKI error in the status",
    );
    assert.match(server.lastError!, /ENOTDIR|not a directory|EEXIST/i);
    assert.equal(client.state === "active", false);
    await rm(blocker);
    await waitFor(() => client.state === "active", 30_000, "active once the PKI folder can be created");
  } finally {
    await client.stop();
    await sim.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});
