/**
 * The security part of a pair server's OPCUAServer options: endpoints (policies × modes, None only
 * when asked for), anonymous access, users and their roles, and the gateway's PKI.
 */
import {
  MessageSecurityMode,
  type OPCUACertificateManager,
  SecurityPolicy,
  type StatusCode,
} from "node-opcua";
import type { PairConfig } from "../config/schema.ts";
import { type Logger, silentLogger } from "../log.ts";
import { describeCertificate } from "./certificate-file.ts";
import { pairCertificateFile, pkiCertificateManager } from "./gateway-pki.ts";
import type { RefusalListener } from "./session-quota.ts";
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
  onRefused: RefusalListener;
}

export async function downstreamSecurityOptions(
  pair: PairConfig,
  pkiDir: string,
  logger: Logger = silentLogger,
): Promise<DownstreamSecurityOptions> {
  // Every server the gateway runs goes through here: the transport guard is installed once.
  hardenServerTransport();
  const security = pair.security;
  if (security.allowNone || security.anonymous)
    logger.warn(
      { allowNone: security.allowNone, anonymous: security.anonymous },
      "the endpoint accepts unsecured connections or anonymous users (fine for a demo, not for a plant)",
    );
  const userCertificateManager = pkiCertificateManager(pkiDir, "users");
  const users = await buildDownstreamUsers(security, userCertificateManager);
  const policies: SecurityPolicy[] = security.policies.map((name) => SecurityPolicy[name]);
  const modes: MessageSecurityMode[] = security.modes.map((name) => MessageSecurityMode[name]);
  if (security.allowNone) {
    policies.push(SecurityPolicy.None);
    modes.push(MessageSecurityMode.None);
  }
  const serverCertificateManager = pkiCertificateManager(pkiDir, "applications");
  serverCertificateManager.onRefused = certificateRefusalLog(logger, "client");
  userCertificateManager.onRefused = certificateRefusalLog(logger, "user");
  return {
    securityPolicies: policies,
    securityModes: modes,
    allowAnonymous: security.anonymous,
    userManager: users.userManager,
    serverCertificateManager,
    userCertificateManager,
    certificateFile: pairCertificateFile(pkiDir, pair.name),
    onRefused: rateLimited((remoteAddress: string, reason: string, suppressed: number) =>
      logger.warn(
        { remoteAddress, reason, refusedSinceLastLine: suppressed },
        "downstream connection refused",
      ),
    ),
  };
}

/**
 * Calls `log` at most once per 10 s (a hostile client must not flood the log), with the number of
 * calls left out since the last one.
 */
function rateLimited<A extends unknown[]>(log: (...args: [...A, suppressed: number]) => void) {
  let last = 0;
  let suppressed = 0;
  return (...args: A): void => {
    const now = Date.now();
    if (now - last < 10_000) {
      suppressed++;
      return;
    }
    log(...args, suppressed);
    last = now;
    suppressed = 0;
  };
}

/** Names a refused certificate and the command that trusts it (it waits in rejected/). */
function certificateRefusalLog(logger: Logger, kind: "client" | "user") {
  const log = rateLimited((certificate: Buffer, status: StatusCode, suppressed: number) => {
    let described: { commonName: string; thumbprint: string } = { commonName: "?", thumbprint: "?" };
    try {
      described = describeCertificate(certificate);
    } catch {
      // not a certificate: the status says so
    }
    const users = kind === "user" ? " --users" : "";
    logger.warn(
      {
        status: status.name,
        commonName: described.commonName,
        thumbprint: described.thumbprint,
        refusedSinceLastLine: suppressed,
      },
      `${kind} certificate refused; to trust it: opcua-redundancy pki trust ${described.thumbprint}${users}`,
    );
  });
  return (certificate: Buffer, status: StatusCode) => log(certificate, status);
}

/** Whether anyone can log in at all (a configuration that locks everyone out deserves a warning). */
export function anyoneCanLogIn(pair: PairConfig): boolean {
  const s = pair.security;
  return s.anonymous || s.users.length > 0 || s.certificateUsers.length > 0;
}
