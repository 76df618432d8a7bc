/**
 * `init` without the terminal: discover the servers, choose their secure endpoints, trust their
 * certificates in the gateway's PKI (when asked), check the pair, and render a configuration that
 * passes the schema — validated here before a byte is written.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { parseGatewayConfig } from "../config/load.ts";
import { summarizeEndpoint } from "../discovery/discover.ts";
import { readDiscoveryServices } from "../discovery/session.ts";
import { RedundancyError } from "../errors.ts";
import { checkPair } from "../pair-check/check-pair.ts";
import { describeDifferences } from "../pair-check/compare.ts";
import { pkiStoreFolder } from "../security/gateway-pki.ts";
import { hashPassword } from "../security/password-hash.ts";
import { setTrust } from "../security/pki-store.ts";
import { type ChosenEndpoint, chooseSecureEndpoint } from "./choose-endpoint.ts";
import { type InitServer, renderInitConfig } from "./render-config.ts";

export interface InitInputs {
  urls: string[];
  pairName: string;
  mode: "cold" | "warm" | "hot";
  listenPort: number;
  user: { name: string; password: string };
  httpPort: number;
  /** The gateway's data folder (its PKI is <dataDir>/pki), as `start --data-dir` will use it. */
  dataDir: string;
  /** The configuration file to write; the token file goes next to it. */
  out: string;
  /** Trust the servers' certificates in the gateway's PKI (asked per server on a terminal). */
  trust: (server: DiscoveredEndpointInfo) => Promise<boolean>;
  /** The identity for a server whose endpoint accepts no anonymous user. */
  upstreamUser: (url: string) => Promise<{ name: string; passwordEnv: string } | undefined>;
  /** Print progress (stderr on the command line). */
  say: (line: string) => void;
}

export interface DiscoveredEndpointInfo {
  url: string;
  applicationUri: string;
  endpoint: ChosenEndpoint;
  thumbprint: string | null;
}

export interface InitResult {
  text: string;
  tokenFile: string;
  interchangeable: boolean | null;
}

async function trustCertificate(pkiDir: string, der: Buffer): Promise<void> {
  const folder = await mkdtemp(join(tmpdir(), "opcua-redundancy-init-"));
  try {
    const file = join(folder, "server.der");
    await writeFile(file, der);
    await setTrust(pkiDir, "applications", { file }, "trusted");
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

async function discoverForInit(url: string, inputs: InitInputs): Promise<InitServer> {
  const pkiFolder = pkiStoreFolder(join(inputs.dataDir, "pki"), "applications");
  const { endpoints } = await readDiscoveryServices(url, 10_000, pkiFolder);
  const endpoint = chooseSecureEndpoint(endpoints.map(summarizeEndpoint));
  if (!endpoint)
    throw new RedundancyError("ERR_UPSTREAM_REQUEST", `${url} offers no endpoint the gateway can use`);
  const description = endpoints.find((e) => e.serverCertificate && e.serverCertificate.length > 0);
  const der = description?.serverCertificate ?? null;
  const info: DiscoveredEndpointInfo = {
    url,
    applicationUri: description?.server.applicationUri ?? "",
    endpoint,
    thumbprint: der ? createHash("sha1").update(der).digest("hex") : null,
  };
  inputs.say(`${url}: ${info.applicationUri}, endpoint ${endpoint.policy}/${endpoint.mode}`);
  if (der && endpoint.mode !== "None" && (await inputs.trust(info))) {
    await trustCertificate(join(inputs.dataDir, "pki"), der);
    inputs.say(`  trusted its certificate ${info.thumbprint} in ${join(inputs.dataDir, "pki")}`);
  }
  const user = endpoint.anonymous ? undefined : await inputs.upstreamUser(url);
  if (!endpoint.anonymous && !user)
    throw new RedundancyError(
      "ERR_INVALID_ARGUMENT",
      `${url} accepts no anonymous user: give an upstream user`,
    );
  const name = new URL(url.replace(/^opc\.tcp:/, "http:")).host;
  return { url, name, endpoint, ...(user ? { user } : {}) };
}

export async function buildInit(inputs: InitInputs): Promise<InitResult> {
  if (inputs.urls.length < 2)
    throw new RedundancyError(
      "ERR_INVALID_ARGUMENT",
      `a pair needs at least 2 servers, got ${inputs.urls.length}`,
    );
  const servers: InitServer[] = [];
  for (const url of inputs.urls) servers.push(await discoverForInit(url, inputs));
  const pairCheck = await runPairCheck(servers, inputs);
  const out = resolve(inputs.out);
  const tokenFile = `${out}.token`;
  const text = renderInitConfig({
    pairName: inputs.pairName,
    mode: inputs.mode,
    listenPort: inputs.listenPort,
    servers,
    user: { name: inputs.user.name, passwordHash: await hashPassword(inputs.user.password) },
    httpPort: inputs.httpPort,
    tokenFile,
    eventsFile: resolve(inputs.dataDir, "events.jsonl"),
    pairCheck,
  });
  parseGatewayConfig(parse(text), out); // throws ConfigError: a bug here, never a bad file written
  return { text, tokenFile, interchangeable: pairCheck.interchangeable };
}

async function runPairCheck(servers: InitServer[], inputs: InitInputs) {
  try {
    const result = await checkPair(
      servers.map((s) => s.url),
      async (i) => {
        const s = servers[i]!;
        const password = s.user ? process.env[s.user.passwordEnv] : undefined;
        return {
          pkiFolder: pkiStoreFolder(join(inputs.dataDir, "pki"), "applications"),
          security: { policy: s.endpoint.policy, mode: s.endpoint.mode },
          ...(s.user && password ? { user: { name: s.user.name, password } } : {}),
        };
      },
    );
    const lines = describeDifferences(result);
    inputs.say(result.interchangeable ? "pair check: interchangeable" : "pair check: NOT interchangeable");
    for (const line of lines) inputs.say(`  ${line}`);
    return { interchangeable: result.interchangeable, lines };
  } catch (error) {
    inputs.say(`pair check not made: ${(error as Error).message}`);
    return { interchangeable: null, lines: [] };
  }
}

/** Writes the configuration (refusing to overwrite unless `force`) and a new API token (mode 0600). */
export async function writeInit(out: string, result: InitResult, force: boolean): Promise<void> {
  await mkdir(resolve(out, ".."), { recursive: true });
  try {
    await writeFile(out, result.text, { flag: force ? "w" : "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST")
      throw new RedundancyError("ERR_INVALID_ARGUMENT", `${out} exists: give --force to replace it`);
    throw error;
  }
  await writeFile(result.tokenFile, `${randomBytes(24).toString("base64url")}\n`, { mode: 0o600 });
}
