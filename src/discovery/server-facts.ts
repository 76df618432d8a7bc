/**
 * What a session reads from a server for `discover`: state, ServiceLevel, its own redundancy
 * information (Part 5 §6.3.7 ServerRedundancyType: RedundancySupport; ServerUriArray of the
 * non-transparent types, RedundantServerArray of the transparent one), NamespaceArray and the
 * operation limits it states.
 */
import {
  AttributeIds,
  BrowseDirection,
  type ClientSession,
  type DataValue,
  ObjectIds,
  EnumRedundancySupport as RedundancySupport,
  ServerState,
  VariableIds,
} from "node-opcua";

export interface RedundantServerFact {
  serverId: string;
  serviceLevel: number;
  serverState: string;
}

export interface ServerFacts {
  serverState: string | null;
  serviceLevel: number | null;
  redundancySupport: string | null;
  /** Non-transparent redundancy: the ApplicationUris of the set's servers. */
  serverUriArray: string[];
  /** Transparent redundancy: the servers behind this one. */
  redundantServerArray: RedundantServerFact[];
  namespaceArray: string[];
  /** OperationLimits properties the server states (0 = no limit), by browse name. */
  operationLimits: Record<string, number>;
}

function good(value: DataValue | undefined): unknown {
  return value?.statusCode.isGood() ? value.value.value : undefined;
}

async function readOperationLimits(session: ClientSession): Promise<Record<string, number>> {
  const browsed = await session.browse({
    nodeId: `ns=0;i=${ObjectIds.Server_ServerCapabilities_OperationLimits}`,
    browseDirection: BrowseDirection.Forward,
    referenceTypeId: "HasProperty",
    resultMask: 63,
  });
  const refs = browsed.references ?? [];
  if (refs.length === 0) return {};
  const values = await session.read(refs.map((r) => ({ nodeId: r.nodeId, attributeId: AttributeIds.Value })));
  const limits: Record<string, number> = {};
  refs.forEach((ref, i) => {
    const value = good(values[i]);
    if (typeof value === "number") limits[ref.browseName.name ?? String(ref.nodeId)] = value;
  });
  return limits;
}

export async function readServerFacts(session: ClientSession): Promise<ServerFacts> {
  const ids = [
    VariableIds.Server_ServerStatus_State,
    VariableIds.Server_ServiceLevel,
    VariableIds.Server_ServerRedundancy_RedundancySupport,
    VariableIds.Server_ServerRedundancy_ServerUriArray,
    VariableIds.Server_ServerRedundancy_RedundantServerArray,
    VariableIds.Server_NamespaceArray,
  ];
  const values = await session.read(
    ids.map((id) => ({ nodeId: `ns=0;i=${id}`, attributeId: AttributeIds.Value })),
  );
  const [state, level, support, uris, redundant, namespaces] = values.map(good);
  return {
    serverState: typeof state === "number" ? (ServerState[state] ?? String(state)) : null,
    serviceLevel: typeof level === "number" ? level : null,
    redundancySupport: typeof support === "number" ? (RedundancySupport[support] ?? String(support)) : null,
    serverUriArray: Array.isArray(uris) ? uris.map(String) : [],
    redundantServerArray: Array.isArray(redundant)
      ? redundant.map((r: { serverId?: string; serviceLevel?: number; serverState?: number }) => ({
          serverId: String(r.serverId ?? ""),
          serviceLevel: Number(r.serviceLevel ?? 0),
          serverState: ServerState[r.serverState ?? ServerState.Unknown] ?? String(r.serverState),
        }))
      : [],
    namespaceArray: Array.isArray(namespaces) ? namespaces.map(String) : [],
    operationLimits: await readOperationLimits(session).catch(() => ({})),
  };
}
