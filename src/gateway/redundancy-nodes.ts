/**
 * The gateway as a transparent redundant server (OPC UA Part 4 §6.6.2.4.5, Part 5 §6.3.7-6.3.9):
 * Server.ServerRedundancy (i=2296) becomes a TransparentRedundancyType object with
 * RedundancySupport = Transparent, CurrentServerId = the active upstream's URL and
 * RedundantServerArray = every upstream server with its ServiceLevel and ServerState. Plus the
 * pair's own nodes (diagnostics-nodes.ts) in the gateway's namespace `urn:opcua-redundancy:<pair>`.
 *
 * The standard address space makes i=2296 a ServerRedundancyType with RedundancySupport (i=3709,
 * None) and, since 1.05, RedundantServerArray (i=11313). CurrentServerId has no standard NodeId on
 * the Server object: it is added in the gateway's namespace with the standard BrowseName
 * (0:CurrentServerId) and HasProperty, and the HasTypeDefinition is moved to
 * TransparentRedundancyType (i=2036), so that a client browsing i=2296 finds what Part 5 declares.
 */
import {
  type AddressSpace,
  DataType,
  EnumRedundancySupport,
  type Namespace,
  type OPCUAServer,
  type UAObject,
  type UAVariable,
  Variant,
  VariantArrayType,
} from "node-opcua";
import { RedundancyError } from "../errors.ts";
import { COMPUTED_SAMPLING_MS, installPairNodes } from "./diagnostics-nodes.ts";
import type { PairControl } from "./pair-engine.ts";
import type { PairSetView } from "./redundant-set.ts";
import {
  installUpstreamRedundancy,
  presentNonTransparentSet,
  redundantServers,
  setTypeDefinition,
} from "./set-redundancy-nodes.ts";

/** This instance's redundant set for the pair (issue 19). */
export interface InstanceSet {
  view: PairSetView;
}

const SERVER_REDUNDANCY = "i=2296";
const REDUNDANCY_SUPPORT = "i=3709";
const REDUNDANT_SERVER_ARRAY = "i=11313";
const SERVER_REDUNDANCY_TYPE = "i=2034";
const TRANSPARENT_REDUNDANCY_TYPE = "i=2036";

/** The gateway's own namespace for `pairName`. */
export function gatewayNamespaceUri(pairName: string): string {
  return `urn:opcua-redundancy:${pairName}`;
}

/**
 * Registers the gateway's namespace (call after the mirrored namespaces, so that it comes last in
 * the NamespaceArray), presents the server as transparently redundant and adds the pair's nodes.
 * dispose() removes the nodes and gives i=2296 back its standard shape.
 */
export function installRedundancyNodes(
  server: OPCUAServer,
  client: PairControl,
  pairName: string,
  set?: InstanceSet,
): { dispose(): void } {
  const addressSpace = server.engine.addressSpace;
  if (!addressSpace)
    throw new RedundancyError(
      "ERR_INVALID_ARGUMENT",
      "installRedundancyNodes: the server is not initialized",
    );
  const namespace = addressSpace.registerNamespace(gatewayNamespaceUri(pairName));
  // In a set of gateway instances (issue 19), i=2296 describes the set of instances and the
  // upstream pair's transparent view moves to <pair>.UpstreamRedundancy (set-redundancy-nodes.ts).
  const presented = set
    ? presentNonTransparentSet(addressSpace, set.view)
    : presentTransparentRedundancy(addressSpace, namespace, client);
  const parts: { dispose(): void }[] = [presented];
  try {
    parts.unshift(installPairNodes(namespace, client, pairName));
    if (set) parts.unshift(installUpstreamRedundancy(namespace, client, pairName));
  } catch (error) {
    for (const part of parts) part.dispose();
    throw error;
  }
  let disposed = false;
  return {
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const part of parts) part.dispose();
    },
  };
}

function presentTransparentRedundancy(
  addressSpace: AddressSpace,
  namespace: Namespace,
  client: PairControl,
): { dispose(): void } {
  const serverRedundancy = addressSpace.findNode(SERVER_REDUNDANCY) as UAObject | null;
  const support = addressSpace.findNode(REDUNDANCY_SUPPORT) as UAVariable | null;
  if (!serverRedundancy || !support)
    throw new RedundancyError("ERR_INVALID_ARGUMENT", "the address space has no Server.ServerRedundancy");

  setTypeDefinition(serverRedundancy, SERVER_REDUNDANCY_TYPE, TRANSPARENT_REDUNDANCY_TYPE);
  support.setValueFromSource({ dataType: DataType.Int32, value: EnumRedundancySupport.Transparent });

  // Part 4 §6.6.2.4.5: "the ServerUri of the Server that is currently handling the Session"; the
  // sessions are really served by the active upstream, so its URL ("" while none is active).
  const currentServerId = namespace.addVariable({
    nodeId: "s=ServerRedundancy.CurrentServerId",
    browseName: { name: "CurrentServerId", namespaceIndex: 0 },
    propertyOf: serverRedundancy,
    typeDefinition: "PropertyType",
    dataType: DataType.String,
    minimumSamplingInterval: COMPUTED_SAMPLING_MS,
    accessLevel: "CurrentRead",
    userAccessLevel: "CurrentRead",
  });
  currentServerId.bindVariable(
    { get: () => new Variant({ dataType: DataType.String, value: client.status().active ?? "" }) },
    true,
  );

  const servers = redundantServerArray(addressSpace, namespace, serverRedundancy);
  const previousSampling = servers.node.minimumSamplingInterval;
  servers.node.minimumSamplingInterval = COMPUTED_SAMPLING_MS;
  servers.node.bindVariable({ get: () => redundantServers(client) }, true);

  return {
    dispose() {
      addressSpace.deleteNode(currentServerId);
      if (servers.added) addressSpace.deleteNode(servers.node);
      else {
        servers.node.minimumSamplingInterval = previousSampling;
        // Overwriting the binding with a plain value drops the getter (and with it the client).
        servers.node.bindVariable(
          { dataType: DataType.ExtensionObject, arrayType: VariantArrayType.Array, value: [] },
          true,
        );
      }
      support.setValueFromSource({ dataType: DataType.Int32, value: EnumRedundancySupport.None });
      setTypeDefinition(serverRedundancy, TRANSPARENT_REDUNDANCY_TYPE, SERVER_REDUNDANCY_TYPE);
    },
  };
}

/** The standard i=11313, or (a pre-1.05 nodeset) one added like CurrentServerId. */
function redundantServerArray(addressSpace: AddressSpace, namespace: Namespace, parent: UAObject) {
  const standard = addressSpace.findNode(REDUNDANT_SERVER_ARRAY) as UAVariable | null;
  if (standard) return { node: standard, added: false };
  const node = namespace.addVariable({
    nodeId: "s=ServerRedundancy.RedundantServerArray",
    browseName: { name: "RedundantServerArray", namespaceIndex: 0 },
    propertyOf: parent,
    typeDefinition: "PropertyType",
    dataType: "RedundantServerDataType",
    valueRank: 1,
    arrayDimensions: [0],
  });
  return { node, added: true };
}
