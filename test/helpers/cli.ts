/** Runs `src/cli/main.ts` as a child process, as a user would run the command. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { root } from "./config-issues.ts";

const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cli(...args: string[]): Promise<CliResult> {
  return cliWith({}, ...args);
}

export async function cliWith(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      cwd: root,
      env: { ...process.env, OPCUA_REDUNDANCY_LOG_LEVEL: "silent", ...env },
      timeout: 90_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
