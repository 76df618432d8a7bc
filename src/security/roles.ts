/**
 * Roles of downstream users, mapped onto OPC UA well-known roles and namespace default role
 * permissions (Part 3 §4.8, Part 18), so that node-opcua itself answers BadUserAccessDenied to a
 * write or call by a user whose role does not allow it, before any request reaches the upstream.
 *
 * read → Observer: browse, read, read history, receive events (and so subscribe).
 * operate → Operator: read plus write and call.
 * node-opcua evaluates every session with the Anonymous role added to its own roles, so the
 * Anonymous permissions are the floor for everyone: nothing beyond browsing unless anonymous
 * access is enabled, then those of `anonymousRole`.
 */
import {
  type AddressSpace,
  type NodeId,
  PermissionType,
  type RolePermissionTypeOptions,
  resolveNodeId,
  WellKnownRoles,
} from "node-opcua";
import type { PairSecurity, Role } from "../config/schema-security.ts";

const READ =
  PermissionType.Browse |
  PermissionType.Read |
  PermissionType.ReadRolePermissions |
  PermissionType.ReadHistory |
  PermissionType.ReceiveEvents;
const OPERATE = READ | PermissionType.Write | PermissionType.Call;

export const rolePermissions: Record<Role, number> = { read: READ, operate: OPERATE };

export function roleNodeIds(role: Role): NodeId[] {
  return role === "operate"
    ? [resolveNodeId(WellKnownRoles.Observer), resolveNodeId(WellKnownRoles.Operator)]
    : [resolveNodeId(WellKnownRoles.Observer)];
}

function namespaceDefaults(security: PairSecurity): RolePermissionTypeOptions[] {
  const anonymous = security.anonymous ? rolePermissions[security.anonymousRole] : PermissionType.Browse;
  return [
    { roleId: resolveNodeId(WellKnownRoles.Anonymous), permissions: anonymous },
    { roleId: resolveNodeId(WellKnownRoles.AuthenticatedUser), permissions: PermissionType.Browse },
    { roleId: resolveNodeId(WellKnownRoles.Observer), permissions: READ },
    { roleId: resolveNodeId(WellKnownRoles.Operator), permissions: OPERATE },
  ];
}

/**
 * Applies the role permissions to every namespace but 0 (the mirrored ones and the gateway's own);
 * namespace 0 keeps the standard's permissions. Call again after registering namespaces.
 */
export function applyRolePermissions(addressSpace: AddressSpace, security: PairSecurity): void {
  const defaults = namespaceDefaults(security);
  for (const namespace of addressSpace.getNamespaceArray().slice(1)) {
    namespace.setDefaultRolePermissions(defaults);
  }
}
