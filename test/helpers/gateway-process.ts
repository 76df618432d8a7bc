/**
 * A gateway instance as a real child process (`opcua-redundancy start`), for tests that kill one:
 * its configuration written to a temporary folder, its output kept for failure messages.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { waitForAsync } from "./wait.ts";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const node = join(root, "node_modules", ".bin", "node");

export interface GatewayProcess {
  child: ChildProcess;
  dir: string;
  file: string;
  /** http://127.0.0.1:<port> of the status API. */
  httpUrl: string;
  output(): string;
  /** Resolves when every pair has an active server and a mirrored address space. */
  ready(timeoutMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs `opcua-redundancy <args>`; resolves with its exit code and output. */
export async function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(node, ["--import", "tsx", join("src", "cli", "main.ts"), ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, OPCUA_REDUNDANCY_TOKEN: "" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stdout, stderr };
}

/** Writes `config` (which must have http.port) and starts the gateway on it. */
export async function spawnGateway(
  config: Record<string, unknown> & { http: { port: number } },
  extraArgs: string[] = [],
): Promise<GatewayProcess> {
  const dir = await mkdtemp(join(tmpdir(), "gateway-process-"));
  const file = join(dir, "gateway.yaml");
  await writeFile(file, stringify(config));
  const child = spawn(
    node,
    [
      "--import",
      "tsx",
      join("src", "cli", "main.ts"),
      "start",
      "--config",
      file,
      "--data-dir",
      dir,
      ...extraArgs,
    ],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const httpUrl = `http://127.0.0.1:${config.http.port}`;
  const exited = once(child, "exit");
  return {
    child,
    dir,
    file,
    httpUrl,
    output: () => output,
    async ready(timeoutMs = 60_000) {
      await waitForAsync(
        async () => {
          if (child.exitCode !== null)
            throw new Error(`gateway exited ${child.exitCode}: ${output.slice(-2000)}`);
          const answer = await fetch(`${httpUrl}/api/status`).catch(() => undefined);
          if (!answer?.ok) return false;
          const body = (await answer.json()) as { pairs: { active: string | null; addressSpace: string }[] };
          return body.pairs.every((p) => p.active !== null && p.addressSpace === "mirrored");
        },
        timeoutMs,
        `gateway ${file} ready`,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${output.slice(-3000)}`);
      });
    },
    async kill(signal: NodeJS.Signals = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const [code] = (await exited) as [number | null];
      // the gateway logs an illegal state transition (src/transitions.ts) and goes on: still a bug
      const illegal = output.split("\n").filter((line) => line.includes("ERR_ILLEGAL_TRANSITION"));
      assert.deepEqual(illegal, [], "illegal state transitions in the gateway process");
      return code;
    },
  };
}
