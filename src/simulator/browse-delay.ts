/**
 * A server slow to browse, for tests of clients that crawl its address space: every Browse and
 * BrowseNext is answered `ns=1;s=BrowseDelayMs` milliseconds late (UInt32, writable at run time;
 * 0 = at once). Reads, subscriptions and everything else are served as usual, so that a client's
 * health checks see a server that is up while its crawl's requests miss their deadline.
 */
import { type AddressSpace, DataType, type OPCUAServer, StatusCodes, Variant } from "node-opcua";
import { delayBrowseRequests } from "../node-opcua-private.ts";

/** Largest delay accepted (ms): a request is never held longer than a minute. */
const MAX_BROWSE_DELAY_MS = 60_000;

export function bindBrowseDelay(
  server: OPCUAServer,
  addressSpace: AddressSpace,
  initialMs: number,
  onWrite: (write: { nodeId: string; value: unknown }) => void,
): void {
  let delayMs = initialMs;
  delayBrowseRequests(server, () => delayMs);
  const namespace = addressSpace.getOwnNamespace();
  const folder = addressSpace.findNode(`ns=${namespace.index};s=Simulation`);
  const nodeId = `ns=${namespace.index};s=BrowseDelayMs`;
  namespace.addVariable({
    ...(folder ? { componentOf: folder } : { organizedBy: addressSpace.rootFolder.objects }),
    browseName: "BrowseDelayMs",
    nodeId: "s=BrowseDelayMs",
    dataType: "UInt32",
    accessLevel: "CurrentRead | CurrentWrite",
    userAccessLevel: "CurrentRead | CurrentWrite",
    minimumSamplingInterval: 50,
    value: {
      get: () => new Variant({ dataType: DataType.UInt32, value: delayMs }),
      set: (variant: Variant) => {
        const value = variant.value;
        if (typeof value !== "number" || !Number.isInteger(value)) return StatusCodes.BadTypeMismatch;
        if (value < 0 || value > MAX_BROWSE_DELAY_MS) return StatusCodes.BadOutOfRange;
        delayMs = value;
        onWrite({ nodeId, value });
        return StatusCodes.Good;
      },
    },
  });
}
