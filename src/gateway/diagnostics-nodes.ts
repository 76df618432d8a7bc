/**
 * The gateway's own nodes for one pair (DESIGN §5): an object `<pairName>` under Objects with the
 * pair's live state, one child object per upstream server, and a ForceFailover method.
 *
 * Values are computed from `client.status()` on every read (bindVariable get), so they are always
 * current; a MinimumSamplingInterval makes subscriptions poll them (a getter-bound variable with
 * MinimumSamplingInterval 0 would be exception-based and never report a change).
 */
import {
  DataType,
  type MethodResult,
  type Namespace,
  type NodeId,
  ServerState,
  StatusCodes,
  type UAObject,
  type UAVariable,
  Variant,
} from "node-opcua";
import type { PairStatus, ServerStatus } from "../client/types.ts";
import { RedundancyError } from "../errors.ts";
import type { PairControl } from "./pair-engine.ts";

/** How often a subscription re-reads a computed variable (ms). */
export const COMPUTED_SAMPLING_MS = 250;

/** What the gateway tells downstream clients about one upstream server. */
export interface UpstreamView {
  /** 0 while the server is not connected (its last known level is stale). */
  serviceLevel: number;
  serverState: ServerState;
}

/**
 * A connected server shows its own ServiceLevel (255 when it reports none, as in service-level.ts)
 * and ServerState; a lost one CommunicationFault, one not (yet) connected Unknown, both level 0.
 */
export function upstreamView(server: ServerStatus): UpstreamView {
  if (server.state === "lost") return { serviceLevel: 0, serverState: ServerState.CommunicationFault };
  if (server.state !== "connected") return { serviceLevel: 0, serverState: ServerState.Unknown };
  const named =
    server.serverState === null ? undefined : ServerState[server.serverState as keyof typeof ServerState];
  return {
    serviceLevel: server.serviceLevel ?? 255,
    serverState: typeof named === "number" ? named : ServerState.Unknown,
  };
}

/** A RedundancyError from client.failover() as the Call's StatusCode. */
export function failoverStatus(error: unknown) {
  if (error instanceof RedundancyError && error.code === "ERR_FAILOVER_REFUSED")
    return StatusCodes.BadInvalidState;
  if (error instanceof RedundancyError && error.code === "ERR_INVALID_ARGUMENT")
    return StatusCodes.BadInvalidArgument;
  return StatusCodes.BadInternalError;
}

interface Installed {
  dispose(): void;
}

/** Adds the pair object `<pairName>` (NodeIds `s=<pairName>…`) to `namespace` under Objects. */
export function installPairNodes(namespace: Namespace, client: PairControl, pairName: string): Installed {
  const addressSpace = namespace.addressSpace;
  const pair = namespace.addObject({
    nodeId: `s=${pairName}`,
    browseName: pairName,
    displayName: pairName,
    description: `Redundant pair ${pairName}: the upstream servers the gateway serves as one`,
    organizedBy: addressSpace.rootFolder.objects,
  });
  const variable = computedVariables(namespace, client);
  variable(pair, "ActiveServer", DataType.String, (s) => s.active ?? "");
  variable(pair, "Mode", DataType.String, (s) => s.mode);
  variable(pair, "State", DataType.String, (s) => s.state);
  variable(pair, "FailoverCount", DataType.UInt32, (s) => s.failovers);
  variable(pair, "LastFailoverTime", DataType.DateTime, (s) => s.lastFailover?.at ?? null);
  variable(pair, "LastFailoverReason", DataType.String, (s) => s.lastFailover?.reason ?? "");

  client.status().servers.forEach((_, index) => {
    const name = `Server${index + 1}`;
    const server = namespace.addObject({
      nodeId: `s=${pairName}.${name}`,
      browseName: name,
      componentOf: pair,
    });
    // A server is found by its index: the pair's server list is fixed for the client's lifetime.
    const at = (s: PairStatus) => s.servers[index]!;
    variable(server, "Url", DataType.String, (s) => at(s).url);
    variable(server, "State", DataType.String, (s) => at(s).state);
    variable(server, "ServiceLevel", DataType.Byte, (s) => upstreamView(at(s)).serviceLevel);
    variable(server, "ServerState", DataType.String, (s) => ServerState[upstreamView(at(s)).serverState]);
  });

  addForceFailover(namespace, pair, client);
  return { dispose: () => addressSpace.deleteNode(pair) };
}

type Getter = (status: PairStatus) => unknown;

/** A factory for read-only variables `s=<parent>.<name>` whose value is `get(client.status())`. */
function computedVariables(namespace: Namespace, client: PairControl) {
  return (parent: UAObject, name: string, dataType: DataType, get: Getter): UAVariable => {
    const node = namespace.addVariable({
      nodeId: `s=${nodeIdName(parent.nodeId)}.${name}`,
      browseName: name,
      componentOf: parent,
      dataType,
      minimumSamplingInterval: COMPUTED_SAMPLING_MS,
      accessLevel: "CurrentRead",
      userAccessLevel: "CurrentRead",
    });
    node.bindVariable({ get: () => new Variant({ dataType, value: get(client.status()) }) }, true);
    return node;
  };
}

function nodeIdName(nodeId: NodeId): string {
  return String(nodeId.value);
}

/**
 * ForceFailover(Target: String) → Message: String. OPC UA has no optional arguments, so "optional"
 * means an empty Target: the best other server. The Message says what happened (also on Bad, where
 * clients that ignore output arguments still get the StatusCode).
 */
function addForceFailover(namespace: Namespace, pair: UAObject, client: PairControl): void {
  const method = namespace.addMethod(pair, {
    nodeId: `s=${nodeIdName(pair.nodeId)}.ForceFailover`,
    browseName: "ForceFailover",
    description: "Switch to Target (a server URL), or to the best other server when Target is empty",
    inputArguments: [
      {
        name: "Target",
        description: { text: "URL of the server to switch to; empty: the best other server" },
        dataType: DataType.String,
      },
    ],
    outputArguments: [{ name: "Message", description: { text: "What happened" }, dataType: DataType.String }],
  });
  // Two parameters: node-opcua tells a promise-returning implementation from a callback one by arity.
  const call = async (inputArguments: Variant[], _context: unknown): Promise<MethodResult> => {
    const target = inputArguments[0]?.value;
    const message = (text: string) => [new Variant({ dataType: DataType.String, value: text })];
    try {
      client.failover(typeof target === "string" && target !== "" ? target : undefined);
      return {
        statusCode: StatusCodes.Good,
        outputArguments: message(`active: ${client.status().active ?? ""}`),
      };
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      return { statusCode: failoverStatus(error), outputArguments: message(text) };
    }
  };
  method.bindMethod(call);
}
