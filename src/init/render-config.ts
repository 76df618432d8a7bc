/**
 * The commented configuration `init` writes for one pair: text, not a serialised object, so that
 * every setting carries the comment a newcomer needs. Validated by the caller before it is written.
 */
import type { ChosenEndpoint } from "./choose-endpoint.ts";

export interface InitServer {
  url: string;
  name: string;
  endpoint: ChosenEndpoint;
  /** The identity the gateway presents, when the endpoint accepts no anonymous user. */
  user?: { name: string; passwordEnv: string };
}

export interface InitAnswers {
  pairName: string;
  mode: "cold" | "warm" | "hot";
  listenPort: number;
  servers: InitServer[];
  user: { name: string; passwordHash: string };
  httpPort: number;
  tokenFile: string;
  eventsFile: string;
  /** One line each, from the pair check (empty: interchangeable or not checked). */
  pairCheck: { interchangeable: boolean | null; lines: string[] };
}

const q = (text: string) => JSON.stringify(text);

function serverBlock(server: InitServer, index: number): string[] {
  const role = index === 0 ? "primary" : `backup ${index}`;
  const e = server.endpoint;
  const lines = [
    `      - url: ${q(server.url)} # ${role}`,
    `        name: ${q(server.name)}`,
    `        security: # the most secure endpoint the server offers${e.mode === "None" ? " (it offers no secure one!)" : ""}`,
    `          policy: ${e.policy}`,
    `          mode: ${e.mode}`,
  ];
  if (server.user)
    lines.push(
      "        user: # the server accepts no anonymous user; the password is read from the environment",
      `          name: ${q(server.user.name)}`,
      `          passwordEnv: ${server.user.passwordEnv}`,
    );
  return lines;
}

export function renderInitConfig(a: InitAnswers): string {
  const check =
    a.pairCheck.interchangeable === null
      ? ["# Pair check: not made (see `opcua-redundancy check-pair`)."]
      : a.pairCheck.interchangeable
        ? ["# Pair check: the servers are interchangeable."]
        : [
            "# Pair check: the servers are NOT interchangeable — fix this before relying on failover:",
            ...a.pairCheck.lines.map((l) => `#   ${l}`),
          ];
  return [
    "# opcua-redundancy configuration, written by `opcua-redundancy init`.",
    "#",
    `# Check it:  opcua-redundancy check-config <this file>`,
    `# Run it:    opcua-redundancy start --config <this file>`,
    "# Clients connect to opc.tcp://<this host>:" + a.listenPort + " instead of the real servers.",
    '# All durations are integers in milliseconds; README "Configuration" lists every key.',
    ...check,
    "",
    "pairs:",
    `  - name: ${a.pairName} # 1..64 characters of A-Z a-z 0-9 _ . -`,
    "    listen:",
    `      port: ${a.listenPort} # the downstream endpoint of this pair`,
    "      host: 0.0.0.0 # every interface; 127.0.0.1 for this machine only",
    `    mode: ${a.mode} # cold | warm | hot (hot: no lost values at failover)`,
    "    servers: # preference order: the first is the primary",
    ...a.servers.flatMap(serverBlock),
    "    statusQuery: # a Read of ServerStatus every intervalMs, lost when not answered within timeoutMs",
    "      intervalMs: 500",
    "      timeoutMs: 1000",
    "    failback:",
    "      policy: auto # auto: back to the primary once healthy for holdMs; manual: operator command",
    "      holdMs: 5000",
    "    # monitors: user-defined failover conditions (pick NodeIds on the status page's Configure view)",
    '    #   - { nodeId: "ns=2;s=Line1.Heartbeat", noChangeMs: 5000 }',
    "    security: # downstream: signed and encrypted endpoints only (the default), no anonymous users",
    "      users:",
    `        - name: ${q(a.user.name)}`,
    "          # made by `opcua-redundancy hash-password`; the password itself is never stored",
    `          passwordHash: ${q(a.user.passwordHash)}`,
    "          role: operate # read: browse, read, subscribe; operate: also write and call",
    "",
    "http: # status page, /api/status, /metrics, /health",
    `  port: ${a.httpPort}`,
    "  host: 127.0.0.1 # loopback only: put a TLS reverse proxy in front, or set http.tls, to open it up",
    "  auth:",
    `    tokenFile: ${q(a.tokenFile)} # the API token (operator commands, configuration page)`,
    "",
    "diagnostics:",
    `  file: ${q(a.eventsFile)} # the persisted diagnostics event log`,
    "  maxEvents: 10000",
    "",
  ].join("\n");
}
