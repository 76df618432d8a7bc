/**
 * `opcua-redundancy` command line: dispatches to one module per command.
 * Each command module exports `run(args): Promise<number>` returning the process exit code.
 */
type Command = { summary: string; load: () => Promise<{ run(args: string[]): Promise<number> }> };

const commands: Record<string, Command> = {
  demo: {
    summary:
      "two simulated servers behind the gateway, with its status server, ready to try failover by hand",
    load: () => import("./commands/demo.ts"),
  },
  start: {
    summary: "run the gateway: start --config FILE [--data-dir DIR] [--instance NAME] [--only-pairs A,B]",
    load: () => import("./commands/start.ts"),
  },
  simulate: {
    summary: "a simulated upstream OPC UA server: simulate --port P [--tick-ms T] [--shared-clock]",
    load: () => import("./commands/simulate.ts"),
  },
  events: {
    summary:
      "print, follow or export the diagnostics event log: events --file F|--config FILE [--follow] [--export OUT]",
    load: () => import("./commands/events.ts"),
  },
  "test-email": {
    summary: "send a test e-mail to every configured recipient: test-email --config FILE",
    load: () => import("./commands/test-email.ts"),
  },
  status: {
    summary:
      "the pairs of a running gateway as a table: status [--url URL | --config FILE (every instance)] [--json]",
    load: () => import("./commands/status.ts"),
  },
  health: {
    summary:
      "exit 0 when this gateway instance can serve every pair (for keepalived): health [--url URL] [--timeout-ms MS]",
    load: () => import("./commands/health.ts"),
  },
  failover: {
    summary: "operator failover: failover PAIR [--to SERVER_URL] [--url URL] [--token T]",
    load: () => import("./commands/failover.ts"),
  },
  reload: {
    summary: "make a running gateway re-read its configuration: reload [--url URL] [--token T]",
    load: () => import("./commands/reload.ts"),
  },
  "hash-password": {
    summary: "print the hash of a password read on stdin, for security.users[].passwordHash",
    load: () => import("./commands/hash-password.ts"),
  },
  pki: {
    summary: "certificates the gateway trusts or refused: pki list|trust|reject [--data-dir DIR] [--users]",
    load: () => import("./commands/pki.ts"),
  },
  discover: {
    summary: "what OPC UA servers (or a discovery server's) offer: discover URL [URL...] [--json]",
    load: () => import("./commands/discover.ts"),
  },
  "check-pair": {
    summary: "are these servers interchangeable for failover? check-pair URL URL... (exit 0 yes, 1 no)",
    load: () => import("./commands/check-pair.ts"),
  },
  init: {
    summary:
      "write a commented configuration for one pair from discovered servers: init [URL URL] [--yes ...]",
    load: () => import("./commands/init.ts"),
  },
  "check-config": {
    summary: "validate a configuration file: check-config FILE (exit 78 when invalid)",
    load: () => import("./commands/check-config.ts"),
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`);
  return `Usage: opcua-redundancy <command> [options]\n\nCommands:\n${lines.join("\n")}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage());
    return name ? 0 : 64;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`opcua-redundancy: unknown command "${name}"\n\n${usage()}`);
    return 64; // EX_USAGE
  }
  const module = await command.load();
  return module.run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    // Long-running commands (demo, simulate) resolve only when they are done.
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `opcua-redundancy: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 70; // EX_SOFTWARE
  },
);
