/**
 * Who may log in to a pair's endpoint, and with which role: users with a password (checked against
 * the scrypt hash in the configuration) and users with an X.509 certificate (trusted in the user
 * PKI; node-opcua names such a user by the certificate's common name).
 */
import type { NodeId, OPCUACertificateManager, UserManagerOptions } from "node-opcua";
import type { PairSecurity, Role } from "../config/schema-security.ts";
import { RedundancyError } from "../errors.ts";
import { readCertificateFile } from "./certificate-file.ts";
import { verifyPassword } from "./password-hash.ts";
import { roleNodeIds } from "./roles.ts";

export interface DownstreamUsers {
  userManager: UserManagerOptions;
  /** Role per user name (password users) or certificate common name (certificate users). */
  roles: ReadonlyMap<string, Role>;
}

/**
 * Trusts every configured user certificate in the user PKI and builds node-opcua's user manager.
 * @throws RedundancyError ERR_INVALID_ARGUMENT when a certificate cannot be read, or its common
 * name is also a password user's name (the role would be ambiguous).
 */
export async function buildDownstreamUsers(
  security: PairSecurity,
  userCertificateManager: OPCUACertificateManager,
): Promise<DownstreamUsers> {
  const roles = new Map<string, Role>();
  const hashes = new Map<string, string>();
  for (const user of security.users) {
    roles.set(user.name, user.role);
    hashes.set(user.name, user.passwordHash);
  }
  await userCertificateManager.initialize();
  for (const entry of security.certificateUsers) {
    const certificate = await readCertificateFile(entry.certificate);
    if (hashes.has(certificate.commonName))
      throw new RedundancyError(
        "ERR_INVALID_ARGUMENT",
        `the certificate ${entry.certificate} names user "${certificate.commonName}", who also has a password`,
      );
    await userCertificateManager.trustCertificate(certificate.der);
    roles.set(certificate.commonName, entry.role);
  }
  const userManager = {
    isValidUserAsync: (
      userName: string,
      password: string,
      callback: (err: Error | null, isAuthorized?: boolean) => void,
    ): void => {
      const hash = hashes.get(userName);
      if (hash === undefined) {
        callback(null, false);
        return;
      }
      verifyPassword(password, hash).then(
        (ok) => callback(null, ok),
        () => callback(null, false),
      );
    },
    getUserRoles: (user: string): NodeId[] => {
      const role = roles.get(user);
      return role ? roleNodeIds(role) : [];
    },
  };
  return { userManager, roles };
}
