/**
 * Pairs sharded over gateway instances (issue 19 point 4): one fleet configuration whose peers
 * list which pairs each instance serves, one instance narrowed by `start --only-pairs` instead, and
 * `status --config FILE` asking every instance and reporting every pair — and the pair that nobody
 * serves once its instance is gone.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { cli, spawnGateway } from "../helpers/gateway-process.ts";
import { testStatusQuery } from "../helpers/pair-rig.ts";
import { freePort } from "../helpers/ports.ts";
import { spawnSimulator } from "../helpers/sim-process.ts";
import { INTEGRATION_TEST_TIMEOUT_MS } from "../helpers/wait.ts";

test("sharding: each instance serves its pairs; status --config reports the whole fleet", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  const sim = await spawnSimulator({ tickMs: 100, sharedClock: true });
  const [opc1, opc2, http1, http2] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const pair = (name: string, port: number) => ({
    name,
    listen: { port, host: "127.0.0.1" },
    mode: "hot",
    servers: [{ url: sim.endpointUrl }],
    statusQuery: testStatusQuery,
    // the test's clients (none here) would connect without security
    security: { allowNone: true, anonymous: true },
  });
  const fleet = (self: string, httpPort: number) => ({
    pairs: [pair("line1", opc1), pair("line2", opc2)],
    http: { port: httpPort, host: "127.0.0.1" },
    redundantSet: {
      self,
      peers: [
        {
          name: "gw-1",
          applicationUri: "urn:test:gw-1",
          host: "127.0.0.1",
          statusUrl: `http://127.0.0.1:${http1}`,
          pairs: ["line1"],
        },
        // no `pairs`: started with --only-pairs line2
        {
          name: "gw-2",
          applicationUri: "urn:test:gw-2",
          host: "127.0.0.1",
          statusUrl: `http://127.0.0.1:${http2}`,
        },
      ],
    },
  });
  const gw1 = await spawnGateway(fleet("gw-1", http1));
  const gw2 = await spawnGateway(fleet("gw-2", http2), ["--only-pairs", "line2"]);
  try {
    // A selection that names no pair of the instance is refused at once, nothing started.
    const wrong = await cli(["start", "--config", gw1.file, "--only-pairs", "line2"]);
    assert.equal(wrong.code, 78, wrong.stderr);
    assert.match(wrong.stderr, /--only-pairs: no pair "line2" served by instance gw-1 \(line1\)/);

    await Promise.all([gw1.ready(), gw2.ready()]);
    const names = async (url: string) =>
      ((await (await fetch(`${url}/api/status`)).json()) as { pairs: { name: string }[] }).pairs.map(
        (p) => p.name,
      );
    assert.deepEqual(await names(gw1.httpUrl), ["line1"]);
    assert.deepEqual(await names(gw2.httpUrl), ["line2"]);

    const status = await cli(["status", "--config", gw1.file]);
    assert.equal(status.code, 0, status.stderr + status.stdout);
    assert.match(status.stdout, new RegExp(`^== gw-1 http://127\\.0\\.0\\.1:${http1}$`, "m"));
    assert.match(status.stdout, new RegExp(`^== gw-2 http://127\\.0\\.0\\.1:${http2}$`, "m"));
    assert.match(status.stdout, /^line1\s+hot\s+active/m);
    assert.match(status.stdout, /^line2\s+hot\s+active/m);
    assert.match(status.stdout, /^line1: served by gw-1$/m);
    assert.match(status.stdout, /^line2: served by gw-2$/m);
    const json = JSON.parse((await cli(["status", "--config", gw2.file, "--json"])).stdout) as {
      servedBy: Record<string, string[]>;
      unserved: string[];
    };
    assert.deepEqual(json.servedBy, { line1: ["gw-1"], line2: ["gw-2"] });
    assert.deepEqual(json.unserved, []);

    await gw2.kill("SIGKILL");
    const degraded = await cli(["status", "--config", gw1.file, "--timeout-ms", "2000"]);
    assert.equal(degraded.code, 1, degraded.stderr);
    assert.match(degraded.stdout, /^== gw-2 .*: no answer$/m);
    assert.match(degraded.stdout, /^line2: NOT SERVED$/m);

    await gw1.kill("SIGKILL");
    assert.equal((await cli(["status", "--config", gw1.file, "--timeout-ms", "2000"])).code, 69);
  } finally {
    await Promise.all([gw1.kill(), gw2.kill()]);
    await sim.dispose();
  }
});
