/**
 * Issue 4, point 5: an upstream server restarts with a new application instance certificate. When
 * the trust list allows it the link fetches the endpoints again and reconnects by itself; when it
 * does not, the link says why (new thumbprint, not trusted, where to trust it), and reconnects
 * once an operator trusts the certificate, with no restart. Real simulator processes, SignAndEncrypt.
 */
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { DataValue } from "node-opcua";
import { RedundantClient } from "../../src/client/redundant-client.ts";
import type { CertificateRefusedEvent } from "../../src/client/types.ts";
import { EventLog } from "../../src/diagnostics/event-log.ts";
import { followClient } from "../../src/diagnostics/follow-client.ts";
import { createLogger } from "../../src/log.ts";
import { pkiStoreFolder } from "../../src/security/gateway-pki.ts";
import { listCertificates, setTrust } from "../../src/security/pki-store.ts";
import type { LinkStateChange } from "../../src/upstream/link.ts";
import { routeNodeOpcuaLogs } from "../../src/upstream/opcua-logs.ts";
import { thumbprintOf } from "../../src/upstream/server-certificate.ts";
import { testStatusQuery } from "../helpers/pair-rig.ts";
import { spawnSimulator } from "../helpers/sim-process.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor, waitForAsync } from "../helpers/wait.ts";

const secure = { policy: "Basic256Sha256", mode: "SignAndEncrypt" } as const;

/** The simulator's own certificate, made at its first start in `simPki`. */
async function ownCertificate(simPki: string): Promise<string> {
  const folder = join(simPki, "PKI", "own", "certs");
  const [file] = (await readdir(folder)).filter((f) => f.endsWith(".pem"));
  assert.ok(file, `a certificate in ${folder}`);
  return join(folder, file);
}

test("a server restarted with a new certificate: reconnected when trusted, refused with the reason when not", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS * 2,
}, async (t) => {
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  routeNodeOpcuaLogs(logger);
  const root = await mkdtemp(join(tmpdir(), "server-certificate-"));
  const pkiDir = join(root, "pki");
  const [simPkiA, simPkiB, simPkiC] = ["a", "b", "c"].map((n) => join(root, `sim-${n}`)) as [
    string,
    string,
    string,
  ];

  // The certificate the server will get at its first restart, made ahead and trusted by the operator.
  const maker = await spawnSimulator({ secure: true, pkiFolder: simPkiB });
  await maker.dispose();

  const sim = await spawnSimulator({ secure: true, pkiFolder: simPkiA, tickMs: 50 });
  t.after(() => sim.dispose());
  const client = new RedundantClient(
    {
      name: "cert",
      mode: "warm",
      servers: [{ url: sim.endpointUrl, security: secure }],
      statusQuery: testStatusQuery,
    },
    { logger, pkiFolder: pkiStoreFolder(pkiDir, "applications") },
  );
  t.after(() => client.stop());
  const states: LinkStateChange[] = [];
  client.on("linkStateChanged", (change) => states.push(change));
  const refusals: CertificateRefusedEvent[] = [];
  client.on("certificateRefused", (event) => refusals.push(event));
  const log = new EventLog({ maxEvents: 1000 });
  followClient(log, client);
  void client.start();

  // First contact: the certificate is refused until trusted (issue 7), then the link connects.
  const [first] = await waitForAsync(
    async () => {
      const list = (await listCertificates(pkiDir, "applications")).filter((c) => c.status === "rejected");
      return list.length > 0 ? list : null;
    },
    30_000,
    "the first certificate in rejected/",
  );
  await setTrust(pkiDir, "applications", { thumbprint: first!.thumbprint }, "trusted");
  const values: DataValue[] = [];
  client.monitor("ns=1;s=Counter", {}, (value) => values.push(value));
  const valueAfter = (ms: number) => () =>
    values.some((v) => v.statusCode.isGood() && (v.sourceTimestamp?.getTime() ?? 0) > ms);
  await waitFor(valueAfter(0), 60_000, "values with the first certificate");

  // 1. Restart with a certificate already in the trust list: back by itself.
  const trustedFolder = join(pkiStoreFolder(pkiDir, "applications"), "trusted", "certs");
  await mkdir(trustedFolder, { recursive: true });
  await copyFile(await ownCertificate(simPkiB), join(trustedFolder, "next-server-certificate.pem"));
  await sim.kill();
  const restartedAt = Date.now();
  await sim.restart({ pkiFolder: simPkiB });
  await waitFor(valueAfter(restartedAt), 60_000, "values with the second (trusted) certificate");
  const backMs = Date.now() - restartedAt;
  t.diagnostic(`trusted new certificate: values again ${backMs} ms after the restart`);

  // 2. Restart with a certificate nobody trusted: refused, once, with the reason and what to do.
  const second = thumbprintOf(await readFile(await ownCertificate(simPkiB)));
  await sim.kill();
  const lostAt = states.length;
  await sim.restart({ pkiFolder: simPkiC });
  const third = thumbprintOf(await readFile(await ownCertificate(simPkiC)));
  const refusal = await waitFor(
    () => refusals.find((r) => r.thumbprint === third),
    60_000,
    "the refusal of the third certificate",
  );
  t.diagnostic(`untrusted: ${refusal.message}`);
  assert.equal(refusal.previous, second, "the event names the certificate the server had before");
  assert.equal(refusal.status, "BadCertificateUntrusted");
  assert.match(refusal.message, /changed.*refused.*pki trust/);
  assert.equal(client.status().servers[0]!.lastError, refusal.message);
  const rejected = (await listCertificates(pkiDir, "applications")).filter((c) => c.status === "rejected");
  assert.deepEqual(
    rejected.map((c) => c.thumbprint),
    [third],
    "the new certificate waits in rejected/",
  );
  assert.ok(states.slice(lostAt).every((s) => s.to !== "connected"));

  // The operator trusts it: the link comes back without a restart.
  const trustedAt = Date.now();
  await setTrust(pkiDir, "applications", { thumbprint: third }, "trusted");
  await waitFor(valueAfter(trustedAt), 60_000, "values once the third certificate is trusted");
  t.diagnostic(`trusted by the operator: values again ${Date.now() - trustedAt} ms later`);
  assert.deepEqual(
    refusals.map((r) => [r.thumbprint, r.previous]),
    [
      [first!.thumbprint, null],
      [third, second],
    ],
    "one event per refused certificate, not one per attempt",
  );
  const recorded = log.list({ kind: "certificate" });
  assert.deepEqual(
    recorded.map((e) => e.message),
    refusals.map((r) => r.message),
    "each refusal is in the diagnostics event log (and mailed with the default kinds)",
  );
});
