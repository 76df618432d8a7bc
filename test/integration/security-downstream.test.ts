/**
 * Downstream security of a pair endpoint (issue 7, points 1 to 3): a fresh gateway PKI refuses an
 * unknown client certificate and keeps it for review, `pki trust` (the real CLI) lets it in; every
 * policy × mode connects; anonymous users and wrong passwords are refused; a read-only user can read
 * but its write and call get BadUserAccessDenied, while an operator's write reaches the upstream;
 * an X.509 user certificate logs in with its role.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import {
  AttributeIds,
  DataType,
  type OPCUACertificateManager,
  TimestampsToReturn,
  UserTokenType,
} from "node-opcua";
import { pino } from "pino";
import type { PairConfigInput } from "../../src/config/schema.ts";
import { readCertificateFile } from "../../src/security/certificate-file.ts";
import { hashPassword } from "../../src/security/password-hash.ts";
import { listCertificates } from "../../src/security/pki-store.ts";
import { routeNodeOpcuaLogs } from "../../src/upstream/opcua-logs.ts";
import { type GatewayRig, startGatewayRig } from "../helpers/gateway-rig.ts";
import {
  makeUserCertificate,
  openSecureSession,
  type SecureSessionOptions,
  testClientPki,
  type UserCertificate,
} from "../helpers/secure-client.ts";
import { INTEGRATION_TEST_TIMEOUT_MS, waitFor, waitForAsync } from "../helpers/wait.ts";

const run = promisify(execFile);
const projectRoot = join(import.meta.dirname, "..", "..");

let rig: GatewayRig;
let pkiDir: string;
let clientPki: OPCUACertificateManager;
let operatorCertificate: UserCertificate;
const wrongPassword = "wr0ng-passw0rd-17";
/** The gateway's log, at debug level with node-opcua's messages. */
const logLines: string[] = [];
const reader = { type: UserTokenType.UserName, userName: "reader", password: "r3ader-secret" } as const;
const operator = { type: UserTokenType.UserName, userName: "operator", password: "0perator-secret" } as const;

before(async () => {
  const dir = await mkdtemp(join(tmpdir(), "security-downstream-"));
  pkiDir = join(dir, "gateway-pki");
  clientPki = testClientPki(join(dir, "client-pki"));
  operatorCertificate = await makeUserCertificate(join(dir, "user-pki"), "plc-operator");
  const security: PairConfigInput["security"] = {
    users: [
      { name: "reader", passwordHash: await hashPassword(reader.password), role: "read" },
      { name: "operator", passwordHash: await hashPassword(operator.password), role: "operate" },
    ],
    certificateUsers: [{ certificate: operatorCertificate.certificateFile, role: "operate" }],
  };
  const logger = pino({ level: "debug" }, { write: (line: string) => void logLines.push(line) });
  routeNodeOpcuaLogs(logger);
  rig = await startGatewayRig({ pairs: [{ mode: "warm", extra: { security } }], pkiDir, logger });
});

after(async () => {
  await rig?.dispose();
  await clientPki?.dispose();
});

const endpoint = () => rig.endpoints[0]!;
const secure = (options: Omit<SecureSessionOptions, "pki">) =>
  openSecureSession(endpoint(), { pki: clientPki, ...options });

test("an unknown client certificate is refused and stored; accepted after `pki trust`", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  // The pair's certificate was made on first start, in the gateway's own PKI.
  const own = await readCertificateFile(join(pkiDir, "applications", "own", "certs", "pair1.pem"));
  assert.match(own.commonName, /opcua-redundancy pair1/);

  await assert.rejects(secure({ policy: "Basic256Sha256", mode: "SignAndEncrypt", user: operator }));
  await waitFor(
    () =>
      logLines.some((line) =>
        line.includes("client certificate refused; to trust it: opcua-redundancy pki trust"),
      ),
    5000,
    "the refusal in the log",
  );
  // node-opcua answers as soon as the verdict is known; the move into rejected/ may follow.
  const rejected = await waitForAsync(
    async () => {
      const list = (await listCertificates(pkiDir, "applications")).filter((c) => c.status === "rejected");
      return list.length > 0 ? list : null;
    },
    10_000,
    "the refused certificate in rejected/",
  );
  assert.equal(rejected.length, 1, JSON.stringify(rejected));
  assert.match(rejected[0]!.commonName, /^opcua-redundancy-security-test/);
  assert.ok(
    logLines.some((line) => line.includes(`pki trust ${rejected[0]!.thumbprint}`)),
    "the log names the command that trusts it",
  );

  const listed = await run(
    process.execPath,
    ["--import", "tsx", "src/cli/main.ts", "pki", "list", "--pki", pkiDir],
    { cwd: projectRoot },
  );
  assert.match(listed.stdout, new RegExp(`rejected +${rejected[0]!.thumbprint}`));
  const trusted = await run(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli/main.ts",
      "pki",
      "trust",
      rejected[0]!.thumbprint.slice(0, 12),
      "--pki",
      pkiDir,
    ],
    { cwd: projectRoot },
  );
  assert.match(trusted.stdout, /^trusted /);

  // The running gateway watches its trust list: no restart.
  const opened = await waitForAsync(
    async () =>
      secure({ policy: "Basic256Sha256", mode: "SignAndEncrypt", user: operator }).catch(() => null),
    20_000,
    "a session once the certificate is trusted",
  );
  await opened.close();
});

test("every policy and mode connects; SecurityPolicy None is not offered", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  for (const policy of ["Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss"] as const) {
    for (const mode of ["Sign", "SignAndEncrypt"] as const) {
      const opened = await secure({ policy, mode, user: reader });
      try {
        const value = await opened.session.read({
          nodeId: "ns=1;s=Counter",
          attributeId: AttributeIds.Value,
        });
        assert.equal(value.statusCode.name, "Good", `${policy} ${mode}`);
      } finally {
        await opened.close();
      }
    }
  }
  const opened = await secure({ policy: "Basic256Sha256", mode: "Sign", user: reader });
  const endpoints = await opened.client.getEndpoints().finally(() => opened.close());
  assert.equal(
    endpoints.length,
    6,
    endpoints.map((e) => `${e.securityPolicyUri} ${e.securityMode}`).join("\n"),
  );
  assert.ok(!endpoints.some((e) => e.securityPolicyUri?.endsWith("#None")), "no None endpoint");
  await assert.rejects(secure({ policy: "None", mode: "None" }));
});

test("anonymous and a wrong password are refused", { timeout: INTEGRATION_TEST_TIMEOUT_MS }, async () => {
  // The endpoints do not even offer an anonymous user token policy.
  await assert.rejects(secure({ policy: "Basic256Sha256", mode: "SignAndEncrypt" }), /ANONYMOUS user token/);
  await assert.rejects(
    secure({
      policy: "Basic256Sha256",
      mode: "SignAndEncrypt",
      user: { ...reader, password: wrongPassword },
    }),
    /BadUserAccessDenied|BadIdentityTokenRejected/,
  );
  await assert.rejects(
    secure({ policy: "Basic256Sha256", mode: "SignAndEncrypt", user: { ...reader, userName: "nobody" } }),
    /BadUserAccessDenied|BadIdentityTokenRejected/,
  );
});

const echo = (text: string) => ({
  objectId: "ns=1;s=Simulation",
  methodId: "ns=1;s=Echo",
  inputArguments: [{ dataType: DataType.String, value: text }],
});
const writeStatus = (value: number) => ({
  nodeId: "ns=1;s=Status",
  attributeId: AttributeIds.Value,
  value: { value: { dataType: DataType.Int32, value } },
});

test("a read-only user reads and subscribes but cannot write or call; an operator can", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  const readOnly = await secure({ policy: "Aes128_Sha256_RsaOaep", mode: "SignAndEncrypt", user: reader });
  const full = await secure({ policy: "Aes256_Sha256_RsaPss", mode: "Sign", user: operator });
  try {
    const read = await readOnly.session.read({ nodeId: "ns=1;s=Counter", attributeId: AttributeIds.Value });
    assert.equal(read.statusCode.name, "Good");
    const subscription = await readOnly.session.createSubscription2({
      requestedPublishingInterval: 50,
      publishingEnabled: true,
    });
    const item = await subscription.monitor(
      { nodeId: "ns=1;s=Counter", attributeId: AttributeIds.Value },
      { samplingInterval: 0, queueSize: 10 },
      TimestampsToReturn.Both,
    );
    const counts: number[] = [];
    item.on("changed", (value) => value.statusCode.isGood() && counts.push(Number(value.value.value)));
    await waitFor(() => counts.length >= 3, 10_000, "three Counter values for the read-only user");
    assert.equal((await readOnly.session.write(writeStatus(71))).name, "BadUserAccessDenied");
    assert.equal((await readOnly.session.call(echo("from-reader"))).statusCode.name, "BadUserAccessDenied");
    assert.equal(
      rig.sims[0]!.writes.some((w) => w.value === 71 || w.value === "from-reader"),
      false,
    );

    assert.equal((await full.session.write(writeStatus(72))).name, "Good");
    await rig.sims[0]!.waitForWrite((w) => w.nodeId === "ns=1;s=Status" && w.value === 72, 5000);
    assert.equal((await full.session.call(echo("from-operator"))).statusCode.name, "Good");
  } finally {
    await readOnly.close();
    await full.close();
  }
});

test("an X.509 user certificate logs in with its role", {
  timeout: INTEGRATION_TEST_TIMEOUT_MS,
}, async () => {
  const opened = await secure({
    policy: "Basic256Sha256",
    mode: "SignAndEncrypt",
    user: await operatorCertificate.identity(),
  });
  try {
    assert.equal((await opened.session.write(writeStatus(73))).name, "Good");
    await rig.sims[0]!.waitForWrite((w) => w.value === 73, 5000);
  } finally {
    await opened.close();
  }
  const stranger = await makeUserCertificate(await mkdtemp(join(tmpdir(), "stranger-")), "stranger");
  await assert.rejects(
    secure({ policy: "Basic256Sha256", mode: "SignAndEncrypt", user: await stranger.identity() }),
  );
});

test("no password, right or wrong, appears in the gateway's log", () => {
  const log = logLines.join("");
  assert.ok(log.includes("pair endpoint listening"), "the capture holds the gateway's log");
  for (const secret of [reader.password, operator.password, wrongPassword])
    assert.equal(log.includes(secret), false, `"${secret}" is in the log`);
});
