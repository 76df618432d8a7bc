/**
 * The security part of a pair server's OPCUAServer options: endpoints (policies × modes, None only
 * when asked for), anonymous access, users and their roles, and the gateway's PKI.
 */
import { MessageSecurityMode, type OPCUACertificateManager, SecurityPolicy } from "node-opcua";
import type { PairConfig } from "../config/schema.ts";
import { pairCertificateFile, pkiCertificateManager } from "./gateway-pki.ts";
import { hardenServerTransport } from "./transport-hardening.ts";
import { buildDownstreamUsers, type DownstreamUsers } from "./user-manager.ts";

export interface DownstreamSecurityOptions {
  securityPolicies: SecurityPolicy[];
  securityModes: MessageSecurityMode[];
  allowAnonymous: boolean;
  userManager: DownstreamUsers["userManager"];
  serverCertificateManager: OPCUACertificateManager;
  userCertificateManager: OPCUACertificateManager;
  certificateFile: string;
}

export async function downstreamSecurityOptions(
  pair: PairConfig,
  pkiDir: string,
): Promise<DownstreamSecurityOptions> {
  // Every server the gateway runs goes through here: the transport guard is installed once.
  hardenServerTransport();
  const security = pair.security;
  const userCertificateManager = pkiCertificateManager(pkiDir, "users");
  const users = await buildDownstreamUsers(security, userCertificateManager);
  const policies: SecurityPolicy[] = security.policies.map((name) => SecurityPolicy[name]);
  const modes: MessageSecurityMode[] = security.modes.map((name) => MessageSecurityMode[name]);
  if (security.allowNone) {
    policies.push(SecurityPolicy.None);
    modes.push(MessageSecurityMode.None);
  }
  return {
    securityPolicies: policies,
    securityModes: modes,
    allowAnonymous: security.anonymous,
    userManager: users.userManager,
    serverCertificateManager: pkiCertificateManager(pkiDir, "applications"),
    userCertificateManager,
    certificateFile: pairCertificateFile(pkiDir, pair.name),
  };
}

/** Whether anyone can log in at all (a configuration that locks everyone out deserves a warning). */
export function anyoneCanLogIn(pair: PairConfig): boolean {
  const s = pair.security;
  return s.anonymous || s.users.length > 0 || s.certificateUsers.length > 0;
}
