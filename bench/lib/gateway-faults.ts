/**
 * The faults of the primary injected in the gateway failover benchmark (issue 6): the same kinds
 * as the library's failover tests, applied to the gateway rig (simulator processes behind fault
 * proxies), plus a Counter quality drop that only a `badQuality` monitor turns into a failover.
 */
import type { PairConfigInput } from "../../src/config/schema.ts";
import type { GatewayRig } from "../../test/helpers/gateway-rig.ts";
import { DataType, writeDirect } from "../../test/helpers/opcua.ts";
import { BenchError } from "./bench-error.ts";

export interface GatewayFault {
  /** Stable name: the JSON file's key and the value of `--fault`. */
  name: string;
  /** How the report describes it. */
  label: string;
  /**
   * Whether the fault is a write to the primary over a fresh session: its fault time is the moment
   * the simulator logged the write, not the call of inject() (connect + session take a while).
   */
  writes: boolean;
  /** Pair settings the fault needs (a monitor for the quality drop). */
  pairExtra?: Partial<PairConfigInput>;
  inject(rig: GatewayRig): Promise<void> | void;
}

async function writeGood(rig: GatewayRig, nodeId: string, dataType: DataType, value: unknown): Promise<void> {
  const status = await writeDirect(rig.sims[0]!.endpointUrl, nodeId, dataType, value);
  if (status !== "Good") throw new BenchError("BENCH_FAULT_WRITE", `write of ${nodeId} answered ${status}`);
}

export const GATEWAY_FAULTS: readonly GatewayFault[] = [
  { name: "sigkill", label: "SIGKILL", writes: false, inject: (rig) => rig.sims[0]!.kill() },
  { name: "sigstop", label: "SIGSTOP (frozen)", writes: false, inject: (rig) => rig.sims[0]!.freeze() },
  {
    name: "blackhole",
    label: "network blackhole",
    writes: false,
    inject: (rig) => rig.proxies[0]!.setMode("blackhole"),
  },
  {
    name: "reset",
    label: "connection reset",
    writes: false,
    inject: (rig) => rig.proxies[0]!.setMode("reset"),
  },
  {
    name: "shutdown",
    label: "graceful shutdown (SIGTERM)",
    writes: false,
    // The simulator announces ServerState Shutdown for 2 s before it closes: do not wait for it.
    inject: (rig) => {
      void rig.sims[0]!.terminate();
    },
  },
  {
    name: "servicelevel",
    label: "ServiceLevel drop to 150",
    writes: true,
    inject: (rig) => writeGood(rig, "ns=1;s=ServiceLevel", DataType.Byte, 150),
  },
  {
    name: "quality",
    label: "Quality false (badQuality monitor)",
    writes: true,
    pairExtra: { monitors: [{ nodeId: "ns=1;s=Counter", badQuality: true }] },
    inject: (rig) => writeGood(rig, "ns=1;s=Quality", DataType.Boolean, false),
  },
];

/** `--quick`: the two faults that bound the range (an instant one and a silent one). */
export const QUICK_FAULT_NAMES: readonly string[] = ["sigkill", "blackhole"];

export function faultByName(name: string): GatewayFault | undefined {
  return GATEWAY_FAULTS.find((f) => f.name === name.toLowerCase());
}
