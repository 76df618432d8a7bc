/**
 * One short-lived client session to a server, for the configuration tools (discover, check-pair,
 * init, the configuration page): not a Link (no recovery, no probes), it connects once, does its
 * work and closes. The endpoint is chosen from the server's own GetEndpoints answer: SecurityPolicy
 * None with anonymous access where the server offers it (nothing secret is read), else its most
 * secure endpoint with the gateway's client certificate (its PKI must trust the server, as the
 * gateway's would: `opcua-redundancy pki trust`).
 */
import {
  type ApplicationDescription,
  type ClientSession,
  type EndpointDescription,
  MessageSecurityMode,
  OPCUAClient,
  type SecurityPolicy,
  type UserIdentityInfo,
  UserTokenType,
} from "node-opcua";
import { RedundancyError } from "../errors.ts";
import { clientApplicationName, clientCertificateManager } from "../upstream/client-pki.ts";

export interface ToolSessionOptions {
  /** Log in as this user (else anonymous). */
  user?: { name: string; password: string };
  /** The client PKI folder (default: the gateway's, see client-pki.ts). */
  pkiFolder?: string;
  /** Give up connecting after this long (default 10 s). */
  timeoutMs?: number;
  /** An identity as the gateway's links present it (instead of `user`). */
  identity?: UserIdentityInfo;
  /** Use the endpoint with this policy and mode (as a configured server says), else choose. */
  security?: { policy: string; mode: string };
}

/** The short name of a SecurityPolicy URI, e.g. "Basic256Sha256" (None for an empty URI). */
export function policyName(uri: string | null | undefined): string {
  if (!uri) return "None";
  return uri.slice(uri.lastIndexOf("#") + 1);
}

export function modeName(mode: MessageSecurityMode): string {
  return MessageSecurityMode[mode] ?? String(mode);
}

function offersAnonymous(endpoint: EndpointDescription): boolean {
  return (endpoint.userIdentityTokens ?? []).some((t) => t.tokenType === UserTokenType.Anonymous);
}

/** The endpoint a tool session uses (see the module comment); undefined when none is usable. */
export function chooseToolEndpoint(
  endpoints: readonly EndpointDescription[],
  wantsUser: boolean,
  security?: { policy: string; mode: string },
): EndpointDescription | undefined {
  if (security)
    return endpoints.find(
      (e) =>
        policyName(e.securityPolicyUri) === security.policy && modeName(e.securityMode) === security.mode,
    );
  const usable = endpoints.filter((e) => wantsUser || offersAnonymous(e));
  const none = usable.find((e) => e.securityMode === MessageSecurityMode.None);
  if (none && !wantsUser) return none;
  const secure = usable
    .filter((e) => e.securityMode !== MessageSecurityMode.None)
    .sort((a, b) => b.securityLevel - a.securityLevel);
  return secure[0] ?? none;
}

function connectionOptions(timeoutMs: number) {
  return {
    applicationName: clientApplicationName,
    endpointMustExist: false,
    keepSessionAlive: false,
    transportTimeout: timeoutMs,
    requestedSessionTimeout: 60_000,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
  };
}

/** GetEndpoints and FindServers over an unsecured channel (Part 4 §5.5.1 allows it). */
export async function readDiscoveryServices(
  url: string,
  timeoutMs = 10_000,
  pkiFolder?: string,
): Promise<{
  endpoints: EndpointDescription[];
  servers: ApplicationDescription[];
}> {
  const client = OPCUAClient.create({
    ...connectionOptions(timeoutMs),
    clientCertificateManager: await clientCertificateManager(pkiFolder),
  });
  try {
    await withTimeout(client.connect(url), timeoutMs, `cannot connect to ${url}`);
    const endpoints = await client.getEndpoints();
    const servers: ApplicationDescription[] = await client.findServers().catch(() => []);
    return { endpoints, servers };
  } catch (error) {
    throw unreachable(url, error);
  } finally {
    await client.disconnect().catch(() => undefined);
  }
}

/** Connects to `endpoint`, runs `work` in a session and closes everything, even on failure. */
export async function withToolSession<T>(
  url: string,
  endpoint: EndpointDescription,
  options: ToolSessionOptions,
  work: (session: ClientSession) => Promise<T>,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const secure = endpoint.securityMode !== MessageSecurityMode.None;
  const client = OPCUAClient.create({
    ...connectionOptions(timeoutMs),
    securityMode: endpoint.securityMode,
    securityPolicy: policyName(endpoint.securityPolicyUri) as SecurityPolicy,
    clientCertificateManager: await clientCertificateManager(options.pkiFolder),
  });
  try {
    await withTimeout(client.connect(url), timeoutMs, `cannot connect to ${url}`);
    const identity: UserIdentityInfo =
      options.identity ??
      (options.user
        ? { type: UserTokenType.UserName, userName: options.user.name, password: options.user.password }
        : { type: UserTokenType.Anonymous });
    const session = await client.createSession(identity);
    try {
      return await work(session);
    } finally {
      await session.close().catch(() => undefined);
    }
  } catch (error) {
    if (error instanceof RedundancyError) throw error;
    const hint = secure
      ? ` (over ${policyName(endpoint.securityPolicyUri)}/${modeName(endpoint.securityMode)}: is the server's certificate trusted? opcua-redundancy pki list)`
      : "";
    throw new RedundancyError("ERR_UPSTREAM_REQUEST", `no session with ${url}: ${message(error)}${hint}`, {
      cause: error,
    });
  } finally {
    await client.disconnect().catch(() => undefined);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0]! : String(error);
}

function unreachable(url: string, error: unknown): RedundancyError {
  if (error instanceof RedundancyError) return error;
  return new RedundancyError("ERR_UPSTREAM_REQUEST", `${url}: ${message(error)}`, { cause: error });
}

async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RedundancyError("ERR_REQUEST_TIMEOUT", `${what} within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
