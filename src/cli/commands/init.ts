/**
 * `opcua-redundancy init`: writes a commented configuration for one pair from discovered servers.
 * On a terminal it asks (node:readline) for what the flags did not give; with --yes, or when stdin
 * is not a terminal, the flags are all there is (scripts). Exit 0 written, 64 usage, 69 a server
 * could not be reached, 73 the file exists (--force replaces it).
 */
import { createInterface, type Interface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { RedundancyError } from "../../errors.ts";

const USAGE = `Usage: opcua-redundancy init [URL URL...] [options]

Discovers the servers, chooses each one's most secure endpoint, checks that they are a redundant
pair, and writes a commented configuration. Asks on a terminal for anything not given.
  --name NAME            the pair's name (default line1)
  --mode MODE            cold | warm | hot (default hot)
  --listen-port P        the pair's downstream endpoint port (default 4841)
  --user NAME            the downstream user (role operate); password in $OPCUA_REDUNDANCY_INIT_PASSWORD
  --http-port P          the status page on 127.0.0.1 (default 8080)
  --data-dir DIR         the gateway's data folder, as for 'start --data-dir' (default ./data)
  --trust-servers        trust the servers' certificates in DIR/pki (asked per server on a terminal)
  --upstream-user NAME   the identity at servers that accept no anonymous user ...
  --upstream-password-env VAR  ... with its password in the environment variable VAR
  --out FILE             where to write (default opcua-redundancy.yaml); the API token goes to FILE.token
  --force                replace FILE
  --yes                  ask nothing, even on a terminal
`;

function options(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      name: { type: "string" },
      mode: { type: "string" },
      "listen-port": { type: "string" },
      user: { type: "string" },
      "http-port": { type: "string" },
      "data-dir": { type: "string" },
      "trust-servers": { type: "boolean", default: false },
      "upstream-user": { type: "string" },
      "upstream-password-env": { type: "string" },
      out: { type: "string" },
      force: { type: "boolean", default: false },
      yes: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
}

class Asker {
  #rl: Interface | null;

  constructor(interactive: boolean) {
    this.#rl = interactive ? Asker.#open() : null;
  }

  static #open(): Interface {
    return createInterface({ input: process.stdin, output: process.stderr });
  }

  get interactive(): boolean {
    return this.#rl !== null;
  }

  async ask(question: string, given: string | undefined, fallback?: string): Promise<string> {
    if (given !== undefined) return given;
    if (!this.#rl) {
      if (fallback !== undefined) return fallback;
      throw new RedundancyError("ERR_INVALID_ARGUMENT", `${question}: not given (see --help)`);
    }
    const answer = (await this.#rl.question(`${question}${fallback ? ` [${fallback}]` : ""}: `)).trim();
    return answer === "" && fallback !== undefined ? fallback : answer;
  }

  /** A line read with the terminal in raw mode and nothing echoed (readline always echoes). */
  async secret(question: string): Promise<string> {
    if (!this.#rl) throw new RedundancyError("ERR_INVALID_ARGUMENT", `${question}: not given (see --help)`);
    this.#rl.close();
    const stdin = process.stdin;
    // echo off before the prompt shows: a password typed (or pasted) at once is never echoed
    stdin.setRawMode(true);
    stdin.resume();
    process.stderr.write(`${question}: `);
    try {
      return await new Promise<string>((resolve, reject) => {
        let text = "";
        const onData = (chunk: Buffer) => {
          for (const ch of chunk.toString("utf8")) {
            if (ch === "\r" || ch === "\n") {
              stdin.off("data", onData);
              process.stderr.write("\n");
              resolve(text);
              return;
            }
            if (ch === "\u0003") {
              stdin.off("data", onData);
              reject(new RedundancyError("ERR_INVALID_ARGUMENT", "interrupted"));
              return;
            }
            if (ch === "\u007f" || ch === "\b") text = text.slice(0, -1);
            else text += ch;
          }
        };
        stdin.on("data", onData);
      });
    } finally {
      stdin.setRawMode(false);
      stdin.pause();
      this.#rl = Asker.#open();
    }
  }

  close(): void {
    this.#rl?.close();
  }
}

function integer(name: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535)
    throw new RedundancyError("ERR_INVALID_ARGUMENT", `${name} must be a port 1..65535, got "${text}"`);
  return n;
}

export async function run(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof options>;
  try {
    parsed = options(args);
  } catch (error) {
    process.stderr.write(`opcua-redundancy init: ${(error as Error).message}\n\n${USAGE}`);
    return 64;
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const asker = new Asker(process.stdin.isTTY === true && v.yes !== true);
  const say = (line: string) => process.stderr.write(`${line}\n`);
  try {
    const urls = [...positionals];
    while (asker.interactive && urls.length < 2) {
      const url = await asker.ask(
        urls.length === 0 ? "primary server URL" : "secondary server URL",
        undefined,
      );
      if (url.startsWith("opc.tcp://")) urls.push(url);
      else say(`expected an opc.tcp:// URL, got "${url}"`);
    }
    const mode = await asker.ask("mode (cold, warm, hot)", v.mode, "hot");
    if (mode !== "cold" && mode !== "warm" && mode !== "hot")
      throw new RedundancyError("ERR_INVALID_ARGUMENT", `--mode must be cold, warm or hot, got "${mode}"`);
    const pairName = await asker.ask("pair name", v.name, "line1");
    const listenPort = integer("--listen-port", await asker.ask("downstream port", v["listen-port"], "4841"));
    const userName = await asker.ask("downstream user name (role operate)", v.user);
    const password =
      process.env.OPCUA_REDUNDANCY_INIT_PASSWORD || (await asker.secret(`password for ${userName}`));
    if (password.length < 8)
      throw new RedundancyError(
        "ERR_INVALID_ARGUMENT",
        "the downstream user's password needs at least 8 characters",
      );
    const httpPort = integer(
      "--http-port",
      await asker.ask("status page port (127.0.0.1)", v["http-port"], "8080"),
    );
    const out = await asker.ask("configuration file", v.out, "opcua-redundancy.yaml");
    const { nodeOpcuaLogsToStderr } = await import("../node-opcua-stderr.ts");
    nodeOpcuaLogsToStderr();
    const { buildInit, writeInit } = await import("../../init/build-init.ts");
    const result = await buildInit({
      urls,
      pairName,
      mode,
      listenPort,
      user: { name: userName, password },
      httpPort,
      dataDir: v["data-dir"] ?? "data",
      out,
      say,
      trust: async (server) => {
        if (v["trust-servers"]) return true;
        if (!asker.interactive) return false;
        const answer = await asker.ask(
          `trust ${server.applicationUri} (certificate ${server.thumbprint}) for the gateway? [y/N]`,
          undefined,
          "n",
        );
        return /^y/i.test(answer);
      },
      upstreamUser: async (url) => {
        const name = await asker.ask(`user name at ${url}`, v["upstream-user"]);
        const passwordEnv = await asker.ask(
          `environment variable holding its password`,
          v["upstream-password-env"],
        );
        return { name, passwordEnv };
      },
    });
    await writeInit(out, result, v.force === true);
    say(`wrote ${out} (API token in ${result.tokenFile})`);
    say(
      `servers that accept no unknown client must trust the gateway's certificate: ${v["data-dir"] ?? "data"}/pki/applications/own/certs`,
    );
    say(
      `next: opcua-redundancy check-config ${out} && opcua-redundancy start --config ${out} --data-dir ${v["data-dir"] ?? "data"}`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof RedundancyError)) throw error;
    process.stderr.write(`opcua-redundancy init: ${error.message}\n`);
    if (error.code === "ERR_UPSTREAM_REQUEST" || error.code === "ERR_REQUEST_TIMEOUT") return 69;
    return /exists: give --force/.test(error.message) ? 73 : 64;
  } finally {
    asker.close();
  }
}
