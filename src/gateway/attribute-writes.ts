/**
 * Writes of attributes other than Value (DisplayName, Description, WriteMask, ...) on mirrored
 * nodes are forwarded to the active upstream server and answered as it answers (BadNotWritable
 * where its WriteMask says so), as a client talking to it directly would be. The gateway's own node
 * policy applies first: such a write needs the Write permission (the `operate` role). Value writes
 * keep their own path (variable-binding.ts); nodes that are not mirrored are node-opcua's.
 */
import {
  AttributeIds,
  type ISessionContext,
  type NodeId,
  PermissionType,
  type ServerEngine,
  StatusCodes,
} from "node-opcua";
import { replaceWriteNode } from "../node-opcua-private.ts";
import { statusCodeOf, type UpstreamPort } from "./upstream-port.ts";
import type { ValueRemap } from "./value-remap.ts";

export function forwardAttributeWrites(
  engine: ServerEngine,
  resolve: (downstreamNodeId: NodeId) => { upstreamNodeId: NodeId; remap: ValueRemap } | undefined,
  findNode: (nodeId: NodeId) => Parameters<ISessionContext["checkPermission"]>[0] | null,
  port: UpstreamPort,
): void {
  replaceWriteNode(engine, (own) => async (context, writeValue) => {
    if (writeValue.attributeId === AttributeIds.Value) return own(context, writeValue);
    const target = resolve(writeValue.nodeId);
    const node = target ? findNode(writeValue.nodeId) : null;
    if (!target || !node) return own(context, writeValue);
    if (context.isAccessRestricted(node)) return StatusCodes.BadSecurityModeInsufficient;
    if (!context.checkPermission(node, PermissionType.Write)) return StatusCodes.BadUserAccessDenied;
    try {
      const value = writeValue.value;
      const [status] = await port.write([
        {
          nodeId: target.upstreamNodeId,
          attributeId: writeValue.attributeId,
          indexRange: writeValue.indexRange,
          value: { ...value, value: value.value ? target.remap.toUpstream(value.value) : value.value },
        },
      ]);
      return status ?? StatusCodes.BadInternalError;
    } catch (error) {
      return statusCodeOf(error);
    }
  });
}
