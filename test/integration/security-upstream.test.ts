/**
 * Upstream security (issue 7, point 4): the gateway connects to servers that offer only signed and
 * encrypted endpoints and accept one user, with the password from an environment variable; an
 * upstream server whose certificate is not in the gateway's trust list is refused (and kept for
 * review) until trusted; no secret appears in the log (captured at debug level, node-opcua's
 * messages included), in the pair status or in configuration error messages.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { AttributeIds, DataType } from "node-opcua";
import { pino } from "pino";
import { RedundantClient } from "../../src/client/redundant-client.ts";
import { ConfigError, parseGatewayConfig } from "../../src/config/load.ts";
import { pkiStoreFolder } from "../../src/security/gateway-pki.ts";
import { listCertificates, setTrust } from "../../src/security/pki-store.ts";
import { routeNodeOpcuaLogs } from "../../src/upstream/opcua-logs.ts";
import { upstreamUserIdentity } from "../../src/upstream/security-options.ts";
import { connectDownstream, startGatewayRig } from "../helpers/gateway-rig.ts";
import { testStatusQuery } from "../helpers/pair-rig.ts";
import { spawnSimulator } from "../helpers/sim-process.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor, waitForAsync } from "../helpers/wait.ts";

const secret = `S3cret-${randomBytes(12).toString("hex")}`;
const passwordEnv = "OPCUA_REDUNDANCY_TEST_UPSTREAM_PASSWORD";
const upstream = {
  security: { policy: "Basic256Sha256", mode: "SignAndEncrypt" },
  user: { name: "gateway", passwordEnv },
} as const;

function capturingLogger() {
  const lines: string[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(line) });
  routeNodeOpcuaLogs(logger);
  return { logger, lines };
}

test("upstream with SignAndEncrypt and a user: refused until trusted, then serving; no secret anywhere", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS * 2,
}, async () => {
  process.env[passwordEnv] = secret;
  const { logger, lines } = capturingLogger();
  const pkiDir = join(await mkdtemp(join(tmpdir(), "security-upstream-")), "pki");

  // 1. Untrusted: the upstream server's certificate is refused and stored for review.
  const sim = await spawnSimulator({ secure: true, user: { name: "gateway", password: secret } });
  const library = new RedundantClient(
    {
      name: "probe",
      mode: "warm",
      servers: [{ url: sim.endpointUrl, ...upstream }],
      statusQuery: testStatusQuery,
    },
    { logger, pkiFolder: pkiStoreFolder(pkiDir, "applications") },
  );
  let rejected: Awaited<ReturnType<typeof listCertificates>> = [];
  try {
    void library.start();
    rejected = await waitForAsync(
      async () => {
        const list = (await listCertificates(pkiDir, "applications")).filter((c) => c.status === "rejected");
        return list.length > 0 ? list : null;
      },
      30_000,
      "the upstream certificate in rejected/",
    );
    assert.equal(library.status().activeIndex, null, "never active with an untrusted server");
  } finally {
    await library.stop();
    await sim.dispose();
  }
  assert.equal(rejected.length, 1);
  await setTrust(pkiDir, "applications", { thumbprint: rejected[0]!.thumbprint }, "trusted");

  // 2. Trusted: the gateway serves the pair over SignAndEncrypt sessions as user "gateway".
  const rig = await startGatewayRig({
    pairs: [{ mode: "warm" }],
    pkiDir,
    logger,
    simulator: { secure: true, user: { name: "gateway", password: secret } },
    server: upstream,
  });
  const downstream = await connectDownstream(rig.endpoints[0]!);
  try {
    const counter = await downstream.record("ns=1;s=Counter");
    await waitFor(() => counter.values.length >= 3, 10_000, "Counter values through the gateway");
    const status = await downstream.session.write({
      nodeId: "ns=1;s=Status",
      attributeId: AttributeIds.Value,
      value: { value: { dataType: DataType.Int32, value: 4242 } },
    });
    assert.equal(status.name, "Good");
    await rig.sims[0]!.waitForWrite((w) => w.value === 4242, 5000);

    // A wrong password (from a file): refused by the upstream, retried, and not logged either.
    const wrongPassword = `Wr0ng-${randomBytes(8).toString("hex")}`;
    const passwordFile = join(pkiDir, "..", "wrong-password");
    await writeFile(passwordFile, wrongPassword);
    const refused = new RedundantClient(
      {
        name: "refused",
        mode: "warm",
        servers: [{ url: rig.proxies[1]!.url, ...upstream, user: { name: "gateway", passwordFile } }],
        statusQuery: testStatusQuery,
      },
      { logger, pkiFolder: pkiStoreFolder(pkiDir, "applications") },
    );
    void refused.start();
    await waitFor(
      () => lines.some((line) => line.includes('"pair":"refused"') && line.includes("session setup failed")),
      30_000,
      "the refused session setup in the log",
    );
    await refused.stop();
    assert.equal(lines.join("").includes(wrongPassword), false, "the wrong password is not in the log");

    // A failover to the secondary logs in the same way.
    await rig.sims[0]!.kill();
    await waitFor(
      () => rig.gateway.pairs[0]!.status().activeIndex === 1,
      20_000,
      "failover to the secondary",
    );
    const statusText = JSON.stringify(rig.gateway.pairs.map((p) => p.status()));
    assert.equal(statusText.includes(secret), false, "no secret in the status");
    assert.ok(statusText.length > 0);
  } finally {
    await downstream.close();
    await rig.dispose();
  }
  const log = lines.join("");
  assert.ok(lines.length > 20, `${lines.length} log lines captured`);
  assert.ok(log.includes("upstream link state"), "the capture holds the gateway's log");
  assert.equal(log.includes(secret), false, "the password is not in the log");
  delete process.env[passwordEnv];
});

test("credentials come from a file or the environment; errors name the source, never the value", async () => {
  const dir = await mkdtemp(join(tmpdir(), "credentials-"));
  const file = join(dir, "password");
  await writeFile(file, `${secret}\n`);
  assert.deepEqual(await upstreamUserIdentity({ name: "u", passwordFile: file }), {
    type: 1,
    userName: "u",
    password: secret,
  });
  delete process.env[passwordEnv];
  await assert.rejects(upstreamUserIdentity({ name: "u", passwordEnv }), new RegExp(passwordEnv));
  await assert.rejects(upstreamUserIdentity({ name: "u", passwordFile: join(dir, "missing") }), /ENOENT/);

  // The configuration never takes a password inline, and does not echo one back.
  const error = (() => {
    try {
      parseGatewayConfig({
        pairs: [{ name: "p", servers: [{ url: "opc.tcp://h:1", user: { name: "u", password: secret } }] }],
      });
    } catch (caught) {
      return caught;
    }
  })();
  assert.ok(error instanceof ConfigError, String(error));
  assert.equal(error.message.includes(secret), false, error.message);
  assert.match(error.message, /servers\[0\]\.user/);
});
