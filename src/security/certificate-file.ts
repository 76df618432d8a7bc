/** Reading X.509 certificates from PEM or DER files (node:crypto), for users and the pki command. */
import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { RedundancyError } from "../errors.ts";

export interface CertificateInfo {
  /** DER bytes, as node-opcua stores and compares them. */
  der: Buffer;
  /** SHA-1 thumbprint, lower-case hex without separators (node-opcua's file names use it). */
  thumbprint: string;
  commonName: string;
  subject: string;
  validTo: string;
}

export function describeCertificate(data: Buffer): CertificateInfo {
  const certificate = new X509Certificate(data);
  const commonName = /(?:^|\n)CN=([^\n]*)/.exec(certificate.subject)?.[1] ?? "";
  return {
    der: certificate.raw,
    thumbprint: certificate.fingerprint.replaceAll(":", "").toLowerCase(),
    commonName,
    subject: certificate.subject.replaceAll("\n", ", "),
    validTo: new Date(certificate.validTo).toISOString(),
  };
}

export async function readCertificateFile(path: string): Promise<CertificateInfo> {
  try {
    return describeCertificate(await readFile(path));
  } catch (error) {
    throw new RedundancyError("ERR_INVALID_ARGUMENT", `cannot read the certificate ${path}`, {
      cause: error,
    });
  }
}
