/**
 * `discover`: what a server (or every server a Local Discovery Server knows) offers — endpoints,
 * application description, and, from a session, the facts of server-facts.ts. A server that
 * answers GetEndpoints but refuses a session is still reported (with the reason).
 */
import { ApplicationType, type EndpointDescription, UserTokenType } from "node-opcua";
import { readServerFacts, type ServerFacts } from "./server-facts.ts";
import {
  chooseToolEndpoint,
  modeName,
  policyName,
  readDiscoveryServices,
  type ToolSessionOptions,
  withToolSession,
} from "./session.ts";

export interface EndpointSummary {
  endpointUrl: string;
  securityPolicy: string;
  securityMode: string;
  securityLevel: number;
  userTokenTypes: string[];
}

export interface DiscoveredServer {
  /** The URL the endpoints were read from. */
  url: string;
  applicationUri: string;
  applicationName: string;
  productUri: string;
  applicationType: string;
  endpoints: EndpointSummary[];
  /** The endpoint the session used ("policy/mode"), null when none could be made. */
  sessionEndpoint: string | null;
  facts: ServerFacts | null;
  /** Why there are no facts (no session), or why the server could not be reached at all. */
  error: string | null;
}

export interface DiscoveryResult {
  /** The URL asked about. */
  url: string;
  /** A Local Discovery Server: `servers` are the servers registered with it. */
  isDiscoveryServer: boolean;
  servers: DiscoveredServer[];
  error: string | null;
}

export function summarizeEndpoint(e: EndpointDescription): EndpointSummary {
  return {
    endpointUrl: e.endpointUrl ?? "",
    securityPolicy: policyName(e.securityPolicyUri),
    securityMode: modeName(e.securityMode),
    securityLevel: e.securityLevel,
    userTokenTypes: [...new Set((e.userIdentityTokens ?? []).map((t) => UserTokenType[t.tokenType] ?? "?"))],
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Endpoints and facts of one server at `url`. */
export async function discoverServer(
  url: string,
  options: ToolSessionOptions = {},
): Promise<DiscoveredServer> {
  const { endpoints, servers } = await readDiscoveryServices(url, options.timeoutMs, options.pkiFolder);
  const own = servers.find((s) => s.applicationType !== ApplicationType.DiscoveryServer) ?? servers[0];
  const first = endpoints[0]?.server;
  const app = own ?? first;
  const result: DiscoveredServer = {
    url,
    applicationUri: app?.applicationUri ?? first?.applicationUri ?? "",
    applicationName: app?.applicationName?.text ?? "",
    productUri: app?.productUri ?? "",
    applicationType: ApplicationType[app?.applicationType ?? ApplicationType.Server] ?? "Server",
    endpoints: endpoints.map(summarizeEndpoint),
    sessionEndpoint: null,
    facts: null,
    error: null,
  };
  const endpoint = chooseToolEndpoint(endpoints, options.user !== undefined);
  if (!endpoint) {
    result.error = options.user
      ? "the server offers no endpoint"
      : "no endpoint accepts anonymous users (give --user)";
    return result;
  }
  try {
    result.facts = await withToolSession(url, endpoint, options, readServerFacts);
    result.sessionEndpoint = `${policyName(endpoint.securityPolicyUri)}/${modeName(endpoint.securityMode)}`;
  } catch (error) {
    result.error = errorText(error);
  }
  return result;
}

/** `url` is a server or a discovery server: in the latter case, every server registered with it. */
export async function discover(url: string, options: ToolSessionOptions = {}): Promise<DiscoveryResult> {
  let services: Awaited<ReturnType<typeof readDiscoveryServices>>;
  try {
    services = await readDiscoveryServices(url, options.timeoutMs, options.pkiFolder);
  } catch (error) {
    return { url, isDiscoveryServer: false, servers: [], error: errorText(error) };
  }
  const self = services.endpoints[0]?.server;
  const isDiscoveryServer = self?.applicationType === ApplicationType.DiscoveryServer;
  if (!isDiscoveryServer) {
    try {
      return { url, isDiscoveryServer, servers: [await discoverServer(url, options)], error: null };
    } catch (error) {
      return { url, isDiscoveryServer, servers: [], error: errorText(error) };
    }
  }
  const registered = services.servers.filter((s) => s.applicationType !== ApplicationType.DiscoveryServer);
  const servers: DiscoveredServer[] = [];
  for (const app of registered) {
    const serverUrl = (app.discoveryUrls ?? [])[0];
    if (!serverUrl) continue;
    try {
      servers.push(await discoverServer(serverUrl, options));
    } catch (error) {
      servers.push({
        url: serverUrl,
        applicationUri: app.applicationUri ?? "",
        applicationName: app.applicationName?.text ?? "",
        productUri: app.productUri ?? "",
        applicationType: ApplicationType[app.applicationType] ?? "Server",
        endpoints: [],
        sessionEndpoint: null,
        facts: null,
        error: errorText(error),
      });
    }
  }
  return { url, isDiscoveryServer, servers, error: null };
}

/** The URLs a discovered server names as its redundant partners (suggested as the pair's other servers). */
export function suggestedPartners(server: DiscoveredServer): string[] {
  const facts = server.facts;
  if (!facts) return [];
  const ids = [...facts.serverUriArray, ...facts.redundantServerArray.map((r) => r.serverId)];
  return [...new Set(ids.filter((id) => id !== "" && id !== server.applicationUri))];
}
