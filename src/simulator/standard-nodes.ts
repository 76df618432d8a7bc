/**
 * The standard nodes a redundancy client watches, driven by the simulator:
 * Server.ServiceLevel (i=2267) and Server.ServerStatus.State (i=2259).
 *
 * node-opcua binds i=2267 to a getter that always returns 255; the simulator rebinds it to its own
 * level and also stores each change with setValueFromSource, so that exception-based subscribers
 * (samplingInterval 0) are notified at once and sampling subscribers read the new level.
 * ServerEngine.setServerState stores the state into i=2259 the same way.
 */
import {
  DataType,
  type ServerEngine,
  ServerState,
  StatusCodes,
  type UAVariable,
  VariableIds,
  Variant,
} from "node-opcua";
import { RedundancyError } from "../errors.ts";

export interface StandardNodes {
  setServiceLevel(level: number): void;
  setServerState(state: ServerState): void;
}

export function bindStandardNodes(engine: ServerEngine, initialServiceLevel: number): StandardNodes {
  const serviceLevelNode = engine.addressSpace?.findNode(
    `i=${VariableIds.Server_ServiceLevel}`,
  ) as UAVariable | null;
  if (!serviceLevelNode) {
    throw new RedundancyError(
      "ERR_SIMULATOR",
      "simulator: the address space has no Server.ServiceLevel node",
    );
  }
  let level = initialServiceLevel;
  serviceLevelNode.bindVariable({ get: () => new Variant({ dataType: DataType.Byte, value: level }) }, true);
  // let a subscriber that asks for samplingInterval 0 be notified on change instead of sampled
  serviceLevelNode.minimumSamplingInterval = 0;

  return {
    setServiceLevel(newLevel: number): void {
      level = newLevel;
      serviceLevelNode.setValueFromSource(
        { dataType: DataType.Byte, value: newLevel },
        StatusCodes.Good,
        new Date(),
      );
    },
    setServerState(state: ServerState): void {
      if (!(state in ServerState)) {
        throw new RedundancyError("ERR_INVALID_ARGUMENT", `simulator: not a ServerState: ${String(state)}`);
      }
      engine.setServerState(state);
    },
  };
}
