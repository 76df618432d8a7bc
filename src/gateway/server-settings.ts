import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { MessageSecurityMode, OPCUACertificateManager, SecurityPolicy } from "node-opcua";
import { defaultPkiFolder } from "../upstream/client-pki.ts";

/**
 * OPCUAServer settings sized for a gateway: many sessions, subscriptions and monitored items
 * (node-opcua's default is 10 sessions). Security policies and users come with the security release;
 * until then the endpoint offers SecurityPolicy None with anonymous access.
 */
export function gatewayServerSettings(pairName: string) {
  return {
    maxConnectionsPerEndpoint: 500,
    maxAllowedSessionNumber: 500,
    serverCapabilities: {
      maxSessions: 500,
      maxSubscriptions: 5000,
      maxMonitoredItems: 1_000_000,
      maxSubscriptionsPerSession: 100,
      maxMonitoredItemsPerSubscription: 100_000,
      minSupportedSampleRate: 0,
      operationLimits: { maxNodesPerRead: 10_000, maxNodesPerWrite: 10_000, maxNodesPerBrowse: 10_000 },
    },
    securityPolicies: [SecurityPolicy.None],
    securityModes: [MessageSecurityMode.None],
    allowAnonymous: true,
    serverInfo: {
      applicationUri: `urn:${hostname()}:opcua-redundancy:${pairName}`,
      productUri: "urn:opcua-redundancy:gateway",
      applicationName: { text: `opcua-redundancy ${pairName}`, locale: "en" },
    },
    buildInfo: { productName: "opcua-redundancy", manufacturerName: "opcua-redundancy" },
  };
}

/**
 * Each pair's server has its own certificate (its application URI names the pair), in
 * `<pki>/../server/<pair>` beside the upstream client's PKI.
 */
export function serverCertificateManagers(pairName: string) {
  const root = join(dirname(defaultPkiFolder()), "server", pairName);
  const common = { automaticallyAcceptUnknownCertificate: true } as const;
  return {
    serverCertificateManager: new OPCUACertificateManager({
      ...common,
      rootFolder: join(root, "PKI"),
      name: "PKI",
    }),
    userCertificateManager: new OPCUACertificateManager({
      ...common,
      rootFolder: join(root, "UserPKI"),
      name: "UserPKI",
    }),
  };
}
