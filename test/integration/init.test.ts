/**
 * `opcua-redundancy init` for scripts (flags, no terminal) against two secure simulators: the
 * configuration it writes chooses their secure endpoints, passes check-config, and a gateway
 * started from it connects to the pair (the servers' certificates trusted in its PKI).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { loadConfigFile } from "../../src/config/load.ts";
import { Gateway } from "../../src/gateway/gateway.ts";
import { createLogger } from "../../src/log.ts";
import { cliWith } from "../helpers/cli.ts";
import { root } from "../helpers/config-issues.ts";
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

const ANSI_CURSOR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, "g");

/** Runs `init` on a pseudo-terminal (util-linux `script`), answering each prompt as it appears. */
async function initOnTerminal(answers: [RegExp, string][]): Promise<{ code: number | null; output: string }> {
  const command = `${process.execPath} --import tsx src/cli/main.ts init`;
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    cwd: root,
    env: { ...process.env, OPCUA_REDUNDANCY_LOG_LEVEL: "silent", OPCUA_REDUNDANCY_INIT_PASSWORD: "" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  let next = 0;
  /** Output before this offset was answered already. */
  let answered = 0;
  const onData = (chunk: Buffer) => {
    // readline's cursor movements (ESC [ … G / J) are not text
    output += chunk.toString("utf8").replace(ANSI_CURSOR, "");
    const fresh = output.slice(answered);
    const answer = answers[next];
    if (answer?.[0].test(fresh.slice(fresh.lastIndexOf("\n") + 1))) {
      child.stdin.write(`${answer[1]}\r`);
      next++;
      answered = output.length;
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.once("exit", (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  return { code, output };
}

test("init on a terminal asks for each setting, hides the password, and asks before trusting", async () => {
  const out = join(dir, "interactive.yaml");
  const secret = "typed-secret-password";
  const { code, output } = await initOnTerminal([
    [/primary server URL: $/, sims[0]!.endpointUrl],
    [/secondary server URL: $/, sims[1]!.endpointUrl],
    [/mode \(cold, warm, hot\) \[hot\]: $/, "warm"],
    [/pair name \[line1\]: $/, "line7"],
    [/downstream port \[4841\]: $/, "48777"],
    [/downstream user name \(role operate\): $/, "alice"],
    [/password for alice: $/, secret],
    [/status page port \(127\.0\.0\.1\) \[8080\]: $/, ""],
    [/configuration file \[opcua-redundancy\.yaml\]: $/, out],
    [/trust urn:opcua-redundancy:simulator .*\[y\/N\] \[n\]: $/, "y"],
    [/trust urn:opcua-redundancy:simulator .*\[y\/N\] \[n\]: $/, "n"],
  ]);
  assert.equal(code, 0, output);
  assert.ok(!output.includes(secret), `the password is not echoed:\n${output}`);
  const text = await readFile(out, "utf8");
  assert.match(text, /name: line7/);
  assert.match(text, /mode: warm/);
  assert.match(text, /port: 48777/);
  assert.match(text, /name: "alice"/);
  assert.match(text, /port: 8080/);
  assert.equal((await cliWith({}, "check-config", out)).code, 0);
});
