/**
 * Downstream clients with security for tests: a client PKI of their own (they trust any server
 * certificate: the gateway's trust decisions are under test, not the client's), sessions with a
 * given policy, mode and user, and X.509 user certificates made on the spot (2048-bit keys).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type ClientSession,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  type UserIdentityInfo,
  UserTokenType,
} from "node-opcua";
import { describeCertificate } from "../../src/security/certificate-file.ts";

export function testClientPki(folder: string): OPCUACertificateManager {
  return new OPCUACertificateManager({
    rootFolder: folder,
    automaticallyAcceptUnknownCertificate: true,
    disableFileWatchers: true,
    keySize: 2048,
  });
}

export interface SecureSessionOptions {
  pki: OPCUACertificateManager;
  policy: keyof typeof SecurityPolicy;
  mode: keyof typeof MessageSecurityMode;
  user?: UserIdentityInfo;
}

export interface OpenSession {
  client: OPCUAClient;
  session: ClientSession;
  close(): Promise<void>;
}

/** Connects and creates a session; on any failure the client is disconnected and the error thrown. */
export async function openSecureSession(
  endpointUrl: string,
  options: SecureSessionOptions,
): Promise<OpenSession> {
  const client = OPCUAClient.create({
    applicationName: "opcua-redundancy-security-test",
    clientCertificateManager: options.pki,
    securityPolicy: SecurityPolicy[options.policy],
    securityMode: MessageSecurityMode[options.mode],
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
  });
  try {
    await client.connect(endpointUrl);
    const session = await client.createSession(options.user);
    return {
      client,
      session,
      async close() {
        await session.close().catch(() => undefined);
        await client.disconnect();
      },
    };
  } catch (error) {
    await client.disconnect().catch(() => undefined);
    throw error;
  }
}

export interface UserCertificate {
  certificateFile: string;
  privateKeyFile: string;
  identity(): Promise<UserIdentityInfo>;
}

/** A self-signed user certificate with the given common name, in a PKI folder of its own. */
export async function makeUserCertificate(folder: string, commonName: string): Promise<UserCertificate> {
  const manager = testClientPki(folder);
  await manager.initialize();
  const certificateFile = join(folder, "own", "certs", `${commonName}.pem`);
  await manager.createSelfSignedCertificate({
    applicationUri: `urn:opcua-redundancy-test:user:${commonName}`,
    subject: `/CN=${commonName}`,
    dns: [],
    startDate: new Date(Date.now() - 60_000),
    validity: 30,
    outputFile: certificateFile,
  });
  await manager.dispose();
  const privateKeyFile = manager.privateKey;
  return {
    certificateFile,
    privateKeyFile,
    async identity() {
      return {
        type: UserTokenType.Certificate,
        certificateData: describeCertificate(await readFile(certificateFile)).der,
        privateKey: await readFile(privateKeyFile, "utf8"),
      };
    },
  };
}
