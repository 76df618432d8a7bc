/**
 * The security sections of the configuration, passwords hashing, and a fuzz of the loader: text
 * that is not YAML, unknown keys and wrong types anywhere are rejected with every problem listed
 * (each with its path), never with a crash or another kind of error.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import { ConfigError, loadConfigFile, parseConfigText, parseGatewayConfig } from "../../src/config/load.ts";
import { hashPassword, verifyPassword } from "../../src/security/password-hash.ts";
import { assertIssue, issuesOf, root } from "../helpers/config-issues.ts";

const pair = (extra: Record<string, unknown> = {}, server: Record<string, unknown> = {}) => ({
  pairs: [
    { name: "line1", listen: { port: 4841 }, servers: [{ url: "opc.tcp://a:4840", ...server }], ...extra },
  ],
});

test("secure by default: signed and encrypted endpoints, no None, no anonymous, no users", () => {
  const security = parseGatewayConfig(pair()).pairs[0]!.security;
  assert.deepEqual(security, {
    policies: ["Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss"],
    modes: ["Sign", "SignAndEncrypt"],
    allowNone: false,
    anonymous: false,
    anonymousRole: "operate",
    users: [],
    certificateUsers: [],
  });
  const upstream = parseGatewayConfig(pair()).pairs[0]!.servers[0]!;
  assert.equal(upstream.security, undefined, "upstream: None unless configured");
});

test("every security problem is listed with its path", () => {
  const issues = issuesOf(() =>
    parseGatewayConfig(
      pair(
        {
          security: {
            policies: ["Basic128Rsa15"],
            modes: [],
            anonymous: "yes",
            users: [
              { name: "a", password: "clear text", role: "read" },
              { name: "b", passwordHash: "md5:abc", role: "admin" },
              { name: "b", passwordHash: "scrypt$1$1$1$AA==$AA==", role: "read" },
            ],
            extra: 1,
          },
          limits: { maxSessions: 0, maxMessageSize: "big" },
        },
        {
          security: { policy: "Basic256Sha256", mode: "None" },
          user: { name: "u", password: "Pw-4711-xyz" },
        },
      ),
    ),
  );
  assertIssue(issues, "pairs[0].security.policies[0]", /expected one of Basic256Sha256/);
  assertIssue(issues, "pairs[0].security.modes", /at least 1/);
  assertIssue(issues, "pairs[0].security.anonymous", /true or false/);
  assertIssue(issues, "pairs[0].security.users[0].password", /unknown key/);
  assertIssue(issues, "pairs[0].security.users[0].passwordHash", /required/);
  assertIssue(issues, "pairs[0].security.users[1].passwordHash", /hash-password/);
  assertIssue(issues, "pairs[0].security.users[1].role", /read, operate/);
  assertIssue(issues, "pairs[0].security.users[2].name", /repeated user name/);
  assertIssue(issues, "pairs[0].security.extra", /unknown key/);
  assertIssue(issues, "pairs[0].limits.maxSessions", /1/);
  assertIssue(issues, "pairs[0].limits.maxMessageSize", /number/);
  assertIssue(issues, "pairs[0].servers[0].security.mode", /needs mode Sign or SignAndEncrypt/);
  assertIssue(issues, "pairs[0].servers[0].user", /exactly one of passwordEnv, passwordFile/);
  assert.equal(issues.join("\n").includes("clear text"), false, "a password is never echoed");
  assert.equal(issues.join("\n").includes("Pw-4711-xyz"), false, "a password is never echoed");
});

test("opcua-redundancy hash-password reads stdin and prints a hash that verifies", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "hash-password"], {
    cwd: root,
  });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stdin.end("pass word\n");
  const [code] = await once(child, "exit");
  assert.equal(code, 0);
  assert.equal(await verifyPassword("pass word", stdout.trim()), true, stdout);
});

test("password hashes: verify the right password only; malformed hashes never match", async () => {
  const hash = await hashPassword("correct horse");
  assert.match(hash, /^scrypt\$32768\$8\$1\$/);
  assert.notEqual(hash, await hashPassword("correct horse"), "salted");
  assert.equal(await verifyPassword("correct horse", hash), true);
  assert.equal(await verifyPassword("correct hors", hash), false);
  assert.equal(await verifyPassword("correct horse", "scrypt$1$1$1$AA==$AA=="), false);
  assert.equal(await verifyPassword("x", "not a hash"), false);
  parseGatewayConfig(pair({ security: { users: [{ name: "u", passwordHash: hash, role: "operate" }] } }));
});

/** A small deterministic PRNG (mulberry32), so that a failing case can be replayed. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const valid = {
  pairs: [
    {
      name: "line1",
      listen: { port: 4841 },
      mode: "hot",
      servers: [
        { url: "opc.tcp://a:4840", security: { policy: "Basic256Sha256", mode: "Sign" } },
        { url: "opc.tcp://b:4840", user: { name: "gw", passwordEnv: "PW" } },
      ],
      statusQuery: { intervalMs: 500, timeoutMs: 1000 },
      monitors: [{ nodeId: "ns=2;s=X", noChangeMs: 5000 }],
      security: { allowNone: true, anonymous: true, users: [] },
      limits: { maxSessions: 10 },
    },
  ],
  http: { port: 8080 },
  logLevel: "info",
};

const oddValues: unknown[] = [
  null,
  true,
  -1,
  1.5,
  "",
  "x".repeat(300),
  [],
  {},
  [1, [2]],
  { a: { b: 1 } },
  1e300,
];

/** A copy of `value` with one random change: a key removed, added, or a value of another type. */
function mutate(value: unknown, next: () => number): unknown {
  if (typeof value !== "object" || value === null) return oddValues[Math.floor(next() * oddValues.length)];
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [...value] : { ...value };
  const keys = Object.keys(copy);
  const choice = next();
  if (keys.length === 0 || choice < 0.15) {
    (copy as Record<string, unknown>)[`unknown${Math.floor(next() * 100)}`] = 1;
  } else {
    const key = keys[Math.floor(next() * keys.length)]!;
    const target = copy as Record<string, unknown>;
    if (choice < 0.3) delete target[key];
    else
      target[key] =
        choice < 0.6 ? mutate(target[key], next) : oddValues[Math.floor(next() * oddValues.length)];
  }
  return copy;
}

test("loader fuzz: 2,000 mutated configurations and random texts never crash the loader", () => {
  const next = random(20_261_123);
  let rejected = 0;
  for (let i = 0; i < 2000; i++) {
    let text: string;
    if (i % 4 === 0) {
      // Random printable and control characters: mostly not YAML at all.
      text = Array.from({ length: Math.floor(next() * 200) }, () =>
        String.fromCharCode(Math.floor(next() * 128)),
      ).join("");
    } else {
      let config: unknown = valid;
      for (let m = 0; m < 1 + Math.floor(next() * 4); m++) config = mutate(config, next);
      text = i % 2 ? JSON.stringify(config) : JSON.stringify(config, null, 2).replaceAll('"', "");
    }
    try {
      parseConfigText(text, `case ${i}`);
    } catch (error) {
      assert.ok(error instanceof ConfigError, `case ${i}: ${String(error)}\n${text}`);
      assert.ok(error.issues.length > 0, `case ${i}: no issue listed`);
      for (const issue of error.issues) {
        assert.equal(typeof issue.path, "string");
        assert.ok(issue.message.length > 0, `case ${i}: an empty message`);
      }
      rejected++;
    }
  }
  assert.ok(rejected > 1500, `${rejected} of 2000 rejected`);
});

test("several problems at once are all listed, not only the first", () => {
  const issues = issuesOf(() =>
    parseConfigText(
      [
        "pairs:",
        "  - name: bad name!",
        "    mode: tepid",
        "    servers: [{ url: http://x }]",
        "    colour: blue",
        "    limits: { maxSessions: -3 }",
        "logLevel: loud",
      ].join("\n"),
      "f.yaml",
    ),
  );
  for (const path of [
    "pairs[0].name",
    "pairs[0].mode",
    "pairs[0].servers[0].url",
    "pairs[0].colour",
    "pairs[0].limits.maxSessions",
    "logLevel",
  ])
    assert.ok(
      issues.some((line) => line.startsWith(`${path}: `)),
      `${path} missing from:\n${issues.join("\n")}`,
    );
  assert.match(
    issuesOf(() => parseConfigText("pairs: [\n  - x", "f")).join("\n"),
    /YAML syntax error at line/,
  );
});

test("the production example offers neither SecurityPolicy None nor anonymous access", async () => {
  const config = await loadConfigFile(`${root}examples/production.yaml`);
  for (const pair of config.pairs) {
    assert.equal(pair.security.allowNone, false);
    assert.equal(pair.security.anonymous, false);
    assert.ok(pair.security.users.length > 0);
    for (const server of pair.servers) assert.equal(server.security?.mode, "SignAndEncrypt");
  }
  const hash = config.pairs[0]!.security.users.find((u) => u.name === "operator")!.passwordHash;
  assert.equal(await verifyPassword("operator-password", hash), true, "the documented example password");
});
