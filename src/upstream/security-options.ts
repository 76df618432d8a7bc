/**
 * How the gateway connects to one upstream server: security policy and mode, and the user it logs
 * in as. Credentials are read when a session is made (so that a rotated password file is picked
 * up at the next reconnect), from an environment variable or a file, never from the configuration
 * itself; they are handed to node-opcua only, never logged (errors name the variable or the file,
 * not the value).
 */
import { readFile } from "node:fs/promises";
import { MessageSecurityMode, SecurityPolicy, type UserIdentityInfo, UserTokenType } from "node-opcua";
import type { UpstreamSecurity, UpstreamUser } from "../config/schema-security.ts";
import { RedundancyError } from "../errors.ts";
import { readCertificateFile } from "../security/certificate-file.ts";

export interface UpstreamClientSecurity {
  securityPolicy: SecurityPolicy;
  securityMode: MessageSecurityMode;
}

export function upstreamClientSecurity(security: UpstreamSecurity | undefined): UpstreamClientSecurity {
  return {
    securityPolicy: SecurityPolicy[security?.policy ?? "None"],
    securityMode: MessageSecurityMode[security?.mode ?? "None"],
  };
}

async function readSecretFile(path: string, what: string): Promise<string> {
  try {
    return (await readFile(path, "utf8")).replace(/\r?\n$/, "");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new RedundancyError("ERR_INVALID_ARGUMENT", `cannot read the ${what} file ${path} (${code})`);
  }
}

async function password(user: Extract<UpstreamUser, { name: string }>): Promise<string> {
  if (user.passwordFile !== undefined) return readSecretFile(user.passwordFile, "password");
  const value = user.passwordEnv === undefined ? undefined : process.env[user.passwordEnv];
  if (value === undefined || value === "")
    throw new RedundancyError(
      "ERR_INVALID_ARGUMENT",
      `the environment variable ${user.passwordEnv} is not set`,
    );
  return value;
}

/** The identity for CreateSession/ActivateSession: anonymous when no user is configured. */
export async function upstreamUserIdentity(
  user: UpstreamUser | undefined,
): Promise<UserIdentityInfo | undefined> {
  if (!user) return undefined;
  if ("name" in user)
    return { type: UserTokenType.UserName, userName: user.name, password: await password(user) };
  const certificate = await readCertificateFile(user.certificate);
  return {
    type: UserTokenType.Certificate,
    certificateData: certificate.der,
    privateKey: await readSecretFile(user.privateKey, "private key"),
  };
}
