/**
 * The package as a user gets it: `npm pack` (its prepack build included), `npm install <tarball>`
 * into an empty project, and there: the README's library and gateway examples (the very files
 * examples/library.mjs and examples/gateway.mjs) against two simulators, the installed command
 * (`check-config`, `simulate`), the public surface (exactly the documented names, no deep
 * imports), and a TypeScript file type-checked against the shipped declarations.
 */
import assert from "node:assert/strict";
import { type SpawnOptions, spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { freePort } from "./helpers/ports.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** Pack (a full build) and install (from npm's cache where it can) on a loaded 2-core machine. */
const TEST_TIMEOUT_MS = 300_000;
const STEP_TIMEOUT_MS = 180_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The pinned Node first on PATH: the installed command's `#!/usr/bin/env node` must find Node 22. */
const env = {
  ...process.env,
  PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`,
  OPCUA_REDUNDANCY_LOG_LEVEL: "warn",
};

function run(command: string, args: string[], options: SpawnOptions & { until?: RegExp } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    // Own process group: npx runs the command in a child of its own, and SIGTERM must reach both.
    const child = spawn(command, args, {
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
      ...options,
    });
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(-(child.pid as number), name);
      } catch {
        // already gone
      }
    };
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => signal("SIGKILL"), STEP_TIMEOUT_MS);
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk;
      if (options.until?.test(stdout)) signal("SIGTERM");
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function ok(result: Run, what: string): Run {
  assert.equal(
    result.code,
    0,
    `${what} exited ${result.code ?? result.signal}\n${result.stderr.slice(-3000)}`,
  );
  return result;
}

/** The names the public entry point exports at run time (types are checked by tsc below). */
const PUBLIC_VALUES = [
  "ConfigError",
  "RedundancyError",
  "RedundantClient",
  "discoverRedundantSet",
  "loadConfig",
  "parseConfigText",
  "parseGatewayConfig",
  "parsePairConfig",
  "startGateway",
  "startSimulator",
];

const typeCheckFile = `import {
  type ErrorCode,
  type FailoverEvent,
  type GatewayConfigInput,
  type PairConfig,
  type PairStatus,
  RedundancyError,
  RedundantClient,
  type RunningGateway,
  type Simulator,
  parsePairConfig,
  startGateway,
  startSimulator,
} from "opcua-redundancy";

const config: PairConfig = parsePairConfig({ name: "a", mode: "hot", servers: [{ url: "opc.tcp://h:4840" }] });
const client = new RedundantClient(config, { requestTimeoutMs: 1000 });
client.on("failover", (e: FailoverEvent) => console.log(e.toIndex.toFixed(), e.reason));
const status: PairStatus = client.status();
const code: ErrorCode = "ERR_NO_ACTIVE_SERVER";
const error = new RedundancyError(code, "x");
const gatewayConfig: GatewayConfigInput = { pairs: [] };
const started: Promise<RunningGateway> = startGateway({ config: gatewayConfig });
const simulator: Promise<Simulator> = startSimulator({ tickMs: 100 });
// The declarations are real, not \`any\`: a wrong mode and an unknown code do not compile.
// @ts-expect-error
new RedundantClient({ name: "b", mode: "lukewarm", servers: [] });
// @ts-expect-error
const wrong: ErrorCode = "ERR_NO_SUCH_CODE";
console.log(status.state, error.code, started, simulator, wrong);
`;

test("the packed package installs and works as the README shows", { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const work = await mkdtemp(join(tmpdir(), "opcua-redundancy-pack-"));
  t.after(() => rm(work, { recursive: true, force: true }));
  const project = join(work, "project");
  await mkdir(project);

  const packed = ok(
    await run("npm", ["pack", "--silent", "--pack-destination", work], { cwd: root }),
    "npm pack",
  );
  const tarball = join(work, packed.stdout.trim().split("\n").at(-1)!);
  await writeFile(
    join(project, "package.json"),
    JSON.stringify({ name: "packaging-test", private: true, type: "module" }),
  );
  ok(
    await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball], { cwd: project }),
    "npm install <tarball>",
  );

  await t.test("the tarball holds dist/, bin/, README and LICENSE only, no sources or tests", async () => {
    const installed = join(project, "node_modules", "opcua-redundancy");
    assert.deepEqual((await readdir(installed)).sort(), [
      "LICENSE",
      "README.md",
      "bin",
      "dist",
      "package.json",
    ]);
    // the status and configuration pages: every file of the source's static folder, and only those
    assert.deepEqual(
      (await readdir(join(installed, "dist", "http", "static"))).sort(),
      (await readdir(join(root, "src", "http", "static"))).sort(),
    );
    assert.ok(!(await readdir(join(project, "node_modules"))).includes("tsx"), "tsx is not installed");
  });

  await t.test("the public entry point exports the documented names, and nothing internal", async () => {
    const script = `const m = await import("opcua-redundancy"); console.log(JSON.stringify(Object.keys(m).sort()));
      try { await import("opcua-redundancy/dist/upstream/link.js"); console.log("deep import allowed"); }
      catch (e) { console.log(e.code); }`;
    const result = ok(
      await run(process.execPath, ["--input-type=module", "-e", script], { cwd: project }),
      "import",
    );
    const [names, deep] = result.stdout.trim().split("\n");
    assert.deepEqual(JSON.parse(names!), PUBLIC_VALUES);
    assert.equal(deep, "ERR_PACKAGE_PATH_NOT_EXPORTED");
  });

  await t.test("the README's library example fails over once and keeps the values coming", async () => {
    await copyFile(join(root, "examples", "library.mjs"), join(project, "library.mjs"));
    const env2 = { ...env, OPCUA_REDUNDANCY_PKI: join(work, "client-pki") };
    const { stdout } = ok(
      await run(process.execPath, ["library.mjs"], { cwd: project, env: env2 }),
      "library.mjs",
    );
    assert.match(stdout, /^write Status: Good$/m);
    const failovers = stdout.match(/^failover .*$/gm) ?? [];
    assert.equal(failovers.length, 1, stdout);
    // a graceful stop: the Shutdown state or the closed connection, whichever the link sees first
    assert.match(failovers[0]!, /: (serverState|commLost) \(/);
    const counter = /^active opc\.tcp:\/\/\S+, Counter (\d+) → (\d+)$/m.exec(stdout);
    assert.ok(counter, stdout);
    assert.ok(Number(counter[2]) > Number(counter[1]), "Counter advances after the failover");
    assert.match(stdout, /^operator failover refused: ERR_FAILOVER_REFUSED$/m);
  });

  await t.test("the README's gateway example serves a pair and reports its active server", async () => {
    await copyFile(join(root, "examples", "gateway.mjs"), join(project, "gateway.mjs"));
    const env2 = {
      ...env,
      GATEWAY_PORT: String(await freePort()),
      HTTP_PORT: String(await freePort()),
      DATA_DIR: join(work, "data"),
    };
    const { stdout } = ok(
      await run(process.execPath, ["gateway.mjs"], { cwd: project, env: env2 }),
      "gateway.mjs",
    );
    assert.match(
      stdout,
      new RegExp(`^line1 served at opc\\.tcp://127\\.0\\.0\\.1:${env2.GATEWAY_PORT}$`, "m"),
    );
    assert.match(
      stdout,
      /^status page http:\/\/127\.0\.0\.1:\d+: line1 active opc\.tcp:\/\/127\.0\.0\.1:\d+$/m,
    );
  });

  await t.test("npx opcua-redundancy check-config and simulate run the compiled command", async () => {
    for (const file of ["gateway.yaml", "invalid.yaml"])
      await copyFile(join(root, "examples", file), join(project, file));
    const valid = ok(
      await run("npx", ["--no-install", "opcua-redundancy", "check-config", "gateway.yaml"], {
        cwd: project,
      }),
      "check-config",
    );
    assert.match(valid.stdout, /gateway\.yaml: valid, 2 pairs/);
    const invalid = await run("npx", ["--no-install", "opcua-redundancy", "check-config", "invalid.yaml"], {
      cwd: project,
    });
    assert.equal(invalid.code, 78, invalid.stderr);
    const simulate = await run("npx", ["--no-install", "opcua-redundancy", "simulate", "--port", "0"], {
      cwd: project,
      until: /"event":"listening"/,
    });
    const listening = JSON.parse(simulate.stdout.split("\n").find((l) => l.includes('"listening"'))!);
    assert.match(listening.endpointUrl, /^opc\.tcp:\/\/.+:\d+/);
    assert.notEqual(simulate.signal, "SIGKILL", "simulate ended on SIGTERM, not at the step timeout");
    assert.doesNotMatch(simulate.stderr, /shutdown failed/);
  });

  await t.test("a TypeScript file type-checks against the shipped declarations", async () => {
    await writeFile(join(project, "check.ts"), typeCheckFile);
    await writeFile(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2023",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ["node"],
          typeRoots: [join(root, "node_modules", "@types")],
        },
        files: ["check.ts"],
      }),
    );
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    const result = await run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: project });
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });
});
