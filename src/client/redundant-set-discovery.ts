/**
 * Following a non-transparent redundant server set (OPC UA Part 4 §6.6.2.4.5.2): from one server
 * of the set, read ServerRedundancy (RedundancySupport, ServerUriArray) and find, with the standard
 * FindServers call, where each ServerUri is served; the result is the server list of a
 * RedundantClient pair, which then fails over between them by ServiceLevel. A set of gateway
 * instances answers FindServers with every instance's server of the pair (set-member-server.ts);
 * for another vendor's set, the servers its FindServers does not know are reported as `unresolved`
 * so that the caller can configure them.
 */
import { type ApplicationDescription, AttributeIds, EnumRedundancySupport, OPCUAClient } from "node-opcua";
import type { ServerConfig } from "../config/schema.ts";
import { RedundancyError } from "../errors.ts";
import { clientApplicationName, clientCertificateManager } from "../upstream/client-pki.ts";
import { upstreamClientSecurity, upstreamUserIdentity } from "../upstream/security-options.ts";

export interface RedundantSetDiscovery {
  /** RedundancySupport as named by Part 5 (None, Cold, Warm, Hot, Transparent, HotAndMirrored). */
  support: string;
  /** ServerUriArray in the order the server gives it. */
  serverUris: string[];
  /** One server per resolved ServerUri, in ServerUriArray order, with the first endpoint URL found. */
  servers: { applicationUri: string; url: string }[];
  /** ServerUris that FindServers did not resolve. */
  unresolved: string[];
}

/**
 * Reads the set `server` belongs to. The connection uses `server`'s security and user (anonymous
 * and None when it names none); it fails with ERR_UPSTREAM_REQUEST when the server cannot be
 * reached or is not part of a non-transparent set.
 */
export async function discoverRedundantSet(
  server: Pick<ServerConfig, "url" | "security" | "user">,
  options: { timeoutMs?: number; pkiFolder?: string } = {},
): Promise<RedundantSetDiscovery> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const client = OPCUAClient.create({
    applicationName: clientApplicationName,
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 100 },
    requestedSessionTimeout: Math.max(timeoutMs * 2, 10_000),
    clientCertificateManager: await clientCertificateManager(options.pkiFolder),
    ...upstreamClientSecurity(server.security),
  });
  const timer = setTimeout(() => void client.disconnect().catch(() => undefined), timeoutMs);
  try {
    await client.connect(server.url);
    const session = await client.createSession(await upstreamUserIdentity(server.user));
    try {
      const [support, uris] = await session.read([
        { nodeId: "i=3709", attributeId: AttributeIds.Value },
        { nodeId: "i=11314", attributeId: AttributeIds.Value },
      ]);
      const supportName = EnumRedundancySupport[support?.value.value as number] ?? "None";
      const serverUris = (uris?.statusCode.isGood() ? (uris.value.value as string[] | null) : null) ?? [];
      if (serverUris.length === 0 || supportName === "None" || supportName === "Transparent")
        throw new RedundancyError(
          "ERR_UPSTREAM_REQUEST",
          `${server.url} is not a server of a non-transparent redundant set (RedundancySupport ${supportName}, ${serverUris.length} ServerUri(s))`,
        );
      const found: ApplicationDescription[] = await client.findServers({ serverUris });
      const servers: RedundantSetDiscovery["servers"] = [];
      const unresolved: string[] = [];
      for (const uri of serverUris) {
        const url = found.find((s) => s.applicationUri === uri)?.discoveryUrls?.find((u) => !!u);
        if (url) servers.push({ applicationUri: uri, url });
        else unresolved.push(uri);
      }
      return { support: supportName, serverUris, servers, unresolved };
    } finally {
      await session.close().catch(() => undefined);
    }
  } catch (error) {
    if (error instanceof RedundancyError) throw error;
    throw new RedundancyError(
      "ERR_UPSTREAM_REQUEST",
      `cannot read the redundant set of ${server.url}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
    await client.disconnect().catch(() => undefined);
  }
}
