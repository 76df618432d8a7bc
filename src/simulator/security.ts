/**
 * Security of a simulator's endpoint: by default SecurityPolicy None with anonymous access; with
 * `secure`, only signed and encrypted endpoints; with `user`, that user name and password only.
 * (Client certificates are accepted automatically: the simulator stands in for an upstream server
 * whose operator has trusted the gateway.)
 */
import { MessageSecurityMode, SecurityPolicy } from "node-opcua";

export interface SimulatorSecurity {
  /** Offer Basic256Sha256, Aes128_Sha256_RsaOaep and Aes256_Sha256_RsaPss, Sign and SignAndEncrypt, no None. */
  secure?: boolean;
  /** The one user allowed in (anonymous access is then refused). */
  user?: { name: string; password: string };
}

export function simulatorSecurityOptions(security: SimulatorSecurity = {}) {
  const user = security.user;
  return {
    securityPolicies: security.secure
      ? [
          SecurityPolicy.Basic256Sha256,
          SecurityPolicy.Aes128_Sha256_RsaOaep,
          SecurityPolicy.Aes256_Sha256_RsaPss,
        ]
      : [SecurityPolicy.None],
    securityModes: security.secure
      ? [MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt]
      : [MessageSecurityMode.None],
    allowAnonymous: user === undefined,
    userManager: {
      isValidUser: (name: string, password: string) =>
        user !== undefined && name === user.name && password === user.password,
    },
  };
}
