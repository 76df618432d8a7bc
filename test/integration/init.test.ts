/**
 * `opcua-redundancy init` for scripts (flags, no terminal) against two secure simulators: the
 * configuration it writes chooses their secure endpoints, passes check-config, and a gateway
 * started from it connects to the pair (the servers' certificates trusted in its PKI).
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { loadConfigFile } from "../../src/config/load.ts";
import { Gateway } from "../../src/gateway/gateway.ts";
import { createLogger } from "../../src/log.ts";
import { cliWith } from "../helpers/cli.ts";
import { freePort } from "../helpers/ports.ts";
import { type SimProcess, spawnSimulator } from "../helpers/sim-process.ts";
import { waitFor } from "../helpers/wait.ts";

let sims: SimProcess[] = [];
let dir: string;
const env = { OPCUA_REDUNDANCY_INIT_PASSWORD: "correct-horse-battery" };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "init-test-"));
  sims = await Promise.all([spawnSimulator({ secure: true }), spawnSimulator({ secure: true })]);
});
after(async () => {
  await Promise.all(sims.map((s) => s.dispose()));
});

test("init --yes writes a secure, commented configuration that check-config accepts and the gateway runs", async () => {
  const out = join(dir, "gateway.yaml");
  const [listenPort, httpPort] = [await freePort(), await freePort()];
  const init = await cliWith(
    env,
    "init",
    ...sims.map((s) => s.endpointUrl),
    "--yes",
    "--user",
    "operator",
    "--trust-servers",
    "--listen-port",
    String(listenPort),
    "--http-port",
    String(httpPort),
    "--data-dir",
    join(dir, "data"),
    "--out",
    out,
  );
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stderr, /pair check: interchangeable/);
  const text = await readFile(out, "utf8");
  assert.match(
    text,
    /policy: (Basic256Sha256|Aes128_Sha256_RsaOaep|Aes256_Sha256_RsaPss)\n\s+mode: SignAndEncrypt/,
  );
  assert.match(text, /passwordHash: "scrypt\$/);
  assert.doesNotMatch(text, /correct-horse/, "the password itself is not in the file");
  assert.match(text, /host: 127\.0\.0\.1 # loopback only/);
  assert.match(text, /# the most secure endpoint the server offers/);
  assert.equal((await stat(`${out}.token`)).mode & 0o077, 0, "the token file is private");

  const check = await cliWith({}, "check-config", out);
  assert.equal(check.code, 0, check.stderr);

  const gateway = new Gateway({
    config: await loadConfigFile(out),
    logger: createLogger({ level: "silent" }),
    dataDir: join(dir, "data"),
    configFile: out,
  });
  try {
    await gateway.start();
    await waitFor(
      () => gateway.pairs[0]?.status().activeIndex === 0,
      30_000,
      "the primary active over its secure endpoint",
    );
  } finally {
    await gateway.stop();
  }
});

test("init refuses to overwrite a file and names what is missing for a script", async () => {
  const out = join(dir, "exists.yaml");
  const args = [
    "init",
    ...sims.map((s) => s.endpointUrl),
    "--yes",
    "--user",
    "op",
    "--data-dir",
    join(dir, "d2"),
    "--out",
    out,
  ];
  assert.equal((await cliWith(env, ...args)).code, 0);
  const again = await cliWith(env, ...args);
  assert.equal(again.code, 73);
  assert.match(again.stderr, /exists: give --force/);
  const noUser = await cliWith(
    env,
    "init",
    ...sims.map((s) => s.endpointUrl),
    "--yes",
    "--out",
    join(dir, "x.yaml"),
  );
  assert.equal(noUser.code, 64);
  assert.match(noUser.stderr, /downstream user name .*not given/);
});
