/**
 * Redundancy nodes of a gateway instance that is one of a non-transparent redundant set of
 * instances (issue 19; OPC UA Part 4 §6.6.2.4.5.2, Part 5 §6.3.7-6.3.9).
 *
 * Two sets are stacked and both must stay visible:
 * - downstream, the gateway instances: Server.ServerRedundancy (i=2296) is a
 *   NonTransparentRedundancyType with RedundancySupport = Hot and ServerUriArray = the
 *   ApplicationUris of every instance's server for this pair (preference order); Server.ServiceLevel
 *   ranks this instance (instance-service-level.ts). This is what redundancy-aware clients read.
 * - upstream, the pair's servers, which the gateway still serves as one transparent server: the
 *   object `<pair>.UpstreamRedundancy` in the gateway's namespace, a TransparentRedundancyType with
 *   RedundancySupport = Transparent, CurrentServerId = the active upstream, RedundantServerArray =
 *   every upstream with its ServiceLevel and ServerState, plus the pair's own ServiceLevel (what i=2267
 *   shows without a set) — for operators and their dashboards.
 * The standard RedundantServerArray (i=11313) stays empty: the instances share no state, so one
 * cannot know the other's ServiceLevel; clients read each instance's own ServiceLevel.
 */
import {
  type AddressSpace,
  DataType,
  EnumRedundancySupport,
  type Namespace,
  NodeClass,
  RedundantServerDataType,
  resolveNodeId,
  type UAObject,
  type UAVariable,
  Variant,
  VariantArrayType,
} from "node-opcua";
import { RedundancyError } from "../errors.ts";
import { COMPUTED_SAMPLING_MS, upstreamView } from "./diagnostics-nodes.ts";
import type { PairControl } from "./pair-engine.ts";
import type { PairSetView } from "./redundant-set.ts";
import { pairServiceLevel } from "./service-level.ts";

const SERVER_REDUNDANCY = "i=2296";
const REDUNDANCY_SUPPORT = "i=3709";
const SERVER_URI_ARRAY = "i=11314";
const SERVER_REDUNDANCY_TYPE = "i=2034";
const NON_TRANSPARENT_REDUNDANCY_TYPE = "i=2039";

/** RedundantServerArray of the upstream pair: every upstream server with its ServiceLevel and ServerState. */
export function redundantServers(client: PairControl): Variant {
  return new Variant({
    dataType: DataType.ExtensionObject,
    arrayType: VariantArrayType.Array,
    value: client.status().servers.map((s) => {
      const view = upstreamView(s);
      return new RedundantServerDataType({
        serverId: s.url,
        serviceLevel: view.serviceLevel,
        serverState: view.serverState,
      });
    }),
  });
}

/** Moves `node`'s HasTypeDefinition from `from` to `to` (node-opcua caches it: the calls clear it). */
export function setTypeDefinition(node: UAObject, from: string, to: string): void {
  if (node.typeDefinition.toString() !== resolveNodeId(from).toString()) return;
  node.removeReference({ referenceType: "HasTypeDefinition", isForward: true, nodeId: from });
  node.addReference({ referenceType: "HasTypeDefinition", isForward: true, nodeId: to });
}

/** i=2296 as a NonTransparentRedundancyType of the instances (RedundancySupport Hot, ServerUriArray). */
export function presentNonTransparentSet(addressSpace: AddressSpace, view: PairSetView): { dispose(): void } {
  const serverRedundancy = addressSpace.findNode(SERVER_REDUNDANCY) as UAObject | null;
  const support = addressSpace.findNode(REDUNDANCY_SUPPORT) as UAVariable | null;
  const uris = addressSpace.findNode(SERVER_URI_ARRAY) as UAVariable | null;
  if (!serverRedundancy || !support || !uris)
    throw new RedundancyError(
      "ERR_INVALID_ARGUMENT",
      "the address space has no Server.ServerRedundancy with ServerUriArray",
    );
  setTypeDefinition(serverRedundancy, SERVER_REDUNDANCY_TYPE, NON_TRANSPARENT_REDUNDANCY_TYPE);
  support.setValueFromSource({ dataType: DataType.Int32, value: EnumRedundancySupport.Hot });
  uris.setValueFromSource({
    dataType: DataType.String,
    arrayType: VariantArrayType.Array,
    value: view.members.map((m) => m.applicationUri),
  });
  return {
    dispose() {
      uris.setValueFromSource({ dataType: DataType.String, arrayType: VariantArrayType.Array, value: [] });
      support.setValueFromSource({ dataType: DataType.Int32, value: EnumRedundancySupport.None });
      setTypeDefinition(serverRedundancy, NON_TRANSPARENT_REDUNDANCY_TYPE, SERVER_REDUNDANCY_TYPE);
    },
  };
}

/**
 * `<pair>.UpstreamRedundancy` (TransparentRedundancyType) under the pair object of the gateway's
 * namespace (installPairNodes must have made it), plus its ServiceLevel.
 */
export function installUpstreamRedundancy(
  namespace: Namespace,
  client: PairControl,
  pairName: string,
): { dispose(): void } {
  const addressSpace = namespace.addressSpace;
  const pair = addressSpace.findNode(`ns=${namespace.index};s=${pairName}`) as UAObject | null;
  const type = addressSpace.findObjectType("TransparentRedundancyType");
  if (!pair || !type)
    throw new RedundancyError(
      "ERR_INVALID_ARGUMENT",
      `no pair object ${pairName} to add UpstreamRedundancy to`,
    );
  const object = type.instantiate({
    browseName: "UpstreamRedundancy",
    namespace,
    nodeId: `ns=${namespace.index};s=${pairName}.UpstreamRedundancy`,
    description: "The pair's upstream servers, served by this gateway instance as one transparent server",
    componentOf: pair,
  });
  const bind = (name: string, get: () => Variant) => {
    const node = object.getPropertyByName(name) ?? object.getComponentByName(name);
    if (node?.nodeClass !== NodeClass.Variable)
      throw new RedundancyError("ERR_INVALID_ARGUMENT", `TransparentRedundancyType has no ${name}`);
    const variable = node as UAVariable;
    variable.minimumSamplingInterval = COMPUTED_SAMPLING_MS;
    variable.bindVariable({ get }, true);
  };
  bind(
    "RedundancySupport",
    () => new Variant({ dataType: DataType.Int32, value: EnumRedundancySupport.Transparent }),
  );
  bind(
    "CurrentServerId",
    () => new Variant({ dataType: DataType.String, value: client.status().active ?? "" }),
  );
  bind("RedundantServerArray", () => redundantServers(client));
  const level = namespace.addVariable({
    nodeId: `s=${pairName}.UpstreamRedundancy.ServiceLevel`,
    browseName: "ServiceLevel",
    description: "The pair's ServiceLevel as one transparent server: the active upstream's, 1 while none",
    componentOf: object,
    dataType: DataType.Byte,
    minimumSamplingInterval: COMPUTED_SAMPLING_MS,
    accessLevel: "CurrentRead",
    userAccessLevel: "CurrentRead",
  });
  level.bindVariable(
    { get: () => new Variant({ dataType: DataType.Byte, value: pairServiceLevel(client.status()) }) },
    true,
  );
  return { dispose: () => addressSpace.deleteNode(object) };
}
