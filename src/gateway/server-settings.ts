import { hostname } from "node:os";
import { adjustLimitsWithParameters, type IHelloAckLimits } from "node-opcua";
import type { PairConfig } from "../config/schema.ts";

/**
 * OPCUAServer settings sized for a gateway and capped by the pair's `limits` (node-opcua's default
 * is 10 sessions): what one broken or hostile client may ask stays bounded, and every refusal is an
 * OPC UA Bad status (BadTooManySessions, BadTooManySubscriptions, BadTooManyMonitoredItems,
 * BadTooManyOperations, BadRequestTooLarge), never a crash. Security settings: src/security.
 */
export function gatewayServerSettings(pair: PairConfig, applicationUri?: string) {
  const limits = pair.limits;
  const perRequest = limits.maxNodesPerRequest;
  return {
    maxConnectionsPerEndpoint: limits.maxConnections,
    /** Sessions per remote address (src/security/session-quota.ts). */
    maxSessionsPerClient: limits.maxSessionsPerClient,
    serverCapabilities: {
      maxSessions: limits.maxSessions,
      maxSubscriptions: limits.maxSessions * limits.maxSubscriptionsPerSession,
      maxMonitoredItems: limits.maxMonitoredItems,
      maxSubscriptionsPerSession: limits.maxSubscriptionsPerSession,
      maxMonitoredItemsPerSubscription: limits.maxMonitoredItemsPerSubscription,
      minSupportedSampleRate: 0,
      operationLimits: {
        maxNodesPerRead: perRequest,
        maxNodesPerWrite: perRequest,
        maxNodesPerBrowse: perRequest,
        maxNodesPerMethodCall: perRequest,
        maxMonitoredItemsPerCall: perRequest,
        maxNodesPerRegisterNodes: perRequest,
        maxNodesPerTranslateBrowsePathsToNodeIds: perRequest,
        maxNodesPerHistoryReadData: perRequest,
      },
    },
    transportSettings: { adjustTransportLimits: messageSizeLimit(limits.maxMessageSize) },
    serverInfo: {
      // In a set of gateway instances, the configured one (its entry in the peers' ServerUriArray).
      applicationUri: applicationUri ?? `urn:${hostname()}:opcua-redundancy:${pair.name}`,
      productUri: "urn:opcua-redundancy:gateway",
      applicationName: { text: `opcua-redundancy ${pair.name}`, locale: "en" },
    },
    buildInfo: { productName: "opcua-redundancy", manufacturerName: "opcua-redundancy" },
  };
}

/** Caps the message size (and so the chunk count) negotiated in the Hello/Acknowledge exchange. */
function messageSizeLimit(maxMessageSize: number) {
  return (hello: IHelloAckLimits): IHelloAckLimits => {
    const adjusted = adjustLimitsWithParameters(hello, {
      minBufferSize: 8192,
      maxBufferSize: 64 * 1024,
      minMaxMessageSize: 128 * 1024,
      defaultMaxMessageSize: maxMessageSize,
      maxMaxMessageSize: maxMessageSize,
      minMaxChunkCount: 1,
      defaultMaxChunkCount: Math.ceil(maxMessageSize / 8192),
      maxMaxChunkCount: Math.ceil(maxMessageSize / 8192),
    });
    return adjusted;
  };
}
